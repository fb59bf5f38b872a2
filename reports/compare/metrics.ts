import type { RunResult } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs } from '../render/format.js'

/** A figure the regression gate compares. */
export type Metric = 'rps' | 'p50' | 'p99' | 'p999' | 'errorRate' | 'balancerCpu'

/** The metrics whose change is judged relative to the baseline median. */
export type RelativeMetric = Exclude<Metric, 'errorRate'>

/** What a metric is, which way is better, and how its change is measured. */
export interface MetricDefinition {
  readonly id: Metric
  readonly label: string
  readonly better: 'higher' | 'lower'
  /**
   * `relative`: (current − baseline) / baseline of the medians; `points`: current − baseline in
   * percentage points (a rate near zero has no useful relative change).
   */
  readonly change: 'relative' | 'points'
  /** The run's value, or null when the run did not measure it. */
  readonly value: (run: RunResult) => number | null
  readonly format: (value: number) => string
}

/** The compared metrics, in report order. */
export const metrics: readonly MetricDefinition[] = [
  { id: 'rps', label: 'req/s', better: 'higher', change: 'relative', value: (r) => r.summary.rps, format: formatCount },
  { id: 'p50', label: 'p50', better: 'lower', change: 'relative', value: (r) => r.summary.latencyUs.p50, format: formatUs },
  { id: 'p99', label: 'p99', better: 'lower', change: 'relative', value: (r) => r.summary.latencyUs.p99, format: formatUs },
  { id: 'p999', label: 'p99.9', better: 'lower', change: 'relative', value: (r) => r.summary.latencyUs.p999, format: formatUs },
  {
    id: 'errorRate',
    label: 'errors',
    better: 'lower',
    change: 'points',
    value: (r) => (r.summary.requests.sent === 0 ? 0 : r.summary.requests.failed / r.summary.requests.sent),
    format: formatPercent,
  },
  { id: 'balancerCpu', label: 'LB CPU/req', better: 'lower', change: 'relative', value: (r) => r.cpu.perRequestUs.balancer, format: formatUs },
]

/** The definition of one metric. */
export function metricDefinition(id: Metric): MetricDefinition {
  return metrics.find((m) => m.id === id)!
}
