import { textTable } from '../render/format.js'
import type { Comparison } from './comparison.js'
import { rowCells, verdictCounts } from './row-format.js'

/**
 * A comparison for the console: the rows that are not `unchanged` (all rows with `all`), a line
 * of counts, failed expectations of the current results, and notes on what limits the comparison.
 */
export function renderComparisonTable(c: Comparison, options: { all?: boolean } = {}): string {
  const shown = options.all === true ? c.rows : c.rows.filter((r) => r.verdict !== 'unchanged')
  const out: string[] = []
  if (shown.length > 0) {
    const rows = shown.map((r) => {
      const x = rowCells(r)
      return [x.scenario, x.variant, x.metric, x.verdict, x.baseline, x.current, x.change, x.p]
    })
    const lines = textTable(['scenario', 'variant', 'metric', 'verdict', 'baseline', 'current', 'change', 'p'], rows, 4).split('\n')
    // The reason is free text: appended after the aligned columns rather than padded into one.
    const reasons = ['reason', '──────', ...shown.map((r) => r.reason)]
    out.push(lines.map((l, i) => `${l}  ${reasons[i] ?? ''}`).join('\n'))
  }
  const hidden = c.rows.length - shown.length
  out.push(`${c.rows.length} compared: ${verdictCounts(c)}${hidden > 0 ? ` (${hidden} unchanged not shown)` : ''}`)
  for (const f of c.expectationFailures) out.push(`  ✗ ${f.run}: ${f.name} — expected ${f.expected}, got ${f.actual}`)
  for (const n of c.notes) out.push(`  note: ${n}`)
  return out.join('\n')
}
