import { rowsToCsv } from '../export/csv.js'
import type { ExportRow } from '../export/export-rows.js'
import { aggregateRuns, spread, type Spread, type VariantAggregate } from '../result/aggregate.js'
import { balancerName, type ResultFile } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs } from './format.js'
import { htmlTable, type HtmlCell } from './html-table.js'

/** A figure over repeats as text: the median, and the range (min–max) when there are several. */
export function spreadText(s: Spread, format: (v: number) => string): string {
  return s.values.length > 1 ? `${format(s.median)} (${format(s.min)}–${format(s.max)})` : format(s.median)
}

/** The key figures of one variant, each a spread over its repeats. */
interface KeyFigures {
  readonly aggregate: VariantAggregate
  readonly balancer: string
  readonly figures: readonly { readonly column: string; readonly csv: string; readonly spread?: Spread; readonly format: (v: number) => string }[]
}

function keyFiguresOf(result: ResultFile): KeyFigures[] {
  return aggregateRuns(result).map((a) => {
    const first = a.runs[0]!
    const corrected = a.runs.filter((r) => r.skipped === undefined).map((r) => r.summary.correctedLatencyUs?.p99)
    return {
      aggregate: a,
      balancer: `${balancerName(first.balancer)} L${first.balancer.layer} ${first.balancer.protocol}`,
      figures: [
        { column: 'req/s', csv: 'rps', spread: a.rps, format: formatCount },
        { column: 'p50', csv: 'p50Us', spread: a.p50Us, format: formatUs },
        { column: 'p99', csv: 'p99Us', spread: a.p99Us, format: formatUs },
        { column: 'p99.9', csv: 'p999Us', spread: a.p999Us, format: formatUs },
        // Only when every repeat has it: a spread over some repeats would pass for all of them.
        { column: 'p99 corrected', csv: 'p99CorrectedUs', ...(corrected.length > 0 && corrected.every((x) => x !== undefined) ? { spread: spread(corrected) } : {}), format: formatUs },
        { column: 'errors', csv: 'errorRate', spread: a.errorRate, format: formatPercent },
        { column: 'LB CPU/req', csv: 'balancerCpuPerRequestUs', ...(a.balancerCpuPerRequestUs === undefined ? {} : { spread: a.balancerCpuPerRequestUs }), format: formatUs },
      ],
    }
  })
}

/** The key-figure table of a scenario page: per variant, medians over repeats with their range. */
export function keyFiguresTable(result: ResultFile): string {
  const all = keyFiguresOf(result)
  const columns = all[0]?.figures.map((f) => f.column) ?? []
  const rows = all.map(({ aggregate: a, balancer, figures }): HtmlCell[] => {
    const expect: HtmlCell = a.expectationsTotal === 0 ? '—' : { text: `${a.expectationsPassed === a.expectationsTotal ? '✓' : '✗'} ${a.expectationsPassed}/${a.expectationsTotal}`, class: a.expectationsPassed === a.expectationsTotal ? 'pass' : 'fail' }
    const repeats = String(a.runs.filter((r) => r.skipped === undefined).length)
    if (a.skipped !== undefined) return [a.key || 'default', balancer, '0', { text: `skipped: ${a.skipped}`, class: 'warn' }, ...figures.slice(1).map(() => ''), expect]
    return [a.key || 'default', balancer, repeats, ...figures.map((f) => (f.spread === undefined || f.spread.values.length === 0 ? '—' : spreadText(f.spread, f.format))), expect]
  })
  return htmlTable(['variant', 'balancer', 'repeats', ...columns, 'expectations'], rows, [2, ...columns.map((_, i) => i + 3)])
}

/**
 * The key-figure table as CSV for a spreadsheet: one row per variant, each figure as median, min
 * and max over the repeats in plain units (µs, req/s, a 0–1 error rate), blank where not measured.
 */
export function keyFiguresCsv(result: ResultFile): string {
  const rows = keyFiguresOf(result).map(({ aggregate: a, balancer, figures }): ExportRow => {
    const row: ExportRow = { variant: a.key || 'default', balancer, repeats: a.runs.filter((r) => r.skipped === undefined).length, skipped: a.skipped ?? null }
    for (const f of figures) {
      const s = f.spread !== undefined && f.spread.values.length > 0 ? f.spread : undefined
      row[`${f.csv}Median`] = s?.median ?? null
      row[`${f.csv}Min`] = s?.min ?? null
      row[`${f.csv}Max`] = s?.max ?? null
    }
    row.expectationsPassed = a.expectationsPassed
    row.expectationsTotal = a.expectationsTotal
    return row
  })
  return rowsToCsv(rows)
}
