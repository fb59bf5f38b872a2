/** How evenly requests spread over backends. */
export interface Fairness {
  /** The busiest backend's count over the mean: 1 is perfectly even, N is everything on one of N. */
  readonly maxOverMean: number
  /** Coefficient of variation: population standard deviation over the mean (0 is perfectly even). */
  readonly cv: number
}

/** Every measure of how evenly a quantity spreads over backends that the results report. */
export interface Spread {
  readonly maxOverMean: number
  readonly minOverMean: number
  /** Population standard deviation over the mean. */
  readonly cv: number
  /**
   * Jain's index (Σx)² / (n·Σx²): 1 when all are equal, 1/n when one backend takes everything.
   * Jain, Chiu & Hawe, "A quantitative measure of fairness and discrimination for resource
   * allocation in shared computer systems" (DEC-TR-301, 1984).
   */
  readonly jain: number
}

/** The spread of `values` (one per backend), or undefined when there are none or they sum to 0. Pure. */
export function spreadOf(values: ArrayLike<number>): Spread | undefined {
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
  if (n === 0 || sum === 0) return undefined
  const mean = sum / n
  // The variance from deviations, not from Σx² − n·mean², which loses digits when counts are large.
  let deviations = 0
  for (let i = 0; i < n; i++) deviations += (values[i]! - mean) ** 2
  return { maxOverMean: max / mean, minOverMean: min / mean, cv: Math.sqrt(deviations / n) / mean, jain: (sum * sum) / (n * squares) }
}

/**
 * Fairness of per-backend request counts (every backend of the run, those that got nothing
 * included). Undefined without backends or requests. Pure.
 */
export function fairnessOf(counts: readonly number[]): Fairness | undefined {
  const s = spreadOf(counts)
  return s === undefined ? undefined : { maxOverMean: s.maxOverMean, cv: s.cv }
}
