import { describe, expect, it } from 'vitest'
import { medianInterval, orderStatisticCoverage, repeatsForCoverage, repeatsToResolve } from '../../../reports/statistics/median-interval.js'

describe('the sign-test interval of a median', () => {
  it.each([
    // n, k, coverage 1 − 2·P(Bin(n, ½) ≤ k − 1)
    [5, 1, 1 - 2 / 32],
    [6, 1, 1 - 2 / 64],
    [6, 2, 1 - (2 * 7) / 64],
    [10, 2, 1 - (2 * 11) / 1024],
  ])('n = %i, k = %i covers with %f', (n, k, coverage) => {
    expect(orderStatisticCoverage(n, k)).toBeCloseTo(coverage, 12)
  })

  it('takes the narrowest order statistics that keep the coverage asked, else the full range with the coverage it has', () => {
    const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
    // n = 10: k = 2 covers 97.9%, k = 3 only 89.1%, so 95% takes the 2nd and 9th values.
    expect(medianInterval(ten)).toEqual({ median: 5.5, lower: 2, upper: 9, confidence: 1 - 22 / 1024, n: 10 })
    expect(medianInterval([3, 1, 2, 5, 4])).toEqual({ median: 3, lower: 1, upper: 5, confidence: 0.9375, n: 5 })
    expect(medianInterval([7]).confidence).toBe(0)
    expect(() => medianInterval([])).toThrow(RangeError)
  })

  it('names the fewest repeats a coverage needs, and the repeats that would narrow an interval enough', () => {
    expect(repeatsForCoverage(0.9)).toBe(5)
    expect(repeatsForCoverage(0.95)).toBe(6)
    // Half-width 40 from 5 values, threshold 20 away: (40/20)² × 5 = 20.
    expect(repeatsToResolve(5, 40, 20, 5)).toBe(20)
    expect(repeatsToResolve(3, 0, 10, 5)).toBe(5)
    expect(repeatsToResolve(5, 40, 0, 5)).toBe(Number.POSITIVE_INFINITY)
  })
})
