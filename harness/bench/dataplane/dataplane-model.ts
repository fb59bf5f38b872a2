import type { CpuUsage } from '../../system/cpu-stat.js'
import type { MachineFacts } from '../../system/environment.js'
import type { CertificateKind } from './bench-certificate.js'

/**
 * How the load uses the proxy: many requests on kept-alive connections (closed loop), a new
 * connection per request (closed loop, set-up and teardown included), or a low fixed rate on
 * kept-alive connections (open loop), where wake-ups and timers rather than bytes dominate.
 */
export type DataplaneMode = 'keep-alive' | 'new-connection' | 'low-rate'

/** One proxy (or none) measured in front of the same backend. */
export interface DataplaneSubject {
  readonly name: string
  /** 0 for the direct run (no proxy). */
  readonly layer: 0 | 4 | 7
  readonly description: string
  /** The subject its proxy CPU is shown as a ratio to (the filter rows: the empty chain). */
  readonly relativeTo?: string
}

/** A subject's proxy CPU per request over its reference's, repeat by repeat. */
export interface RelativeCpu {
  readonly subject: string
  readonly reference: string
  readonly ratio: Spread
}

/** One measured run of one subject. */
export interface DataplaneRun {
  readonly requests: number
  readonly errors: number
  readonly rps: number
  readonly latencyP50Us: number
  readonly latencyP99Us: number
  /** p50 and p99 over the direct run of the same repeat, µs (0 for the direct run itself). */
  readonly addedP50Us: number
  readonly addedP99Us: number
  /** CPU time of the proxy process per request, µs (0 for the direct run). */
  readonly proxyCpuPerRequestUs: number
  readonly backendCpuPerRequestUs: number
  readonly clientCpuPerRequestUs: number
  /** Low rate only: how late the client's writes left their schedule, p50 µs. */
  readonly sendLagP50Us?: number
}

/** The measured figures of a run that have a median and a spread. */
export type DataplaneFigure = Exclude<keyof DataplaneRun, 'sendLagP50Us'>

/** A figure over the repeats: the median and the range. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

/** A subject's runs, their medians and ranges. */
export interface DataplaneMeasurement extends DataplaneSubject {
  readonly runs: readonly DataplaneRun[]
  readonly median: DataplaneRun
  readonly spread: Readonly<Record<DataplaneFigure, Spread>>
}

/** The figures a target compares. */
export type TargetMetric = 'cpu' | 'p99'

/** A target: the subject's figure at most `maxRatio` times the reference's, measured in the same run. */
export interface DataplaneTarget {
  readonly modes: readonly DataplaneMode[]
  readonly subject: string
  readonly reference: string
  readonly metric: TargetMetric
  readonly maxRatio: number
}

/** A target as judged on one report: the ratio per repeat, its median and range. */
export interface JudgedTarget {
  readonly name: string
  readonly subject: string
  readonly reference: string
  readonly metric: TargetMetric
  readonly maxRatio: number
  readonly ratio: Spread
  readonly met: boolean
}

/** What was run. */
export interface DataplanePlanFacts {
  readonly mode: DataplaneMode
  readonly connections: number
  readonly requests: number
  readonly warmup: number
  readonly repeats: number
  /** Low rate only: requests per second. */
  readonly rate?: number
  /** The TLS rows, with certificates of this kind (the plain rows when absent). */
  readonly tls?: CertificateKind
}

/** The data-plane report: one model, rendered as a table and saved as JSON. */
export interface DataplaneReport {
  readonly schema: 'layerbench/dataplane-bench@2'
  readonly startedAt: string
  readonly machine: MachineFacts
  readonly cpu?: CpuUsage
  readonly plan: DataplanePlanFacts
  readonly measurements: readonly DataplaneMeasurement[]
  readonly targets: readonly JudgedTarget[]
  /** The subjects with a reference (the filter chain's rows), as ratios; absent in reports from before them. */
  readonly relative?: readonly RelativeCpu[]
  readonly warnings: readonly string[]
}

