import type { ChartSpec } from '../charts/chart-common.js'
import { latencySpectrumOverlayChart } from '../charts/latency-spectrum.js'
import { variantComparisonOverlayChart } from '../charts/variant-comparison.js'
import type { Comparison } from '../compare/comparison.js'
import { aggregateRuns } from '../result/aggregate.js'
import type { ResultFile } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs } from './format.js'
import { chartSlot, escapeHtml, htmlDocument, type PageChart } from './html-document.js'
import { htmlTable, type HtmlCell } from './html-table.js'
import { environmentRows, suiteComparisonSection } from './scenario-report.js'

/** One side of a comparison report: results loaded from one path, under a label. */
export interface LabelledResults {
  readonly label: string
  readonly results: readonly ResultFile[]
}

/** Options of {@link renderComparisonReport}. */
export interface ComparisonReportOptions {
  readonly runtime: string
  /** The regression gate's verdicts, first side as the baseline (with exactly two sides). */
  readonly comparison?: Comparison
}

/** Scenario names in first-seen order over every side. */
function scenarioNames(sides: readonly LabelledResults[]): string[] {
  return [...new Set(sides.flatMap((s) => s.results.map((r) => r.scenario.name)))]
}

function keyFigures(name: string, sides: readonly LabelledResults[]): string {
  const rows = sides.flatMap((side) =>
    side.results
      .filter((r) => r.scenario.name === name)
      .flatMap((r) =>
        aggregateRuns(r).map((a): HtmlCell[] =>
          a.skipped !== undefined
            ? [side.label, a.key || 'default', { text: `skipped: ${a.skipped}`, class: 'warn' }, '', '', '', '']
            : [side.label, a.key || 'default', formatCount(a.rps.median), formatUs(a.p50Us.median), formatUs(a.p99Us.median), formatPercent(a.errorRate.median), formatUs(a.balancerCpuPerRequestUs?.median)],
        ),
      ),
  )
  return htmlTable(['result', 'variant', 'req/s', 'p50', 'p99', 'errors', 'LB CPU/req'], rows, [2, 3, 4, 5, 6])
}

/**
 * Several saved results side by side (`layerbench report a b …`): per scenario, key figures of
 * every side, the latency spectra overlaid and the variant metrics overlaid; with two sides, the
 * regression gate's verdicts of the second against the first.
 */
export function renderComparisonReport(sides: readonly LabelledResults[], options: ComparisonReportOptions): string {
  const charts: PageChart[] = []
  const sections = scenarioNames(sides).map((name, i) => {
    const entries = sides.flatMap((s) => s.results.filter((r) => r.scenario.name === name).map((result) => ({ label: s.label, result })))
    const specs: [string, ChartSpec | undefined][] = [
      [`spectrum-${i}`, latencySpectrumOverlayChart(entries)],
      [`variants-${i}`, variantComparisonOverlayChart(entries)],
    ]
    const placed = specs.filter((c): c is [string, ChartSpec] => c[1] !== undefined)
    charts.push(...placed.map(([id, spec]) => ({ id, spec })))
    const present = new Set(entries.map((e) => e.label))
    const absent = sides.filter((s) => !present.has(s.label)).map((s) => s.label)
    return [
      `<h2 id="scenario-${i}">${escapeHtml(name)}</h2>`,
      absent.length === 0 ? '' : `<p class="warn">not in: ${escapeHtml(absent.join(', '))}</p>`,
      keyFigures(name, sides),
      ...placed.map(([id]) => chartSlot(id)),
    ].join('\n')
  })
  const c = options.comparison
  const body = [
    '<h1>layerbench: results compared</h1>',
    `<p class="lead">${sides.map((s, i) => `${i === 0 && c !== undefined ? 'baseline ' : ''}<code>${escapeHtml(s.label)}</code> (${s.results.length} scenario${s.results.length === 1 ? '' : 's'})`).join(' · ')}</p>`,
    c === undefined ? '' : suiteComparisonSection(c),
    ...sections,
    '<h2 id="environment">Environment</h2>',
    ...sides.map((s) => `<h3>${escapeHtml(s.label)}</h3>${s.results.length === 0 ? '' : htmlTable(['', ''], environmentRows(s.results[0]!.environment))}`),
  ]
  return htmlDocument({ title: 'layerbench: results compared', body: body.join('\n'), charts, runtime: options.runtime })
}
