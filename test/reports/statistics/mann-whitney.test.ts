import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../engine/balancing/random.js'
import { exactUCounts, mannWhitneyU, minimumPValue } from '../../../reports/statistics/mann-whitney.js'

/** C(n, k), exactly for the small sizes used here. */
function choose(n: number, k: number): number {
  let c = 1
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i
  return c
}

/**
 * erfc(x) for x ≥ 0 by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7): a reference independent of
 * the incomplete gamma function the implementation uses.
 */
function erfc(x: number): number {
  const t = 1 / (1 + 0.3275911 * x)
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
  return poly * Math.exp(-x * x)
}

/** The two-sided p-value of the normal approximation, computed by hand from its textbook formula. */
function normalP(u: number, n1: number, n2: number, tieGroups: readonly number[] = []): number {
  const n = n1 + n2
  const variance = ((n1 * n2) / 12) * (n + 1 - tieGroups.reduce((s, t) => s + t ** 3 - t, 0) / (n * (n - 1)))
  const z = (Math.abs(u - (n1 * n2) / 2) - 0.5) / Math.sqrt(variance)
  return erfc(z / Math.SQRT2)
}

/** U of x counted from its definition: pairs with x > y, ties ½. */
function pairsAbove(x: readonly number[], y: readonly number[]): number {
  let u = 0
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0
  return u
}

describe('Mann-Whitney U: the exact null distribution', () => {
  // Under H₀ the number of orderings with U = u is the number of partitions of u into at most m
  // parts none larger than n: the coefficients of the Gaussian binomial [m+n choose m]_q
  // (Mann & Whitney 1947; Andrews, The Theory of Partitions, §3.2). For 4 × 4 they are known.
  it('matches the partition counts of a 4 × 4 box', () => {
    expect(exactUCounts(4, 4)).toEqual([1, 1, 2, 3, 5, 5, 7, 7, 8, 7, 7, 5, 5, 3, 2, 1, 1])
  })

  it.each([
    [1, 1],
    [2, 5],
    [3, 3],
    [4, 7],
    [6, 6],
    [10, 10],
  ])('for %i vs %i sums to C(m+n, m), is symmetric and swaps with the sample sizes', (m, n) => {
    const counts = exactUCounts(m, n)
    expect(counts).toHaveLength(m * n + 1)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(choose(m + n, m))
    expect(counts).toEqual([...counts].reverse())
    expect(exactUCounts(n, m)).toEqual(counts)
  })

  // Two-sided critical values at α = 0.05 for n₁ = n₂ from the standard tables (e.g. Zar,
  // Biostatistical Analysis, App. Table B.11): U ≤ critical rejects, critical + 1 does not.
  it.each([
    [4, 0],
    [5, 2],
    [6, 5],
    [7, 8],
    [8, 13],
    [9, 17],
    [10, 23],
  ])('reproduces the tabled critical value for %i vs %i (U ≤ %i)', (n, critical) => {
    const counts = exactUCounts(n, n)
    const total = choose(2 * n, n)
    const p = (u: number) => (2 * counts.slice(0, u + 1).reduce((a, b) => a + b, 0)) / total
    expect(p(critical)).toBeLessThanOrEqual(0.05)
    expect(p(critical + 1)).toBeGreaterThan(0.05)
  })
})