const FIGURES: readonly DataplaneFigure[] = [
  'requests',
  'errors',
  'rps',
  'latencyP50Us',
  'latencyP99Us',
  'addedP50Us',
  'addedP99Us',
  'proxyCpuPerRequestUs',
  'backendCpuPerRequestUs',
  'clientCpuPerRequestUs',
]

/** Median (the lower middle of an even count, a value actually measured) and range. */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0 }
  const v = [...values].sort((a, b) => a - b)
  return { median: v[Math.floor((v.length - 1) / 2)]!, min: v[0]!, max: v[v.length - 1]! }
}

/** A subject's measurement from its runs: each figure's median and range over the repeats. */
export function measure(subject: DataplaneSubject, runs: readonly DataplaneRun[]): DataplaneMeasurement {
  const spread = Object.fromEntries(FIGURES.map((f) => [f, spreadOf(runs.map((r) => r[f]))])) as Record<DataplaneFigure, Spread>
  const lags = runs.flatMap((r) => (r.sendLagP50Us === undefined ? [] : [r.sendLagP50Us]))
  const median = { ...(Object.fromEntries(FIGURES.map((f) => [f, spread[f].median])) as Record<DataplaneFigure, number>), ...(lags.length === 0 ? {} : { sendLagP50Us: spreadOf(lags).median }) }
  return { ...subject, runs, median, spread }
}

/** A figure of `s` over that of `ref` in the same repeat, over the repeats; undefined when no repeat has both. */
function pairedRatio(s: DataplaneMeasurement, ref: DataplaneMeasurement, f: (r: DataplaneRun) => number): Spread | undefined {
  const ratios = s.runs.flatMap((r, i) => {
    const b = ref.runs[i]
    return b === undefined || f(b) <= 0 ? [] : [f(r) / f(b)]
  })
  return ratios.length === 0 ? undefined : spreadOf(ratios)
}

/** Proxy CPU per request of every measured subject with a measured reference, as paired ratios. */
export function relativeCpu(measurements: readonly DataplaneMeasurement[]): RelativeCpu[] {
  return measurements.flatMap((s) => {
    const ref = s.relativeTo === undefined ? undefined : measurements.find((m) => m.name === s.relativeTo)
    const ratio = ref === undefined ? undefined : pairedRatio(s, ref, (r) => r.proxyCpuPerRequestUs)
    return ratio === undefined ? [] : [{ subject: s.name, reference: ref!.name, ratio }]
  })
}

const metricOf = (metric: TargetMetric) => (r: DataplaneRun) => (metric === 'cpu' ? r.proxyCpuPerRequestUs : r.latencyP99Us)

/**
 * Judges the targets that apply to the report's mode and whose subjects both ran: the ratio is
 * taken per repeat (subjects of one repeat ran minutes apart at most, in the same conditions) and
 * the target is met when the median ratio is within the limit.
 */
export function judgeTargets(targets: readonly DataplaneTarget[], mode: DataplaneMode, measurements: readonly DataplaneMeasurement[]): JudgedTarget[] {
  return targets.flatMap((t) => {
    if (!t.modes.includes(mode)) return []
    const s = measurements.find((m) => m.name === t.subject)
    const ref = measurements.find((m) => m.name === t.reference)
    if (s === undefined || ref === undefined) return []
    const ratio = pairedRatio(s, ref, metricOf(t.metric))
    if (ratio === undefined) return []
    const what = t.metric === 'cpu' ? (mode === 'new-connection' ? 'CPU per connection' : 'CPU per request') : 'p99 latency'
    return [{ name: `${t.subject} ${what} ≤ ${t.maxRatio}× ${t.reference}`, subject: t.subject, reference: t.reference, metric: t.metric, maxRatio: t.maxRatio, ratio, met: ratio.median <= t.maxRatio }]
  })
}
