import { describe, expect, it } from 'vitest'
import { bootstrapMedianRatio } from '../../../reports/statistics/bootstrap.js'
import { noisyValues } from '../../helpers/synthetic-results.js'

// Samples drawn around true medians 100 and 150: the true ratio of medians is 1.5.
const TRUE_RATIO = 1.5
const sample = (median: number, n: number, seed: number, noise = 0.1) => noisyValues(median, noise, n, seed)

describe('bootstrapMedianRatio', () => {
  it('reports the observed ratio of the medians', () => {
    // Medians 100 (odd count: the middle) and (130 + 150)/2 = 140 (even count: the mean of the middle two).
    const interval = bootstrapMedianRatio([110, 90, 100], [180, 120, 150, 130])
    expect(interval.ratio).toBeCloseTo(1.4, 12)
    expect(interval.confidence).toBe(0.95)
    expect(interval.lower).toBeLessThanOrEqual(interval.upper)
  })

  it('is a pure function of the samples and the seed', () => {
    const baseline = sample(100, 15, 1)
    const current = sample(150, 15, 2)
    const a = bootstrapMedianRatio(baseline, current, { seed: 42 })
    expect(bootstrapMedianRatio(baseline, current, { seed: 42 })).toEqual(a)
    // Another seed draws other resamples: the observed ratio stays, the bounds move. A bound is an
    // interpolation between a few attainable ratios, so a single other seed may land on the same ones.
    const others = [43, 44, 45, 46, 47].map((seed) => bootstrapMedianRatio(baseline, current, { seed }))
    for (const o of others) expect(o.ratio).toBe(a.ratio)
    expect(new Set([a, ...others].map((o) => `${o.lower} ${o.upper}`)).size).toBeGreaterThan(1)
  })

  it('contains the true ratio, and not 1, for clearly separated samples', () => {
    const interval = bootstrapMedianRatio(sample(100, 25, 3, 0.05), sample(150, 25, 4, 0.05))
    expect(interval.lower).toBeLessThan(TRUE_RATIO)
    expect(interval.upper).toBeGreaterThan(TRUE_RATIO)
    expect(interval.lower).toBeGreaterThan(1)
  })

  it('covers the true ratio in most of many independent experiments', () => {
    // Nominal coverage is 95 %, which the percentile bootstrap of a median meets only roughly at
    // moderate n; 80 % of 60 experiments is a bound a correct interval passes with room to spare,
    // while an interval around the wrong ratio, or far too narrow, would miss it badly.
    let covered = 0
    const experiments = 60
    for (let e = 0; e < experiments; e++) {
      const i = bootstrapMedianRatio(sample(100, 31, 1000 + e), sample(150, 31, 2000 + e), { seed: e, resamples: 1000 })
      if (i.lower <= TRUE_RATIO && TRUE_RATIO <= i.upper) covered++
    }
    expect(covered / experiments).toBeGreaterThanOrEqual(0.8)
  })

  it('narrows as the samples grow (width ∝ 1/√n)', () => {
    const width = (n: number) => {
      const i = bootstrapMedianRatio(sample(100, n, 5), sample(150, n, 6))
      return i.upper - i.lower
    }
    const [w12, w48, w192] = [width(12), width(48), width(192)]
    // Four times the values should about halve the width; allow for sampling noise.
    expect(w48).toBeLessThan(w12 * 0.75)
    expect(w192).toBeLessThan(w48 * 0.75)
    expect(w192).toBeLessThan(w12 / 2.5)
  })

  it('nests a lower-confidence interval inside a higher-confidence one (same resamples)', () => {
    const baseline = sample(100, 20, 7)
    const current = sample(120, 20, 8)
    const wide = bootstrapMedianRatio(baseline, current, { confidence: 0.95 })
    const narrow = bootstrapMedianRatio(baseline, current, { confidence: 0.5 })
    expect(narrow.lower).toBeGreaterThanOrEqual(wide.lower)
    expect(narrow.upper).toBeLessThanOrEqual(wide.upper)
    expect(narrow.confidence).toBe(0.5)
  })

  it('collapses to the ratio when neither sample varies', () => {
    expect(bootstrapMedianRatio([200, 200, 200], [300, 300])).toEqual({ ratio: 1.5, lower: 1.5, upper: 1.5, confidence: 0.95 })
  })

  it.each([
    ['an empty baseline', [], [1]],
    ['an empty current sample', [1], []],
    ['a zero baseline value', [0, 1], [1]],
    ['a negative baseline value', [-1, 1], [1]],
    ['a non-finite current value', [1], [Number.NaN]],
  ])('rejects %s', (_, baseline, current) => {
    expect(() => bootstrapMedianRatio(baseline, current)).toThrow(RangeError)
  })

  it('rejects a confidence outside (0, 1) and a resample count that is not a positive integer', () => {
    expect(() => bootstrapMedianRatio([1], [1], { confidence: 1 })).toThrow(RangeError)
    expect(() => bootstrapMedianRatio([1], [1], { confidence: 0 })).toThrow(RangeError)
    expect(() => bootstrapMedianRatio([1], [1], { resamples: 0 })).toThrow(RangeError)
    expect(() => bootstrapMedianRatio([1], [1], { resamples: 2.5 })).toThrow(RangeError)
  })
})
