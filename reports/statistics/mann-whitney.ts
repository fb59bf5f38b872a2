import { gammaQ } from './gamma.js'

/** Largest sample size (each side) for which the exact null distribution of U is used. */
export const EXACT_MAX_SAMPLE = 10

/** Result of a two-sided Mann-Whitney U (Wilcoxon rank-sum) test. */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, ties counted ½. U₁ + U₂ = n₁n₂. */
  readonly u: number
  /** Probability, if both samples come from one distribution, of a U at least this far from n₁n₂/2. */
  readonly pValue: number
  /** `exact`: the permutation distribution of U; `normal`: the tie-corrected normal approximation. */
  readonly method: 'exact' | 'normal'
}

/** How to compute the p-value: `auto` is exact for n₁, n₂ ≤ {@link EXACT_MAX_SAMPLE} without ties. */
export type MannWhitneyMethod = 'auto' | 'exact' | 'normal'

/**
 * Two-sided Mann-Whitney U test of whether values of `x` tend to differ from values of `y`.
 *
 * Ranks are taken over the pooled sample (ties get their mean rank); U₁ = R₁ − n₁(n₁+1)/2 with
 * R₁ the rank sum of `x`, and U₂ = n₁n₂ − U₁.
 *
 * - Exact (Mann & Whitney 1947): under H₀ every one of the C(n₁+n₂, n₁) orderings is equally
 *   likely; the number of orderings with U = u follows the recurrence
 *   c(u; m, n) = c(u − n; m − 1, n) + c(u; m, n − 1), and p = min(1, 2·P(U ≤ min(U₁, U₂))).
 *   Valid only without ties.
 * - Normal approximation: μ = n₁n₂/2, σ² = n₁n₂/12 · [(n + 1) − Σ(tᵢ³ − tᵢ)/(n(n − 1))] where
 *   n = n₁ + n₂ and tᵢ are the sizes of the groups of tied values;
 *   z = (|U₁ − μ| − ½)/σ (continuity correction) and p = 2·(1 − Φ(z)) = erfc(z/√2) = Q(½, z²/2).
 *   When every value is tied σ = 0 and p = 1.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], method: MannWhitneyMethod = 'auto'): MannWhitneyResult {
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann-Whitney U needs two non-empty samples')
  if ([...x, ...y].some((v) => !Number.isFinite(v))) throw new RangeError('Mann-Whitney U needs finite values')
  const { ranks, tieGroups } = rank([...x, ...y])
  let r1 = 0
  for (let i = 0; i < n1; i++) r1 += ranks[i]!
  const u = r1 - (n1 * (n1 + 1)) / 2
  const hasTies = tieGroups.some((t) => t > 1)
  if (method === 'exact' && hasTies) throw new RangeError('the exact distribution of U assumes no ties')
  const exact = method === 'exact' || (method === 'auto' && !hasTies && n1 <= EXACT_MAX_SAMPLE && n2 <= EXACT_MAX_SAMPLE)
  if (exact) {
    const counts = exactUCounts(n1, n2)
    const total = counts.reduce((a, b) => a + b, 0)
    const tail = Math.min(u, n1 * n2 - u)
    let below = 0
    for (let k = 0; k <= tail; k++) below += counts[k]!
    return { u, pValue: Math.min(1, (2 * below) / total), method: 'exact' }
  }
  const n = n1 + n2
  const tieTerm = tieGroups.reduce((s, t) => s + (t ** 3 - t), 0) / (n * (n - 1))
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm)
  if (variance <= 0) return { u, pValue: 1, method: 'normal' }
  const z = Math.max(0, Math.abs(u - (n1 * n2) / 2) - 0.5) / Math.sqrt(variance)
  return { u, pValue: Math.min(1, gammaQ(0.5, (z * z) / 2)), method: 'normal' }
}

/**
 * The smallest two-sided p-value the exact test can give for these sample sizes:
 * 2 / C(n₁+n₂, n₁) (U = 0, complete separation). When it is not below alpha the test cannot
 * reject at all — with three values a side it is 0.1.
 */
export function minimumPValue(n1: number, n2: number): number {
  return Math.min(1, 2 / binomial(n1 + n2, Math.min(n1, n2)))
}

/**
 * C(n, k) by the multiplicative formula: every partial product is itself a binomial coefficient,
 * so the result is exact while it stays below 2⁵³. Exactness matters at the boundary: 3 vs 3 must
 * give 0.1, not a hair below, or `p < 0.1` would count a test as able to reject when it cannot.
 */
function binomial(n: number, k: number): number {
  let c = 1
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i
  return c
}

/**
 * Number of orderings of m x-values and n y-values giving each U = 0 … mn (index = U). Built
 * bottom-up from the recurrence c(u; i, j) = c(u − j; i − 1, j) + c(u; i, j − 1): the largest
 * pooled value is either an x (beating all j y-values) or a y (beating none).
 */
export function exactUCounts(m: number, n: number): number[] {
  // row[j] holds the counts for (i, j) as i advances.
  let row: number[][] = Array.from({ length: n + 1 }, () => [1])
  for (let i = 1; i <= m; i++) {
    const next: number[][] = [[1]]
    for (let j = 1; j <= n; j++) {
      const counts = new Array<number>(i * j + 1).fill(0)
      const withX = row[j]!
      const withY = next[j - 1]!
      for (let u = 0; u < withX.length; u++) counts[u + j]! += withX[u]!
      for (let u = 0; u < withY.length; u++) counts[u]! += withY[u]!
      next.push(counts)
    }
    row = next
  }
  return row[n]!
}

/** Mid-ranks (1-based; ties share their mean rank) and the sizes of the groups of equal values. */
function rank(values: readonly number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const ranks = new Array<number>(values.length).fill(0)
  const tieGroups: number[] = []
  for (let start = 0; start < order.length; ) {
    let end = start + 1
    while (end < order.length && order[end]![0] === order[start]![0]) end++
    const midRank = (start + 1 + end) / 2
    for (let k = start; k < end; k++) ranks[order[k]![1]] = midRank
    tieGroups.push(end - start)
    start = end
  }
  return { ranks, tieGroups }
}
