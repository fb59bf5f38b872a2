/** How evenly requests spread over backends. */
export interface Fairness {
  /** The busiest backend's count over the mean: 1 is perfectly even, N is everything on one of N. */
  readonly maxOverMean: number
  /** Coefficient of variation: population standard deviation over the mean (0 is perfectly even). */
  readonly cv: number
}

/**
 * Fairness of per-backend request counts (every backend of the run, those that got nothing
 * included). Undefined without backends or requests. Pure.
 */
export function fairnessOf(counts: readonly number[]): Fairness | undefined {
  const n = counts.length
  if (n === 0) return undefined
  const mean = counts.reduce((a, b) => a + b, 0) / n
  if (mean === 0) return undefined
  const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / n
  return { maxOverMean: Math.max(...counts) / mean, cv: Math.sqrt(variance) / mean }
}