describe('Mann-Whitney U: exact p-values', () => {
  it.each([
    // x, y, U of x, p — p from the counts by hand, confirmed by SciPy 1.17 mannwhitneyu(method='exact').
    // 3 vs 3, complete separation: 2 · 1/C(6,3) = 2/20.
    [[1, 2, 3], [4, 5, 6], 0, 2 / 20],
    // 5 vs 5, complete separation: 2 · 1/C(10,5) = 2/252 ≈ 0.0079.
    [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 0, 2 / 252],
    // The other direction: U = n₁n₂, same p.
    [[6, 7, 8, 9, 10], [1, 2, 3, 4, 5], 25, 2 / 252],
    // 4 vs 5, U = 4: P(U ≤ 4) = (1 + 1 + 2 + 3 + 5)/C(9,4) = 12/126, two-sided 24/126 ≈ 0.1905.
    [[1.1, 2.4, 3.3, 5.8], [2.0, 4.1, 6.2, 7.5, 8.0], 4, 24 / 126],
    // 5 vs 4, U = 17 (U₂ = 3): P(U ≤ 3) = 7/126, two-sided 14/126 ≈ 0.1111.
    [[19, 22, 16, 29, 24], [20, 11, 17, 12], 17, 14 / 126],
  ])('%j vs %j: U = %f, p = %f', (x, y, u, p) => {
    const r = mannWhitneyU(x, y)
    expect(r.method).toBe('exact')
    expect(r.u).toBe(u)
    expect(r.u).toBe(pairsAbove(x, y))
    expect(r.pValue).toBeCloseTo(p, 12)
  })

  it('gives p = 1 when U sits at the centre n₁n₂/2', () => {
    // U of x = 0 + 2 + 2 + 4 = 8 = 16/2: nothing to tell the samples apart.
    const r = mannWhitneyU([1, 4, 5, 8], [2, 3, 6, 7])
    expect(r.u).toBe(8)
    expect(r.pValue).toBe(1)
  })

  it('is symmetric: swapping the samples gives U₂ = n₁n₂ − U₁ and the same p', () => {
    const random = seededRandom(7)
    for (let trial = 0; trial < 20; trial++) {
      const n1 = 2 + Math.floor(random() * 12)
      const n2 = 2 + Math.floor(random() * 12)
      const x = Array.from({ length: n1 }, () => random() * 100)
      const y = Array.from({ length: n2 }, () => random() * 100 + 20)
      const a = mannWhitneyU(x, y)
      const b = mannWhitneyU(y, x)
      expect(a.u + b.u).toBe(n1 * n2)
      expect(a.u).toBeCloseTo(pairsAbove(x, y), 9)
      expect(b.pValue).toBeCloseTo(a.pValue, 12)
      expect(b.method).toBe(a.method)
    }
  })
})

describe('Mann-Whitney U: ties', () => {
  it('ranks ties by their mean rank and corrects the variance for them', () => {
    // Pooled: 1 | 2 2 2 | 3 3 | 4 5 → ranks 1 | 3 3 3 | 5.5 5.5 | 7 8; x's rank sum 12.5, U = 12.5 − 10.
    // Tie groups of 3 and 2: Σ(t³ − t) = 30; σ² = 16/12 · (9 − 30/56). SciPy 1.17 gives p = 0.13666.
    const x = [1, 2, 2, 3]
    const y = [2, 3, 4, 5]
    const r = mannWhitneyU(x, y)
    expect(r.u).toBe(2.5)
    expect(r.u).toBe(pairsAbove(x, y))
    expect(r.method).toBe('normal')
    expect(r.pValue).toBeCloseTo(normalP(2.5, 4, 4, [3, 2]), 6)
    expect(r.pValue).toBeCloseTo(0.13666, 4)
    // Without the correction the variance would be larger and p larger too.
    expect(r.pValue).toBeLessThan(normalP(2.5, 4, 4))
  })

  it('gives p = 1 for identical samples and for a sample of one repeated value', () => {
    expect(mannWhitneyU([3, 1, 2], [1, 2, 3]).pValue).toBe(1)
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5, 5])).toEqual({ u: 6, pValue: 1, method: 'normal' })
  })

  it('refuses the exact method with ties: its distribution assumes none', () => {
    expect(() => mannWhitneyU([1, 2, 2], [2, 3, 4], 'exact')).toThrow(RangeError)
  })
})

