import { seededRandom } from '../../engine/balancing/random.js'
import { variantKey } from '../../reports/result/aggregate.js'
import { resultFileSchema, type ResultFile, type RunResult } from '../../reports/result/result-model.js'
import { skippedRun } from '../../reports/result/skipped-run.js'

/**
 * `count` draws of median × exp(noise · Z) with Z standard normal (Box–Muller on a seeded
 * source). Multiplicative noise keeps values positive; `median` is the distribution's median and
 * `noise` is close to the relative standard deviation for small values (0.02 ≈ ±2 %).
 */
export function noisyValues(median: number, noise: number, count: number, seed: number): number[] {
  const random = seededRandom(seed)
  return Array.from({ length: count }, () => {
    // 1 − u keeps the logarithm finite: the source can return 0, never 1.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    return median * Math.exp(noise * z)
  })
}

/** One variant of a synthetic scenario: the true medians of its metrics and the noise around them. */
export interface SyntheticVariant {
  readonly variant?: RunResult['variant']
  /** Runs of the variant (default 5). */
  readonly repeats?: number
  /** Relative run-to-run noise of every metric (default 0.02). */
  readonly noise?: number
  /**
   * Seed of the noise (default 1); metrics draw from unrelated streams derived from it. Give the
   * baseline and the current side different seeds, or their noise is the same draw.
   */
  readonly seed?: number
  readonly rps?: number
  readonly p50Us?: number
  readonly p99Us?: number
  readonly p999Us?: number
  /** Share of failed requests (default 0); noise applies to it too. */
  readonly errorRate?: number
  /** Balancer CPU per request, µs (default 40); null: not measured (a peer in a container). */
  readonly balancerCpuUs?: number | null
  /** How many of the runs (the first ones) were measured under heavy CPU steal (default 0). */
  readonly heavySteal?: number
  /** Every run was skipped, for this reason. */
  readonly skipped?: string
  /** Expectations every run of the variant reports. */
  readonly expectations?: RunResult['expectations']
}

/** A synthetic scenario: its name, variants and the environment facts the comparison looks at. */
export interface SyntheticScenario {
  readonly name: string
  readonly variants: readonly SyntheticVariant[]
  readonly hash?: string
  readonly quick?: boolean
  readonly provider?: 'process' | 'docker' | 'simulator'
  readonly cpuModel?: string
  readonly cpus?: number
}

const MEASURED_MS = 10_000

/**
 * A result file with known true values and known, seeded noise, validated against the result
 * model so it is indistinguishable from a saved run. Run ids follow the runner's
 * `<variant key> #<repeat>` form.
 */
export function syntheticResult(s: SyntheticScenario): ResultFile {
  const runs = s.variants.flatMap((v) => variantRuns(v))
  return resultFileSchema.parse({
    schema: 'layerbench/result@1',
    scenario: { name: s.name, file: `scenarios/${s.name}.yaml`, hash: s.hash ?? 'hash-1', description: `synthetic ${s.name}`, tags: ['synthetic'] },
    environment: {
      node: 'v20.20.2',
      platform: 'linux',
      arch: 'x64',
      cpuModel: s.cpuModel ?? 'Synthetic CPU @ 3.0GHz',
      cpus: s.cpus ?? 2,
      memoryGiB: 8,
      layerbench: '0.1.0',
      provider: s.provider ?? 'process',
      engine: '0.1.0',
      peers: {},
      quick: s.quick ?? false,
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:10:00.000Z',
    },
    runs,
  })
}

/** Per-repeat values of one metric of a variant, exactly as {@link syntheticResult} draws them. */
export function syntheticValues(v: SyntheticVariant, metric: 'rps' | 'p50Us' | 'p99Us' | 'p999Us' | 'errorRate' | 'balancerCpuUs'): number[] {
  const index = ['rps', 'p50Us', 'p99Us', 'p999Us', 'errorRate', 'balancerCpuUs'].indexOf(metric)
  const median = { rps: v.rps ?? 10_000, p50Us: v.p50Us ?? 1_000, p99Us: v.p99Us ?? 4_000, p999Us: v.p999Us ?? 8_000, errorRate: v.errorRate ?? 0, balancerCpuUs: v.balancerCpuUs ?? 40 }[metric]
  // Distinct streams per metric, so a change in one metric leaves the others' noise as it was.
  return noisyValues(median, v.noise ?? 0.02, v.repeats ?? 5, (v.seed ?? 1) * 101 + index)
}

function variantRuns(v: SyntheticVariant): RunResult[] {
  const variant = v.variant ?? {}
  const key = variantKey(variant)
  const rps = syntheticValues(v, 'rps')
  const p50 = syntheticValues(v, 'p50Us')
  const p99 = syntheticValues(v, 'p99Us')
  const p999 = syntheticValues(v, 'p999Us')
  const errors = syntheticValues(v, 'errorRate')
  const cpu = syntheticValues(v, 'balancerCpuUs')
  return rps.map((r, i) => {
    const id = `${key === '' ? 'run' : key} #${i + 1}`
    if (v.skipped !== undefined) return skippedSynthetic(id, variant, i + 1, v.skipped, v.expectations ?? [])
    const sent = Math.round((r * MEASURED_MS) / 1000)
    // The error rate is set through the failed count, so the run's own rate is failed / sent.
    const failed = Math.min(sent, Math.round(sent * errors[i]!))
    return {
      id,
      variant,
      repeat: i + 1,
      balancer: { implementation: 'engine', version: '0.1.0', layer: 7, protocol: 'http1' },
      provider: 'process',
      load: { generator: 'native', protocol: 'http1', mode: 'closed', connections: 32, durationMs: MEASURED_MS, warmupMs: 1000 },
      startedAt: '2025-01-01T00:00:00.000Z',
      durationMs: MEASURED_MS,
      summary: {
        rps: r,
        requests: { sent, ok: sent - failed, failed, failures: { byKind: failed > 0 ? { reset: failed } : {}, byStatus: {} } },
        latencyUs: { count: sent, min: p50[i]! / 4, mean: p50[i]! * 1.2, p50: p50[i]!, p90: (p50[i]! + p99[i]!) / 2, p99: p99[i]!, p999: p999[i]!, max: p999[i]! * 2 },
      },
      backends: { a: { group: 'pool', requests: sent - failed } },
      groups: { pool: { requests: sent - failed, share: 1 } },
      timeseries: [],
      events: [],
      failover: [],
      cpu: {
        balancerUs: v.balancerCpuUs === null ? null : cpu[i]! * sent,
        backendsUs: null,
        generatorUs: 10 * sent,
        perRequestUs: { balancer: v.balancerCpuUs === null ? null : cpu[i]!, backends: null, generator: 10 },
      },
      machine: { steal: i < (v.heavySteal ?? 0) ? 0.3 : 0.01, busy: 0.8, heavySteal: i < (v.heavySteal ?? 0) },
      expectations: v.expectations ?? [],
      warnings: [],
      histograms: {},
    }
  })
}

/** A run that could not happen, shaped as the runner writes one: zero measurements, the reason. */
function skippedSynthetic(id: string, variant: RunResult['variant'], repeat: number, reason: string, expectations: RunResult['expectations']): RunResult {
  return skippedRun(
    {
      id,
      variant,
      repeat,
      balancer: { implementation: 'haproxy', version: '', layer: 7, protocol: '' },
      provider: 'process',
      load: { generator: 'native', protocol: 'http1', mode: 'closed', connections: 32, durationMs: MEASURED_MS, warmupMs: 1000 },
      startedAt: '2025-01-01T00:00:00.000Z',
    },
    reason,
    expectations,
  )
}
