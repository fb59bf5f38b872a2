import { describe, expect, it } from 'vitest'
import { chiSquareTest } from '../../../reports/statistics/chi-square.js'
import { gammaP, gammaQ, logGamma } from '../../../reports/statistics/gamma.js'

describe('incomplete gamma and χ²', () => {
  it.each([
    [1, 0],
    [2, 0],
    [5, Math.log(24)],
    [0.5, Math.log(Math.sqrt(Math.PI))],
    [10.5, Math.log(1133278.3889487855)],
  ])('lnΓ(%f) = %f', (x, expected) => {
    expect(logGamma(x)).toBeCloseTo(expected, 10)
  })

  it('P(1, x) = 1 − e^−x and P + Q = 1', () => {
    for (const x of [0.01, 0.5, 1, 3, 10, 40]) {
      expect(gammaP(1, x)).toBeCloseTo(1 - Math.exp(-x), 12)
      expect(gammaP(3.5, x) + gammaQ(3.5, x)).toBeCloseTo(1, 12)
    }
  })

  it.each([
    // df, statistic, p-value from standard χ² tables
    [1, 3.841, 0.05],
    [1, 6.635, 0.01],
    [2, 5.991, 0.05],
    [4, 9.488, 0.05],
    [9, 21.666, 0.01],
    [99, 123.225, 0.05],
  ])('with %i degrees of freedom, χ² = %f has p ≈ %f', (df, statistic, p) => {
    expect(gammaQ(df / 2, statistic / 2)).toBeCloseTo(p, 3)
  })

  it('gives p = 1 for a perfect fit and ≈ 0 for a gross misfit', () => {
    expect(chiSquareTest([25, 25, 50], [1, 1, 2]).pValue).toBeCloseTo(1, 10)
    expect(chiSquareTest([900, 100], [1, 1]).pValue).toBeLessThan(1e-100)
  })

  it('handles zero-share categories: p = 0 if any observation lands there', () => {
    expect(chiSquareTest([50, 50, 0], [1, 1, 0]).degreesOfFreedom).toBe(1)
    expect(chiSquareTest([50, 49, 1], [1, 1, 0]).pValue).toBe(0)
  })
})
