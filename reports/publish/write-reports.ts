import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { claimsMarkdown, claimsSection } from '../claims/claims-section.js'
import { claimDefinitions, evaluateClaims, type ClaimContext, type ClaimOutcome } from '../claims/claims.js'
import type { Comparison } from '../compare/comparison.js'
import type { ResultFile } from '../result/result-model.js'
import { renderComparisonReport, type LabelledResults } from '../render/comparison-report.js'
import { renderIndexPage, type IndexSection } from '../render/index-page.js'
import { renderSummaryMarkdown } from '../render/markdown-summary.js'
import { renderScenarioReport } from '../render/scenario-report.js'

let runtime: string | undefined

/** vega's minified browser build, read once from the installed package and inlined into every page. */
export function vegaRuntime(): string {
  // The package exports only its module entry; the browser build sits beside it.
  runtime ??= readFileSync(join(dirname(createRequire(import.meta.url).resolve('vega')), 'vega.min.js'), 'utf8')
  return runtime
}

/** A scenario's directory name in a report: its name with anything but letters, digits, - and _ replaced. */
export function scenarioDir(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-') || 'scenario'
}

/**
 * Writes one scenario's `<out>/<scenario>/result.json` and returns its directory: `run` and
 * `simulate` call it as each scenario finishes, so a later failure loses nothing measured.
 */
export function writeScenarioResult(out: string, result: ResultFile): string {
  const dir = join(out, scenarioDir(result.scenario.name))
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'result.json'), JSON.stringify(result, null, 2) + '\n')
  return dir
}

/** What {@link writeSuiteReport} wrote, as paths. */
export interface WrittenReport {
  readonly index: string
  readonly summary: string
  readonly results: string
  readonly scenarios: readonly string[]
  /** The claims as this suite judged them. */
  readonly claims: readonly ClaimOutcome[]
}

/** The suite document written to results.json. */
export function suiteDocument(results: readonly ResultFile[]): { schema: 'layerbench/results@1'; results: readonly ResultFile[] } {
  return { schema: 'layerbench/results@1', results }
}

/**
 * Writes a suite's reports into `out`: `<scenario>/result.json` and `<scenario>/report.html` for
 * each result, `index.html` (with the claims page when the suite measured a claim), `summary.md`
 * (for a CI job summary) and `results.json`.
 */
export function writeSuiteReport(
  out: string,
  results: readonly ResultFile[],
  options: {
    comparison?: Comparison
    sections?: readonly IndexSection[]
    /** Each `<scenario>/result.json` is already there (written as it was measured). */
    scenarioResultsWritten?: boolean
    /** What the user set for the claims (the price of a core-hour). */
    claimContext?: ClaimContext
  } = {},
): WrittenReport {
  mkdirSync(out, { recursive: true })
  const scenarios: string[] = []
  for (const result of results) {
    const dir = options.scenarioResultsWritten === true ? join(out, scenarioDir(result.scenario.name)) : writeScenarioResult(out, result)
    const rows = options.comparison?.rows.filter((r) => r.scenario === result.scenario.name)
    const page = join(dir, 'report.html')
    writeFileSync(page, renderScenarioReport(result, { runtime: vegaRuntime(), indexHref: '../index.html', ...(rows === undefined ? {} : { comparison: rows }) }))
    scenarios.push(page)
  }
  const paths = { index: join(out, 'index.html'), summary: join(out, 'summary.md'), results: join(out, 'results.json') }
  const hrefOf = (name: string) => `${scenarioDir(name)}/report.html`
  // The claims page appears when the suite measured at least one claim (a user's own suite may measure none).
  // Claims are about what a machine measured: a simulation's balancer CPU is an input, not a
  // measurement, and it models no TLS.
  const claims = evaluateClaims(
    results.filter((r) => r.environment.provider !== 'simulator'),
    claimDefinitions,
    options.claimContext ?? {},
  )
  const measured = claims.some((c) => c.verdict !== 'not measured' && c.verdict !== 'not measurable here')
  const sections = [...(measured ? [claimsSection(claims, hrefOf)] : []), ...(options.sections ?? [])]
  writeFileSync(paths.results, JSON.stringify(suiteDocument(results), null, 2) + '\n')
  writeFileSync(paths.summary, renderSummaryMarkdown(results, options.comparison) + (measured ? `\n${claimsMarkdown(claims)}` : ''))
  writeFileSync(
    paths.index,
    renderIndexPage(results, {
      runtime: vegaRuntime(),
      hrefOf,
      ...(options.comparison === undefined ? {} : { comparison: options.comparison }),
      sections,
    }),
  )
  return { ...paths, scenarios, claims }
}

/** Writes a comparison report of several labelled results to `file`. */
export function writeComparisonReport(file: string, sides: readonly LabelledResults[], comparison?: Comparison): string {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, renderComparisonReport(sides, { runtime: vegaRuntime(), ...(comparison === undefined ? {} : { comparison }) }))
  return file
}