describe('Mann-Whitney U: the normal approximation', () => {
  it('matches the textbook z with continuity correction for 20 vs 20', () => {
    // y = x + 7.5 over x = 1…20: x > y iff i − j ≥ 8, so U = 12 + 11 + … + 1 = 78;
    // σ² = 400 · 41/12, z = (122 − ½)/σ ≈ 3.287. SciPy 1.17 (method='asymptotic') gives 0.0010141.
    const x = Array.from({ length: 20 }, (_, i) => i + 1)
    const y = x.map((v) => v + 7.5)
    const r = mannWhitneyU(x, y)
    expect(r.method).toBe('normal')
    expect(r.u).toBe(78)
    expect(r.pValue).toBeCloseTo(normalP(78, 20, 20), 6)
    expect(r.pValue).toBeCloseTo(0.0010141, 6)
  })

  it('is close to the exact p-value near the usual levels', () => {
    // Both methods on the same untied data: near p ≈ 0.05 the corrected normal approximation is
    // known to be good to a few thousandths for ten or more a side.
    for (const [n, u] of [
      [10, 23],
      [10, 28],
      [12, 37],
      [15, 64],
    ] as const) {
      const [x, y] = samplesWithU(n, n, u)
      const exact = mannWhitneyU(x, y, 'exact')
      const normal = mannWhitneyU(x, y, 'normal')
      expect(exact.u).toBe(u)
      expect(normal.u).toBe(u)
      expect(Math.abs(normal.pValue - exact.pValue)).toBeLessThan(0.005)
    }
  })

  it('is used automatically above ten values a side', () => {
    const x = Array.from({ length: 11 }, (_, i) => i)
    expect(mannWhitneyU(x, [100, 101, 102]).method).toBe('normal')
    expect(mannWhitneyU(x.slice(0, 10), [100, 101, 102]).method).toBe('exact')
  })
})

describe('minimumPValue', () => {
  it.each([
    [3, 3, 2 / 20],
    [4, 4, 2 / 70],
    [3, 5, 2 / 56],
    [5, 5, 2 / 252],
    [1, 1, 1],
  ])('for %i vs %i is 2/C(n₁+n₂, n₁) = %f', (n1, n2, p) => {
    expect(minimumPValue(n1, n2)).toBeCloseTo(p, 15)
  })

  it('is exact where it decides whether a test can reject: 3 vs 3 is not below 0.1', () => {
    expect(minimumPValue(3, 3) < 0.1).toBe(false)
    expect(minimumPValue(4, 4) < 2 / 70).toBe(false)
  })

  it('equals the p-value of complete separation', () => {
    for (const [n1, n2] of [
      [3, 3],
      [3, 7],
      [6, 5],
      [10, 10],
    ] as const) {
      const x = Array.from({ length: n1 }, (_, i) => i)
      const y = Array.from({ length: n2 }, (_, i) => i + n1)
      expect(mannWhitneyU(x, y).pValue).toBeCloseTo(minimumPValue(n1, n2), 15)
    }
  })
})

describe('Mann-Whitney U: input', () => {
  it('rejects an empty sample and non-finite values', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError)
    expect(() => mannWhitneyU([1], [])).toThrow(RangeError)
    expect(() => mannWhitneyU([1, Number.NaN], [2])).toThrow(RangeError)
    expect(() => mannWhitneyU([1], [Number.POSITIVE_INFINITY])).toThrow(RangeError)
  })
})

/**
 * Untied samples of sizes n1, n2 whose U (of x) is exactly u: start from complete separation
 * (x all above y, U = n1·n2) and move x's values down past y's one swap at a time.
 */
function samplesWithU(n1: number, n2: number, u: number): [number[], number[]] {
  // Pooled order as a string of 'x'/'y', smallest first; U of x = Σ over x of the y's below it.
  const order: ('x' | 'y')[] = [...Array<'y'>(n2).fill('y'), ...Array<'x'>(n1).fill('x')]
  let current = n1 * n2
  for (let i = 1; current > u && i < order.length; ) {
    if (order[i] === 'x' && order[i - 1] === 'y') {
      order[i] = 'y'
      order[i - 1] = 'x'
      current--
      i = 1
    } else i++
  }
  const x: number[] = []
  const y: number[] = []
  order.forEach((side, rank) => (side === 'x' ? x : y).push(rank + 1))
  return [x, y]
}
