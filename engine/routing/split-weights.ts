import { RouteError } from './route-errors.js'
import type { SplitTarget } from './route-types.js'

/**
 * New weights for the arms of a weighted split, for a change at run time (a progressive canary:
 * 95/5 → 75/25 → 50/50 → 0/100). Arms keep their order; an arm not named keeps its weight. A
 * weight may be 0 (the arm gets nothing) as long as one arm keeps a positive weight. Pure: throws a
 * `RouteError` ROUTE_ERR_BAD_SPLIT naming every problem.
 */
export function reweightSplit(current: readonly SplitTarget[], weights: Readonly<Record<string, number>>): SplitTarget[] {
  const arms = new Set(current.map((t) => t.pool))
  const problems: string[] = []
  for (const [pool, w] of Object.entries(weights)) {
    if (!arms.has(pool)) problems.push(`"${pool}" is not an arm of this split (arms: ${[...arms].join(', ')})`)
    else if (!(Number.isFinite(w) && w >= 0)) problems.push(`weight of ${pool} must be a finite number ≥ 0, got ${w}`)
  }
  const next = current.map((t) => (Object.hasOwn(weights, t.pool) ? { pool: t.pool, weight: weights[t.pool]! } : { ...t }))
  if (problems.length === 0 && !next.some((t) => t.weight > 0)) problems.push('at least one arm needs a positive weight')
  if (problems.length > 0) {
    throw RouteError.fromIssues(
      'invalid split weights',
      problems.map((message) => ({ code: 'ROUTE_ERR_BAD_SPLIT' as const, path: 'weights', message })),
    )
  }
  return next
}

/** The arms that take traffic: a routing table holds positive weights only. */
export function activeArms(split: readonly SplitTarget[]): SplitTarget[] {
  return split.filter((t) => t.weight > 0)
}
