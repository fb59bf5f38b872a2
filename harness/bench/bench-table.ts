import type { BenchMeasurement, BenchReport } from './bench-result.js'

/** Formats nanoseconds for a table cell: ns below 10 µs, then µs, then ms. */
export function formatNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '—'
  if (ns < 10_000) return `${ns.toFixed(ns < 100 ? 1 : 0)} ns`
  if (ns < 10_000_000) return `${(ns / 1000).toFixed(1)} µs`
  return `${(ns / 1e6).toFixed(2)} ms`
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n')
}

/** Rows of one kind: one per subject and weight profile, one column per backend count. */
function section(title: string, measurements: readonly BenchMeasurement[], sizes: readonly number[], withWeights: boolean): string {
  if (measurements.length === 0) return ''
  const rows = new Map<string, string[]>()
  for (const m of measurements) {
    const key = `${m.case.subject}|${m.case.weights ?? ''}`
    const row = rows.get(key) ?? [m.case.subject, withWeights ? (m.case.weights === 'mixed' ? 'mixed 1–5' : 'equal') : '', ...sizes.map(() => '—')]
    row[2 + sizes.indexOf(m.case.n ?? 0)] = formatNs(m.medianNs)
    rows.set(key, row)
  }
  return `${title}\n${table(['', withWeights ? 'weights' : '', ...sizes.map((n) => `N=${n}`)], [...rows.values()])}\n`
}

/** Renders a bench report as console tables: medians per operation, targets, warnings. */
export function renderBenchTable(report: BenchReport): string {
  const m = report.measurements
  const sizes = [...new Set(m.filter((x) => x.case.n !== undefined).map((x) => x.case.n!))].sort((a, b) => a - b)
  const cpu = report.cpu === undefined ? '' : `, steal ${(report.cpu.steal * 100).toFixed(1)}%`
  const out = [
    `layerbench bench — node ${report.machine.node}, ${report.machine.cpuModel} ×${report.machine.cpus}${cpu}`,
    '',
    section('pick — median per call (batches of 1000 picks with precomputed key hashes)', m.filter((x) => x.case.kind === 'pick'), sizes, true),
    section('pick + onStart + onDone — median per request', m.filter((x) => x.case.kind === 'pick+feedback'), sizes, true),
    section('table build — median per build', m.filter((x) => x.case.kind === 'build'), sizes, false),
  ]
  const hashes = m.filter((x) => x.case.kind === 'hash')
  if (hashes.length > 0) out.push(`key hashing — median per key\n${table(['', ''], hashes.map((h) => [h.case.subject, formatNs(h.medianNs)]))}\n`)
  if (report.targets.length > 0) {
    const met = report.targets.filter((t) => t.met).length
    out.push(
      `targets — ${met} of ${report.targets.length} met\n${table(
        ['', 'measured', ''],
        report.targets.map((t) => [t.name, formatNs(t.measuredNs), t.met ? '✓' : '✗']),
      )}\n`,
    )
  }
  for (const w of report.warnings) out.push(`warning: ${w}`)
  return out.filter((s) => s !== '').join('\n')
}
