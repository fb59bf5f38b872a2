import { gammaQ } from './gamma.js'

/** Result of Pearson's χ² goodness-of-fit test. */
export interface ChiSquareResult {
  /** Σ (observed − expected)² / expected. */
  readonly statistic: number
  readonly degreesOfFreedom: number
  /** Probability of a statistic at least this large if the counts follow the expected shares. */
  readonly pValue: number
}

/**
 * Pearson's χ² test of observed counts against expected shares (any positive numbers; they are
 * normalised). Categories with an expected share of 0 must have no observations; they are left
 * out of the degrees of freedom. The p-value is Q(df/2, χ²/2).
 */
export function chiSquareTest(observed: readonly number[], expectedShares: readonly number[]): ChiSquareResult {
  if (observed.length !== expectedShares.length) throw new RangeError('observed and expected differ in length')
  const total = observed.reduce((a, b) => a + b, 0)
  const shareSum = expectedShares.reduce((a, b) => a + b, 0)
  let statistic = 0
  let categories = 0
  for (let i = 0; i < observed.length; i++) {
    const expected = (total * expectedShares[i]!) / shareSum
    if (expected === 0) {
      if (observed[i]! > 0) return { statistic: Infinity, degreesOfFreedom: Math.max(categories, 1), pValue: 0 }
      continue
    }
    categories++
    statistic += (observed[i]! - expected) ** 2 / expected
  }
  const degreesOfFreedom = Math.max(categories - 1, 1)
  return { statistic, degreesOfFreedom, pValue: gammaQ(degreesOfFreedom / 2, statistic / 2) }
}
