import { median } from './quantile.js'

/** A distribution-free confidence interval for a population median, from order statistics. */
export interface MedianInterval {
  /** The sample median. */
  readonly median: number
  readonly lower: number
  readonly upper: number
  /** Coverage actually achieved (order statistics give only certain levels; 5 values: 93.75%). */
  readonly confidence: number
  /** Values it was computed from. */
  readonly n: number
}

/** P(Bin(n, ½) ≤ k), exactly for the sizes a suite has (n ≤ ~1000). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 2 ** -n
  let sum = 0
  for (let i = 0; i <= k; i++) {
    sum += term
    term = (term * (n - i)) / (i + 1)
  }
  return sum
}

/** Coverage of [x₍ₖ₎, x₍ₙ₋ₖ₊₁₎] for the median: 1 − 2·P(Bin(n, ½) ≤ k − 1). */
export function orderStatisticCoverage(n: number, k: number): number {
  return 1 - 2 * binomialHalfCdf(n, k - 1)
}

/**
 * The sign-test confidence interval for the median (Hollander & Wolfe, Nonparametric Statistical
 * Methods, §3.6): with x sorted, [x₍ₖ₎, x₍ₙ₋ₖ₊₁₎] covers the population median with probability
 * 1 − 2·P(Bin(n, ½) ≤ k − 1), whatever the distribution, as long as the values are independent.
 * k is the largest giving at least `confidence`; when even the full range (k = 1) falls short —
 * fewer than 6 values for 95% — the range is returned with the coverage it has.
 */
export function medianInterval(values: readonly number[], confidence = 0.95): MedianInterval {
  if (values.length === 0) throw new RangeError('a median interval needs at least one value')
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('a median interval needs finite values')
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  let k = 1
  while (k + 1 <= Math.floor((n + 1) / 2) && orderStatisticCoverage(n, k + 1) >= confidence) k++
  return { median: median(sorted), lower: sorted[k - 1]!, upper: sorted[n - k]!, confidence: n === 1 ? 0 : orderStatisticCoverage(n, k), n }
}

/** The fewest values whose full range is a median interval of at least this coverage (95%: 6). */
export function repeatsForCoverage(confidence: number): number {
  let n = 1
  while (orderStatisticCoverage(n, 1) < confidence) n++
  return n
}

/**
 * Repeats that would narrow an interval of half-width `halfWidth` (from n values) until it clears
 * a threshold `distance` away from its centre, assuming the width shrinks as 1/√n. A planning
 * figure, not a promise: the noise of the next runs is not known.
 */
export function repeatsToResolve(n: number, halfWidth: number, distance: number, atLeast: number): number {
  if (!(distance > 0)) return Number.POSITIVE_INFINITY
  if (!(halfWidth > 0)) return Math.max(n, atLeast)
  return Math.max(atLeast, n + 1, Math.ceil(n * (halfWidth / distance) ** 2))
}
