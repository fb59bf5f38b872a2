/**
 * Walker's alias method (Vose's construction): O(n) build, O(1) weighted draws from one uniform
 * number. Shared by the weighted random picker and anything else that samples by weight.
 */
export interface AliasTable {
  readonly size: number
  /** Index drawn with probability weight[i] / Σ weight, using one uniform u in [0, 1). */
  sample(u: number): number
}

/** Builds an alias table over non-negative weights with a positive sum. */
export function buildAliasTable(weights: ArrayLike<number>): AliasTable {
  const n = weights.length
  const prob = new Float64Array(n)
  const alias = new Int32Array(n)
  let sum = 0
  for (let i = 0; i < n; i++) sum += weights[i]!
  const scaled = new Float64Array(n)
  const small: number[] = []
  const large: number[] = []
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[i]! * n) / sum
    ;(scaled[i]! < 1 ? small : large).push(i)
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!
    const l = large.pop()!
    prob[s] = scaled[s]!
    alias[s] = l
    scaled[l] = scaled[l]! + scaled[s]! - 1
    ;(scaled[l]! < 1 ? small : large).push(l)
  }
  // Leftovers are 1 up to rounding error.
  for (const i of large) prob[i] = 1
  for (const i of small) prob[i] = 1
  return {
    size: n,
    sample(u: number): number {
      const x = u * n
      const i = x | 0
      return x - i < prob[i]! ? i : alias[i]!
    },
  }
}
