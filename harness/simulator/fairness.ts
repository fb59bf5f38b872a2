import { spreadOf } from '../runner/fairness.js'

/** How evenly a quantity is spread over backends, as the simulator reports it (see `Spread`). */
export interface Fairness {
  readonly jain: number
  /** Largest and smallest value over the mean (1 and 1 when perfectly even). */
  readonly maxOverMean: number
  readonly minOverMean: number
}

/**
 * Fairness of `values` (e.g. requests per unit of weight, one per backend). An empty or all-zero
 * list counts as perfectly fair.
 */
export function fairness(values: ArrayLike<number>): Fairness {
  const s = spreadOf(values)
  return s === undefined ? { jain: 1, maxOverMean: 1, minOverMean: 1 } : { jain: s.jain, maxOverMean: s.maxOverMean, minOverMean: s.minOverMean }
}

/** Mean, min, median, 99th percentile and max of a list (nearest rank). */
export interface AcrossBackends {
  readonly mean: number
  readonly min: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** Summarises one quantity across backends. */
export function acrossBackends(values: readonly number[]): AcrossBackends {
  if (values.length === 0) return { mean: 0, min: 0, p50: 0, p99: 0, max: 0 }
  const sorted = Float64Array.from(values).sort()
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
  let sum = 0
  for (const v of sorted) sum += v
  return { mean: sum / sorted.length, min: sorted[0]!, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! }
}
