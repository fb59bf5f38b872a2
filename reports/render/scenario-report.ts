import { backendShareChart } from '../charts/backend-share.js'
import { type ChartSpec, measuredRuns, variantLabel } from '../charts/chart-common.js'
import { failoverChart } from '../charts/failover.js'
import { handshakeChart } from '../charts/handshake.js'
import { layerOverheadChart } from '../charts/layer-overhead.js'
import { latencySpectrumChart } from '../charts/latency-spectrum.js'
import { timelineChart } from '../charts/timeline.js'
import { variantComparisonChart } from '../charts/variant-comparison.js'
import { runBottleneck } from '../result/bottleneck.js'
import type { Comparison, ComparisonRow } from '../compare/comparison.js'
import { rowCells, verdictCounts } from '../compare/row-format.js'
import { aggregateRuns } from '../result/aggregate.js'
import type { EnvironmentResult, ResultFile, RunResult } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs } from './format.js'
import { answerSection, expectationsSection, headlineChart } from './answer-section.js'
import { chartSlot, downloadLink, escapeHtml, htmlDocument, type PageChart, type PageDownload } from './html-document.js'
import { keyFiguresCsv, keyFiguresTable } from './key-figures.js'
import { htmlTable, type HtmlCell } from './html-table.js'
import { timingSection } from './timing-table.js'

/** Options of {@link renderScenarioReport}. */
export interface ScenarioReportOptions {
  /** vega's browser build, inlined into the page. */
  readonly runtime: string
  /** Href of the suite's index page, for the way back (omit for a lone report). */
  readonly indexHref?: string
  /** This scenario's rows of a comparison with a baseline. */
  readonly comparison?: readonly ComparisonRow[]
}

/** Timelines are drawn per variant (with their events) up to this many variants, then all in one. */
const MAX_TIMELINES = 12

/** The scenario's charts in reading order, each only when its data is there. */
export function scenarioCharts(result: ResultFile): PageChart[] {
  const charts: [string, ChartSpec | undefined][] = [
    ['spectrum', latencySpectrumChart(result)],
    ['variants', variantComparisonChart(result)],
    ['overhead', layerOverheadChart(result)],
    ['handshake', handshakeChart(result)],
    ['failover', failoverChart(result)],
    ['share', backendShareChart(result)],
  ]
  const variants = [...new Set(measuredRuns(result).map((r) => variantLabel(r.variant)))]
  if (variants.length <= MAX_TIMELINES) variants.forEach((v, i) => charts.push([`timeline-${i}`, timelineChart(result, variants.length > 1 ? { variant: v } : {})]))
  else charts.push(['timeline', timelineChart(result)])
  return charts.filter((c): c is [string, ChartSpec] => c[1] !== undefined).map(([id, spec]) => ({ id, spec }))
}

/** What bounded a maximum-load run; the generator or a backend is flagged: the rate then says little of the balancer. */
function bottleneckCell(r: RunResult): HtmlCell {
  const b = r.bottleneck ?? runBottleneck(r)
  if (b === undefined) return '—'
  return b.kind === 'generator' || b.kind === 'backends' ? { text: b.kind, class: 'warn' } : b.kind
}

