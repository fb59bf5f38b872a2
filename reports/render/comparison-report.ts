import type { ChartSpec } from '../charts/chart-common.js'
import { latencySpectrumOverlayChart } from '../charts/latency-spectrum.js'
import { variantComparisonOverlayChart } from '../charts/variant-comparison.js'
import type { Comparison } from '../compare/comparison.js'
import { liveAndSimulated, simulatedAgainstLive, type PairedFigure } from '../compare/simulated-against-live.js'
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

/** A simulated figure with its ratio to the live one (×1.00 = the same). */
function simulatedCell(f: PairedFigure, format: (x: number) => string): string {
  if (f.simulated === undefined) return '—'
  return f.ratio === undefined ? format(f.simulated) : `${format(f.simulated)} (×${f.ratio.toFixed(2)})`
}

/** A scenario's live and simulated figures, variant by variant. */
function pairedFigures(name: string, live: LabelledResults, simulated: LabelledResults): string {
  const paired = simulatedAgainstLive(live.results, simulated.results, name)
  const us = (x: number) => formatUs(x)
  // The handshake columns only when a side measured handshakes (connections opened per request).
  const handshakes = paired.variants.some((v) => v.handshakeP50Us.live !== undefined || v.handshakeP50Us.simulated !== undefined)
  const rows = paired.variants.map((v): HtmlCell[] => [
    v.key || 'default',
    v.rps.live === undefined ? '—' : formatCount(v.rps.live),
    simulatedCell(v.rps, formatCount),
    formatUs(v.p50Us.live),
    simulatedCell(v.p50Us, us),
    formatUs(v.p99Us.live),
    simulatedCell(v.p99Us, us),
    v.errorRate.live === undefined ? '—' : formatPercent(v.errorRate.live),
    v.errorRate.simulated === undefined ? '—' : formatPercent(v.errorRate.simulated),
    formatUs(v.balancerCpuPerRequestUs.live),
    simulatedCell(v.balancerCpuPerRequestUs, us),
    ...(handshakes ? [formatUs(v.handshakeP50Us.live), simulatedCell(v.handshakeP50Us, us)] : []),
  ])
  const unpaired = [
    paired.onlyLive.length === 0 ? '' : `only live: ${paired.onlyLive.join('; ')}`,
    paired.onlySimulated.length === 0 ? '' : `only simulated: ${paired.onlySimulated.join('; ')}`,
  ].filter((x) => x !== '')
  return [
    '<h3>Live and simulated, variant by variant</h3>',
    '<p>Simulated figures with their ratio to the live ones: the simulation models the balancer and backends as the scenario describes them, not the load generator or the machine they share.</p>',
    // Wider than the page with handshakes: it scrolls in its own box, not the page.
    '<div class="wide">',
    htmlTable(
      ['variant', 'req/s live', 'simulated', 'p50 live', 'simulated', 'p99 live', 'simulated', 'errors live', 'simulated', 'LB CPU/req live', 'simulated', ...(handshakes ? ['handshake p50 live', 'simulated'] : [])],
      rows,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    ),
    '</div>',
    ...unpaired.map((u) => `<p class="warn">${escapeHtml(u)}</p>`),
  ].join('\n')
}

/**
 * Several saved results side by side (`layerbench report a b …`): per scenario, key figures of
 * every side, the latency spectra overlaid and the variant metrics overlaid. With two sides, a
 * live run and its simulation are paired variant by variant; two live (or two simulated) results
 * get the regression gate's verdicts of the second against the first.
 */
export function renderComparisonReport(sides: readonly LabelledResults[], options: ComparisonReportOptions): string {
  const charts: PageChart[] = []
  const pairing = liveAndSimulated(sides)
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
      pairing === undefined ? keyFigures(name, sides) : pairedFigures(name, pairing.live, pairing.simulated),
      ...placed.map(([id]) => chartSlot(id)),
    ].join('\n')
  })
  const c = pairing === undefined ? options.comparison : undefined
  const body = [
    '<h1>layerbench: results compared</h1>',
    `<p class="lead">${sides.map((s, i) => `${i === 0 && c !== undefined ? 'baseline ' : pairing === undefined ? '' : s === pairing.live ? 'live ' : 'simulated '}<code>${escapeHtml(s.label)}</code> (${s.results.length} scenario${s.results.length === 1 ? '' : 's'})`).join(' · ')}</p>`,
    c === undefined ? '' : suiteComparisonSection(c),
    ...sections,
    '<h2 id="environment">Environment</h2>',
    ...sides.map((s) => `<h3>${escapeHtml(s.label)}</h3>${s.results.length === 0 ? '' : htmlTable(['', ''], environmentRows(s.results[0]!.environment))}`),
  ]
  return htmlDocument({ title: 'layerbench: results compared', body: body.join('\n'), charts, runtime: options.runtime })
}
