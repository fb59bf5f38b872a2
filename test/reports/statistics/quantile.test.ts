import { describe, expect, it } from 'vitest'
import { median, quantileSorted } from '../../../reports/statistics/quantile.js'

describe('quantileSorted (Hyndman & Fan type 7)', () => {
  // Expected values from NumPy 2.4: numpy.quantile(values, q), whose default method 'linear' is type 7.
  it.each([
    [[15, 20, 35, 40, 50], 0, 15],
    [[15, 20, 35, 40, 50], 0.05, 16],
    [[15, 20, 35, 40, 50], 0.3, 23],
    [[15, 20, 35, 40, 50], 0.4, 29],
    [[15, 20, 35, 40, 50], 0.5, 35],
    [[15, 20, 35, 40, 50], 1, 50],
    [[1, 2, 3, 4], 0.25, 1.75],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.75, 3.25],
    [[1, 1, 2, 3, 4, 5, 6, 9], 0.1, 1],
    [[1, 1, 2, 3, 4, 5, 6, 9], 0.25, 1.75],
    [[1, 1, 2, 3, 4, 5, 6, 9], 0.5, 3.5],
    [[1, 1, 2, 3, 4, 5, 6, 9], 0.9, 6.9],
    [[1, 1, 2, 3, 4, 5, 6, 9], 0.99, 8.79],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.1, 1.9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 9.55],
    [[-2.5, 0, 1.25, 10], 1 / 3, 0],
    [[-2.5, 0, 1.25, 10], 0.8, 4.75],
    [[7.5], 0, 7.5],
    [[7.5], 0.3, 7.5],
    [[7.5], 1, 7.5],
  ])('quantile of %j at %f is %f', (values, q, expected) => {
    expect(quantileSorted(values, q)).toBeCloseTo(expected, 12)
  })

  it('accepts typed arrays', () => {
    expect(quantileSorted(Float64Array.from([1, 2, 3, 4]), 0.25)).toBeCloseTo(1.75, 12)
  })

  it('is monotone in q and stays within the sample range', () => {
    const sorted = [2, 3, 3, 8, 13, 21, 34]
    let previous = -Infinity
    for (let q = 0; q <= 1; q += 0.01) {
      const value = quantileSorted(sorted, q)
      expect(value).toBeGreaterThanOrEqual(previous)
      expect(value).toBeGreaterThanOrEqual(2)
      expect(value).toBeLessThanOrEqual(34)
      previous = value
    }
  })

  it('rejects an empty sample and q outside [0, 1]', () => {
    expect(() => quantileSorted([], 0.5)).toThrow(RangeError)
    expect(() => quantileSorted([1, 2], -0.01)).toThrow(RangeError)
    expect(() => quantileSorted([1, 2], 1.01)).toThrow(RangeError)
    expect(() => quantileSorted([1, 2], Number.NaN)).toThrow(RangeError)
  })
})

describe('median', () => {
  it.each([
    [[9, 2, 7], 7],
    [[4, 1, 3, 2], 2.5],
    [[2.5], 2.5],
    [[-1, -3, 10, 10], 4.5],
  ])('of %j is %f (numpy.median) and leaves the input unsorted', (values, expected) => {
    const copy = [...values]
    expect(median(values)).toBe(expected)
    expect(values).toEqual(copy)
  })
})
