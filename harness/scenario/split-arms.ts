import { poolGroups } from './resolve-balancer.js'
import type { BalancerSection } from './scenario-schema.js'

/** A route's name as the engine knows it: its own, else `route-<index>`. */
export function routeName(route: { readonly name?: string | undefined }, index: number): string {
  return route.name ?? `route-${index}`
}

/**
 * Where a `set-weight` with `route` acts: the first listener with a route of that name, and the
 * pools among that route's split arms that draw from `group`. Undefined when no listener has the
 * route; `pools` is empty when the route has no split or no arm draws from the group.
 */
export function splitArmsOf(balancer: BalancerSection, route: string, group: string): { listener: string; pools: string[] } | undefined {
  for (const l of balancer.listeners) {
    const r = l.routes?.find((x, i) => routeName(x, i) === route)
    if (r === undefined) continue
    const pools = [...new Set((r.split ?? []).map((a) => a.pool))].filter((p) => balancer.pools[p] !== undefined && poolGroups(balancer, p).groups.includes(group))
    return { listener: l.name, pools }
  }
  return undefined
}