function runsTable(runs: readonly RunResult[]): string {
  return htmlTable(
    ['run', 'provider', 'sent', 'failed', 'req/s', 'p50', 'p99', 'CPU/req LB', 'backends', 'generator', 'steal', 'foreign load', 'bottleneck'],
    runs.map((r): HtmlCell[] =>
      r.skipped !== undefined
        ? [r.id, r.provider, { text: `skipped: ${r.skipped}`, class: 'warn' }, '', '', '', '', '', '', '', '', '', '']
        : [
            r.id,
            r.provider,
            formatCount(r.summary.requests.sent),
            formatCount(r.summary.requests.failed),
            formatCount(r.summary.rps),
            formatUs(r.summary.latencyUs.p50),
            formatUs(r.summary.latencyUs.p99),
            formatUs(r.cpu.perRequestUs.balancer),
            formatUs(r.cpu.perRequestUs.backends),
            formatUs(r.cpu.perRequestUs.generator),
            r.machine.heavySteal ? { text: `${formatPercent(r.machine.steal)} heavy`, class: 'warn' } : formatPercent(r.machine.steal),
            r.machine.foreign === undefined ? '—' : formatPercent(r.machine.foreign),
            bottleneckCell(r),
          ],
    ),
    [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  )
}

function failoverTable(runs: readonly RunResult[]): string {
  const ms = (v: number | null) => (v === null ? { text: 'never', class: 'fail' } : `${formatCount(v)} ms`)
  const rows = runs.flatMap((r) => r.failover.map((f): HtmlCell[] => [r.id, f.fault, f.target, `${formatCount(f.atMs)} ms`, ms(f.detectionMs), ms(f.balancerNoticedMs), formatCount(f.failedRequests), ms(f.recoveryMs)]))
  if (rows.length === 0) return ''
  return `<h3>Failover</h3>${htmlTable(['run', 'fault', 'target', 'at', 'detection', 'balancer noticed', 'failed requests', 'recovery'], rows, [3, 6])}`
}

function trafficChecksTable(runs: readonly RunResult[]): string {
  const sticky = runs.filter((r) => r.sticky !== undefined)
  const routing = runs.filter((r) => r.routing !== undefined)
  let out = ''
  if (sticky.length > 0) {
    out += `<h3>Session stickiness</h3>${htmlTable(
      ['run', 'sessions', 'requests', 'violations', 'violation rate', 'imbalance (max/mean)'],
      sticky.map((r) => [r.id, formatCount(r.sticky!.sessions), formatCount(r.sticky!.requests), formatCount(r.sticky!.violations), formatPercent(r.sticky!.violationRate), r.sticky!.imbalance.toFixed(3)]),
      [1, 2, 3, 4, 5],
    )}`
  }
  if (routing.length > 0) {
    out += `<h3>Routing</h3>${htmlTable(
      ['run', 'checked', 'in the wrong pool'],
      routing.map((r) => [r.id, formatCount(r.routing!.checked), r.routing!.misrouted === 0 ? formatCount(0) : { text: formatCount(r.routing!.misrouted), class: 'fail' }]),
      [1, 2],
    )}`
  }
  return out
}

function warningsTable(runs: readonly RunResult[]): string {
  const rows = runs.flatMap((r) => r.warnings.map((w): HtmlCell[] => [r.id, { text: w, class: 'warn' }]))
  return rows.length === 0 ? '<p>No load-generator or machine warnings.</p>' : htmlTable(['run', 'warning'], rows)
}

/** The environment a result was measured in, as table rows. */
export function environmentRows(env: EnvironmentResult, scenario?: ResultFile['scenario']): HtmlCell[][] {
  const rows: HtmlCell[][] = [
    ['layerbench', env.layerbench + (env.git === undefined ? '' : ` (git ${env.git})`)],
    ['node', env.node],
    ['machine', `${env.cpus} × ${env.cpuModel}, ${env.memoryGiB} GiB, ${env.platform}/${env.arch}`],
    ['provider', env.provider + (env.docker === undefined ? '' : ` (Docker Engine ${env.docker})`)],
    ['engine', env.engine],
    ...Object.entries(env.peers).map(([name, version]): HtmlCell[] => [name, version]),
    ['mode', env.quick ? 'quick (CI durations)' : 'full'],
    ['measured', `${env.startedAt} → ${env.finishedAt}`],
  ]
  if (scenario !== undefined) rows.push(['scenario file', { html: `<code>${escapeHtml(scenario.file)}</code> sha256 <code>${escapeHtml(scenario.hash.slice(0, 16))}</code>` }])
  return rows
}

/** Rows of a comparison with a baseline, as an HTML table (only rows that are not unchanged, the rest folded); `intro` is markup put under the heading. */
export function comparisonSection(rows: readonly ComparisonRow[], intro = ''): string {
  // Rows of several scenarios (the index) name their scenario; a scenario's own page need not.
  const many = new Set(rows.map((r) => r.scenario)).size > 1
  const table = (list: readonly ComparisonRow[]) =>
    htmlTable(
      [...(many ? ['scenario'] : []), 'variant', 'metric', 'baseline', 'current', 'change', 'p', 'ratio 95% CI', 'verdict', 'why'],
      list.map((r) => {
        const x = rowCells(r)
        return [...(many ? [x.scenario] : []), x.variant, x.metric, x.baseline, x.current, x.change, x.p, x.interval, { text: x.verdict, class: `verdict-${r.verdict}` }, x.reason]
      }),
      (many ? [3, 4, 5, 6, 7] : [2, 3, 4, 5, 6]),
    )
  const changed = rows.filter((r) => r.verdict !== 'unchanged')
  const rest = rows.length - changed.length
  return `<h2 id="baseline">Against the baseline</h2>${intro}${rows.length === 0 ? '<p>Nothing in common with the baseline.</p>' : changed.length === 0 ? '<p>No change beyond the run-to-run noise.</p>' : table(changed)}${rest > 0 ? `<details><summary>${rest} unchanged</summary>${table(rows.filter((r) => r.verdict === 'unchanged'))}</details>` : ''}`
}

/** A whole comparison with a baseline: its verdict counts and notes above the rows (index and comparison pages). */
export function suiteComparisonSection(c: Comparison): string {
  return comparisonSection(c.rows, `<p>${escapeHtml(verdictCounts(c))}</p>${c.notes.map((n) => `<p class="warn">note: ${escapeHtml(n)}</p>`).join('')}`)
}

/**
 * One scenario's report page, leading with the answer: the scenario's question, the verdicts (its
 * claims, its expectations as a count with the failures named) and the headline chart, with the
 * page's data to download. Then the key figures per variant (medians with their range over
 * repeats), the failed expectations (every check folded below), the other charts, failover and
 * traffic checks, every run with its CPU and machine noise, warnings, and the environment.
 * Pure: the same result renders the same page.
 */
export function renderScenarioReport(result: ResultFile, options: ScenarioReportOptions): string {
  const charts = scenarioCharts(result)
  const headline = headlineChart(charts)
  const runs = result.runs
  const skipped = runs.filter((r) => r.skipped !== undefined).length
  const downloads: PageDownload[] = [
    { id: 'result', file: `${result.scenario.name}-result.json`, type: 'application/json', text: JSON.stringify(result, null, 2) + '\n' },
    { id: 'key-figures', file: `${result.scenario.name}-key-figures.csv`, type: 'text/csv', text: keyFiguresCsv(result) },
  ]
  const data =
    `<p class="downloads">Data of this page (carried inside it, no network needed): ${downloadLink(downloads[0]!, 'result.json')} ${downloadLink(downloads[1]!, 'key figures (CSV)')}` +
    ` · ${runs.length} run${runs.length === 1 ? '' : 's'} of ${aggregateRuns(result).length} variant(s)${skipped > 0 ? `, ${skipped} skipped` : ''}</p>`
  const rest = charts.filter((c) => c !== headline)
  const body = [
    options.indexHref === undefined ? '' : `<nav class="crumbs"><a href="${escapeHtml(options.indexHref)}">← all scenarios</a></nav>`,
    `<h1>${escapeHtml(result.scenario.name)}</h1>`,
    result.scenario.tags.length === 0 ? '' : `<p class="tags">${result.scenario.tags.map((t) => `<span>${escapeHtml(t)}</span>`).join('')}</p>`,
    answerSection(result, headline, data),
    '<h2>Key figures</h2>',
    '<p>Medians over the repeats, with their range (min–max) when there are several; latency as measured by the load generator (µs resolution), “corrected” from each request’s intended send time.</p>',
    keyFiguresTable(result),
    '<h2>Expectations</h2>',
    expectationsSection(result),
    options.comparison === undefined ? '' : comparisonSection(options.comparison),
    rest.length === 0 ? '' : '<h2>Charts</h2>',
    ...rest.map((c) => chartSlot(c.id)),
    failoverTable(runs),
    trafficChecksTable(runs),
    '<h2>Runs</h2>',
    '<p>One row per run (not summarised over repeats). CPU time per request is the stable figure on a shared machine; steal and foreign load say how much the machine was disturbed while measuring.</p>',
    runsTable(runs),
    timingSection(runs),
    '<h2>Warnings</h2>',
    warningsTable(runs),
    '<h2>Environment</h2>',
    htmlTable(['', ''], environmentRows(result.environment, result.scenario)),
    `<footer>layerbench result schema ${escapeHtml(result.schema)} · re-render with <code>layerbench report result.json</code></footer>`,
  ]
  return htmlDocument({ title: `${result.scenario.name} · layerbench`, body: body.join('\n'), charts, runtime: options.runtime, downloads })
}
