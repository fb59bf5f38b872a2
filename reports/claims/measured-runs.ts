import type { ResultFile, RunResult } from '../result/result-model.js'

/** Matrix entries a run must have, compared as text (`{ layer: 'l4', balancer: 'engine' }`). */
export type VariantMatch = Readonly<Record<string, string>>

/** The result of the named scenario, if the suite ran it. */
export function scenarioResult(results: readonly ResultFile[], name: string): ResultFile | undefined {
  return results.find((r) => r.scenario.name === name)
}

/** Measured (not skipped) runs whose variant has every given entry. */
export function runsWhere(result: ResultFile | undefined, match: VariantMatch): RunResult[] {
  if (result === undefined) return []
  return result.runs.filter((r) => r.skipped === undefined && Object.entries(match).every(([k, v]) => r.variant[k] !== undefined && String(r.variant[k]) === v))
}

/** Median of a metric over runs (lower middle for an even count, as the reports do); undefined without values. */
export function medianOf(runs: readonly RunResult[], value: (r: RunResult) => number | null | undefined): number | undefined {
  const values = runs.map(value).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v)).sort((a, b) => a - b)
  return values.length === 0 ? undefined : values[Math.floor((values.length - 1) / 2)]
}

/** The expectations of these runs with this exact name: how many there were and how many held. */
export function expectationTally(runs: readonly RunResult[], name: string): { total: number; passed: number } {
  const found = runs.flatMap((r) => r.expectations.filter((e) => e.name === name))
  return { total: found.length, passed: found.filter((e) => e.pass).length }
}

/** Failed ÷ sent over runs. */
export function errorRate(runs: readonly RunResult[]): number | undefined {
  const sent = runs.reduce((s, r) => s + r.summary.requests.sent, 0)
  return sent === 0 ? undefined : runs.reduce((s, r) => s + r.summary.requests.failed, 0) / sent
}
