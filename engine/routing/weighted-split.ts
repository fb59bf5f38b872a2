import type { SplitTarget } from './route-types.js'

/**
 * Weighted traffic splits (canaries: 95/5, blue/green: 100/0 → 0/100 in steps). One uniform draw
 * per request picks an arm by cumulative weight, so a split replays exactly under a seeded source.
 */

/**
 * The pool for the uniform draw `u` in [0, 1): the first arm, in configuration order, whose
 * cumulative weight exceeds `u × Σweight`. `u` at or beyond 1 (a rounding accident upstream)
 * yields the last arm.
 */
export function chooseSplit(targets: readonly SplitTarget[], u: number): string {
  let total = 0
  for (const t of targets) total += t.weight
  const x = u * total
  let cumulative = 0
  for (const t of targets) {
    cumulative += t.weight
    if (x < cumulative) return t.pool
  }
  return targets[targets.length - 1]!.pool
}

/**
 * A chooser equivalent to `chooseSplit(targets, u)` with the cumulative weights computed once,
 * for the per-request path.
 */
export function splitChooser(targets: readonly SplitTarget[]): (u: number) => string {
  const pools = targets.map((t) => t.pool)
  const cumulative = new Float64Array(targets.length)
  let total = 0
  targets.forEach((t, i) => {
    total += t.weight
    cumulative[i] = total
  })
  const last = pools[pools.length - 1]!
  return (u) => {
    const x = u * total
    for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]!) return pools[i]!
    return last
  }
}

/** Each arm's share of traffic, summing to 1; an arm named twice gets the sum of its weights. */
export function splitShares(targets: readonly SplitTarget[]): Map<string, number> {
  let total = 0
  for (const t of targets) total += t.weight
  const shares = new Map<string, number>()
  for (const t of targets) shares.set(t.pool, (shares.get(t.pool) ?? 0) + t.weight / total)
  return shares
}
