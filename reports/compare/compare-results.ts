import { variantKey } from '../result/aggregate.js'
import type { ResultFile, RunResult } from '../result/result-model.js'
import { resolveGateOptions, type Comparison, type ComparisonRow, type ExpectationFailure, type GateOptions } from './comparison.js'
import { decideMetric } from './metric-decision.js'
import { metrics } from './metrics.js'

/** One scenario's runs on one side, grouped by variant. */
interface ScenarioSide {
  readonly result: ResultFile
  /** Variant match key → display key and runs, in first-seen order. */
  readonly variants: Map<string, { key: string; runs: RunResult[] }>
}

/**
 * Compares current results with a baseline: runs are matched by scenario name and variant, and
 * every metric of every matched variant is judged against the run-to-run noise (see
 * {@link decideMetric}). Scenarios and variants found on one side only are reported as missing or
 * new, never as regressions. Failed expectations of the current results are carried along.
 */
export function compareResults(baseline: readonly ResultFile[], current: readonly ResultFile[], options: GateOptions = {}): Comparison {
  const resolved = resolveGateOptions(options)
  const before = byScenario(baseline)
  const after = byScenario(current)
  const rows: ComparisonRow[] = []
  const notes: string[] = []

  for (const [name, now] of after) {
    const then = before.get(name)
    if (then === undefined) {
      rows.push({ scenario: name, variant: null, metric: null, verdict: 'new', reason: 'scenario not in the baseline' })
      continue
    }
    notes.push(...scenarioNotes(name, then.result, now.result))
    for (const [match, { key, runs }] of now.variants) {
      const old = then.variants.get(match)
      if (old === undefined) rows.push({ scenario: name, variant: key, metric: null, verdict: 'new', reason: 'variant not in the baseline' })
      else rows.push(...compareVariant(name, key, old.runs, runs, resolved))
    }
    for (const [match, { key }] of then.variants) {
      if (!now.variants.has(match)) rows.push({ scenario: name, variant: key, metric: null, verdict: 'missing', reason: 'variant not in the current results' })
    }
  }
  for (const name of before.keys()) {
    if (!after.has(name)) rows.push({ scenario: name, variant: null, metric: null, verdict: 'missing', reason: 'scenario not in the current results' })
  }

  return { rows, expectationFailures: expectationFailures(current), notes, options: resolved }
}

function compareVariant(scenario: string, variant: string, baselineRuns: readonly RunResult[], currentRuns: readonly RunResult[], options: Comparison['options']): ComparisonRow[] {
  const measuredBefore = baselineRuns.filter((r) => r.skipped === undefined)
  const measuredNow = currentRuns.filter((r) => r.skipped === undefined)
  const at = { scenario, variant, metric: null }
  if (measuredNow.length === 0 && measuredBefore.length === 0) return [{ ...at, verdict: 'unchanged', reason: `skipped on both sides: ${currentRuns[0]?.skipped ?? ''}` }]
  if (measuredNow.length === 0) return [{ ...at, verdict: 'missing', reason: `skipped now: ${currentRuns[0]?.skipped ?? ''}` }]
  if (measuredBefore.length === 0) return [{ ...at, verdict: 'new', reason: `skipped in the baseline: ${baselineRuns[0]?.skipped ?? ''}` }]

  const runs = [...measuredBefore, ...measuredNow]
  const noisyRuns = runs.filter((r) => r.machine.heavySteal).length
  const rows: ComparisonRow[] = []
  for (const metric of metrics) {
    const before = values(measuredBefore, metric.value)
    const now = values(measuredNow, metric.value)
    // A metric one side did not measure (no balancer CPU for a peer in a container) is left out.
    if (before.length === 0 || now.length === 0) continue
    const decision = decideMetric(metric, { baseline: before, current: now, noisyRuns, totalRuns: runs.length }, options)
    rows.push({ scenario, variant, metric: metric.id, ...decision })
  }
  return rows
}

function values(runs: readonly RunResult[], value: (run: RunResult) => number | null): number[] {
  return runs.map(value).filter((v): v is number => v !== null && Number.isFinite(v))
}

/** Results by scenario name (several files of one scenario are merged), variants by label set. */
function byScenario(results: readonly ResultFile[]): Map<string, ScenarioSide> {
  const out = new Map<string, ScenarioSide>()
  for (const result of results) {
    const side = out.get(result.scenario.name) ?? { result, variants: new Map() }
    out.set(result.scenario.name, side)
    for (const run of result.runs) {
      // Matching ignores the order of the labels; the key shown is the one first seen.
      const match = JSON.stringify(Object.entries(run.variant).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      const entry = side.variants.get(match) ?? { key: variantKey(run.variant), runs: [] }
      side.variants.set(match, entry)
      entry.runs.push(run)
    }
  }
  return out
}

function scenarioNotes(name: string, before: ResultFile, after: ResultFile): string[] {
  const notes: string[] = []
  if (before.scenario.hash !== after.scenario.hash) notes.push(`${name}: the scenario file changed since the baseline`)
  if (before.environment.quick !== after.environment.quick) notes.push(`${name}: baseline ${before.environment.quick ? 'quick' : 'full'}, current ${after.environment.quick ? 'quick' : 'full'}`)
  if (before.environment.provider !== after.environment.provider) notes.push(`${name}: baseline on the ${before.environment.provider} provider, current on ${after.environment.provider}`)
  if (before.environment.cpuModel !== after.environment.cpuModel || before.environment.cpus !== after.environment.cpus) {
    notes.push(`${name}: measured on another machine (baseline ${before.environment.cpus} × ${before.environment.cpuModel}, current ${after.environment.cpus} × ${after.environment.cpuModel})`)
  }
  return notes
}

function expectationFailures(results: readonly ResultFile[]): ExpectationFailure[] {
  return results.flatMap((result) =>
    result.runs.flatMap((run) =>
      run.expectations
        .filter((e) => !e.pass)
        .map((e) => ({ scenario: result.scenario.name, variant: variantKey(run.variant), run: run.id, name: e.name, expected: e.expected, actual: e.actual })),
    ),
  )
}
