/** Microseconds for people: µs below 10 ms, then ms, then s. */
export function formatUs(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—'
  if (us < 10_000) return `${us.toFixed(us < 100 ? 1 : 0)} µs`
  if (us < 10_000_000) return `${(us / 1000).toFixed(us < 100_000 ? 2 : 1)} ms`
  return `${(us / 1e6).toFixed(2)} s`
}

/** A count with thousands separated by thin spaces. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US').replace(/,/g, ' ')
}

/** A rate as a percentage with sensible precision. */
export function formatPercent(x: number): string {
  if (x === 0) return '0%'
  if (x < 0.0001) return `${(x * 100).toExponential(1)}%`
  return `${(x * 100).toFixed(x < 0.01 ? 3 : 2)}%`
}

/** A fixed-width text table: first column left-aligned, the rest right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n')
}
