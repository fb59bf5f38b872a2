import { crossScenarioChart } from '../charts/cross-scenario.js'
import type { Comparison } from '../compare/comparison.js'
import { verdictCounts } from '../compare/row-format.js'
import { aggregateRuns } from '../result/aggregate.js'
import { spreadText } from './key-figures.js'
import type { EnvironmentResult, ResultFile } from '../result/result-model.js'
import { formatCount, formatUs } from './format.js'
import { chartSlot, escapeHtml, htmlDocument, type PageChart } from './html-document.js'
import { htmlTable, type HtmlCell } from './html-table.js'
import { environmentRows, suiteComparisonSection } from './scenario-report.js'

/** A section a caller adds to the index (the claims page, a simulation beside its live run). */
export interface IndexSection {
  readonly id: string
  readonly title: string
  readonly html: string
  readonly charts?: readonly PageChart[]
}

/** Options of {@link renderIndexPage}. */
export interface IndexPageOptions {
  readonly runtime: string
  /** Href of a scenario's report page, relative to the index. */
  readonly hrefOf: (scenario: string) => string
  readonly comparison?: Comparison
  readonly sections?: readonly IndexSection[]
  readonly title?: string
}

/**
 * The suite's environments: one per distinct machine, runtime and provider, with the peers of all
 * its scenarios together and the span from the first start to the last finish.
 */
export function suiteEnvironments(results: readonly ResultFile[]): EnvironmentResult[] {
  const byKey = new Map<string, EnvironmentResult>()
  for (const { environment: e } of results) {
    const key = JSON.stringify([e.node, e.platform, e.arch, e.cpuModel, e.cpus, e.layerbench, e.git, e.provider, e.docker, e.engine, e.quick])
    const seen = byKey.get(key)
    byKey.set(
      key,
      seen === undefined
        ? e
        : { ...seen, peers: { ...seen.peers, ...e.peers }, startedAt: seen.startedAt < e.startedAt ? seen.startedAt : e.startedAt, finishedAt: seen.finishedAt > e.finishedAt ? seen.finishedAt : e.finishedAt },
    )
  }
  return [...byKey.values()]
}

/** The first sentence of a description, for a table cell. */
export function firstSentence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ')
  const end = trimmed.search(/[.!?](\s|$)/)
  return end === -1 ? trimmed : trimmed.slice(0, end + 1)
}

function scenarioRow(result: ResultFile, href: string): HtmlCell[] {
  const aggregates = aggregateRuns(result)
  const measured = aggregates.filter((a) => a.skipped === undefined)
  const expectations = result.runs.flatMap((r) => r.expectations)
  const passed = expectations.filter((e) => e.pass).length
  const warnings = new Set(result.runs.flatMap((r) => r.warnings)).size
  const best = measured.length === 0 ? undefined : measured.reduce((a, b) => (b.rps.median > a.rps.median ? b : a))
  const lowest = measured.length === 0 ? undefined : measured.reduce((a, b) => (b.p99Us.median < a.p99Us.median ? b : a))
  return [
    { html: `<a href="${escapeHtml(href)}">${escapeHtml(result.scenario.name)}</a>` },
    firstSentence(result.scenario.description),
    String(aggregates.length),
    String(result.runs.length),
    best === undefined ? '—' : spreadText(best.rps, formatCount),
    lowest === undefined ? '—' : spreadText(lowest.p99Us, formatUs),
    expectations.length === 0 ? '—' : { text: `${passed === expectations.length ? '✓' : '✗'} ${passed}/${expectations.length}`, class: passed === expectations.length ? 'pass' : 'fail' },
    warnings === 0 ? '0' : { text: String(warnings), class: 'warn' },
  ]
}

/**
 * The suite's index page: the headline (expectations held, regressions against a baseline), a
 * table of every scenario linking to its report, throughput and p99 of every variant across
 * scenarios, the comparison with the baseline, the caller's sections, and the environment.
 */
export function renderIndexPage(results: readonly ResultFile[], options: IndexPageOptions): string {
  const runs = results.flatMap((r) => r.runs)
  const expectations = runs.flatMap((r) => r.expectations)
  const passed = expectations.filter((e) => e.pass).length
  const charts: PageChart[] = []
  const cross = crossScenarioChart(results)
  if (cross !== undefined) charts.push({ id: 'cross-scenario', spec: cross })
  for (const s of options.sections ?? []) charts.push(...(s.charts ?? []))
  const c = options.comparison
  const regressions = c?.rows.filter((r) => r.verdict === 'regression').length ?? 0
  const headline = [
    `${results.length} scenario${results.length === 1 ? '' : 's'}, ${runs.length} run${runs.length === 1 ? '' : 's'}`,
    expectations.length === 0 ? 'no expectations' : `<span class="${passed === expectations.length ? 'pass' : 'fail'}">${passed}/${expectations.length} expectations held</span>`,
    c === undefined ? '' : `against the baseline: <a href="#baseline" class="${regressions > 0 ? 'fail' : 'pass'}">${escapeHtml(verdictCounts(c))}</a>`,
  ].filter((x) => x !== '')
  const environments = suiteEnvironments(results)
  const nav = [['scenarios', 'Scenarios'], ...(cross === undefined ? [] : [['across', 'Across scenarios']]), ...(c === undefined ? [] : [['baseline', 'Against the baseline']]), ...(options.sections ?? []).map((s) => [s.id, s.title]), ['environment', 'Environment']]
  const body = [
    `<h1>${escapeHtml(options.title ?? 'layerbench results')}</h1>`,
    `<p class="headline">${headline.join(' · ')}</p>`,
    `<nav class="crumbs">${nav.map(([id, title]) => `<a href="#${escapeHtml(id!)}">${escapeHtml(title!)}</a>`).join(' · ')}</nav>`,
    '<h2 id="scenarios">Scenarios</h2>',
    htmlTable(['scenario', 'what it measures', 'variants', 'runs', 'best req/s', 'lowest p99', 'expectations', 'warnings'], results.map((r) => scenarioRow(r, options.hrefOf(r.scenario.name))), [2, 3, 4, 5]),
    cross === undefined ? '' : `<h2 id="across">Across scenarios</h2><p>Throughput and p99 of every variant (medians over repeats); each scenario has its own load, so compare within a row.</p>${chartSlot('cross-scenario')}`,
    c === undefined ? '' : suiteComparisonSection(c),
    ...(options.sections ?? []).map((s) => `<h2 id="${escapeHtml(s.id)}">${escapeHtml(s.title)}</h2>${s.html}`),
    '<h2 id="environment">Environment</h2>',
    ...environments.map((env) => htmlTable(['', ''], environmentRows(env))),
  ]
  return htmlDocument({ title: options.title ?? 'layerbench results', body: body.join('\n'), charts, runtime: options.runtime })
}
