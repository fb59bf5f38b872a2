/**
 * Largest pool for which one uniform draw is split into two indices. The first index takes
 * log2(n) ≤ 10 bits of the draw; the fraction left keeps ≥ 22 random bits even from a 32-bit
 * generator, so the second index is uniform to within n/2^22 ≈ 0.02%. One draw instead of two
 * saves a tenth of a pick's cost.
 */
export const SPLIT_DRAW_MAX = 1024

/** Draws that may land on tried backends before the picker gives up sampling and scans. */
const REJECTION_TRIES = 16

/**
 * Power-of-k-choices for picks that must avoid tried backends (the rare, retry path): draws `k`
 * untried candidates among `n` — independently, or distinct when `distinct` — and returns the one
 * with the lowest cost, the earlier draw winning ties. If sampling keeps landing on tried backends,
 * an exact scan of the untried ones decides. Returns -1 when every backend was tried.
 */
export function bestUntriedOfChoices(
  n: number,
  k: number,
  distinct: boolean,
  random: () => number,
  cost: (i: number) => number,
  isTried: (i: number) => boolean,
): number {
  const drawn: number[] = []
  let best = -1
  let bestCost = Infinity
  let rejected = 0
  const draws = distinct ? Math.min(k, n) : k
  while (drawn.length < draws) {
    const i = Math.floor(random() * n)
    if (isTried(i) || (distinct && drawn.includes(i))) {
      if (++rejected > REJECTION_TRIES) return scanUntried(n, cost, isTried)
      continue
    }
    drawn.push(i)
    const c = cost(i)
    if (best < 0 || c < bestCost) {
      best = i
      bestCost = c
    }
  }
  return best
}

function scanUntried(n: number, cost: (i: number) => number, isTried: (i: number) => boolean): number {
  let best = -1
  let bestCost = Infinity
  for (let i = 0; i < n; i++) {
    if (isTried(i)) continue
    const c = cost(i)
    if (best < 0 || c < bestCost) {
      best = i
      bestCost = c
    }
  }
  return best
}
