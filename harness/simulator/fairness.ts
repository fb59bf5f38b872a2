/** How evenly a quantity is spread over backends. */
export interface Fairness {
  /** Jain's index (Σx)² / (n·Σx²): 1 when all equal, 1/n when one backend takes everything. */
  readonly jain: number
  /** Largest and smallest value over the mean (1 and 1 when perfectly even). */
  readonly maxOverMean: number
  readonly minOverMean: number
}

/**
 * Fairness of `values` (e.g. requests per unit of weight, one per backend). Jain, Chiu & Hawe,
 * "A quantitative measure of fairness and discrimination for resource allocation in shared
 * computer systems" (DEC-TR-301, 1984). An empty or all-zero list counts as perfectly fair.
 */
export function fairness(values: ArrayLike<number>): Fairness {
  const n = values.length
  let sum = 0
  let squares = 0
  let max = -Infinity
  let min = Infinity
  for (let i = 0; i < n; i++) {
    const x = values[i]!
    sum += x
    squares += x * x
    if (x > max) max = x
    if (x < min) min = x
  }
  if (n === 0 || sum === 0) return { jain: 1, maxOverMean: 1, minOverMean: 1 }
  const mean = sum / n
  return { jain: (sum * sum) / (n * squares), maxOverMean: max / mean, minOverMean: min / mean }
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
