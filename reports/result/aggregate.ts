import type { ResultFile, RunResult } from './result-model.js'

/** A metric over the repeats of one variant: median and spread. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly values: readonly number[]
}

/** The repeats of one variant, summarised. */
export interface VariantAggregate {
  readonly key: string
  readonly variant: RunResult['variant']
  readonly runs: readonly RunResult[]
  readonly skipped?: string
  readonly rps: Spread
  readonly p50Us: Spread
  readonly p99Us: Spread
  readonly p999Us: Spread
  readonly errorRate: Spread
  readonly balancerCpuPerRequestUs?: Spread
  readonly expectationsPassed: number
  readonly expectationsTotal: number
}

/** Median (lower of the two middle values for an even count), min and max. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  return { median: sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, values }
}

/** A stable key for a variant: its label entries in order. */
export function variantKey(variant: RunResult['variant']): string {
  return Object.entries(variant)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}

/** Groups a result's runs by variant (in first-seen order) and summarises each over its repeats. */
export function aggregateRuns(result: ResultFile): VariantAggregate[] {
  const byKey = new Map<string, RunResult[]>()
  for (const r of result.runs) byKey.set(variantKey(r.variant), [...(byKey.get(variantKey(r.variant)) ?? []), r])
  return [...byKey.entries()].map(([key, runs]) => {
    const measured = runs.filter((r) => r.skipped === undefined)
    const cpu = measured.map((r) => r.cpu.perRequestUs.balancer).filter((x): x is number => x !== null)
    const expectations = runs.flatMap((r) => r.expectations)
    return {
      key,
      variant: runs[0]!.variant,
      runs,
      ...(measured.length === 0 ? { skipped: runs[0]!.skipped ?? 'skipped' } : {}),
      rps: spread(measured.map((r) => r.summary.rps)),
      p50Us: spread(measured.map((r) => r.summary.latencyUs.p50)),
      p99Us: spread(measured.map((r) => r.summary.latencyUs.p99)),
      p999Us: spread(measured.map((r) => r.summary.latencyUs.p999)),
      errorRate: spread(measured.map((r) => (r.summary.requests.sent === 0 ? 0 : r.summary.requests.failed / r.summary.requests.sent))),
      ...(cpu.length === 0 ? {} : { balancerCpuPerRequestUs: spread(cpu) }),
      expectationsPassed: expectations.filter((e) => e.pass).length,
      expectationsTotal: expectations.length,
    }
  })
}
