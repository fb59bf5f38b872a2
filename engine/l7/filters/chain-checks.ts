import { routeFilterConfigs } from './route-filter-configs.js'

/** A problem with the order of a route's filters, and the entry it is about. */
export interface ChainProblem {
  readonly entry: object
  readonly message: string
}

const typed = (raw: readonly unknown[]) => raw.filter((c): c is { type: string; key?: { source?: unknown } } => typeof c === 'object' && c !== null && typeof (c as { type?: unknown }).type === 'string')

/**
 * Checks that span a route's whole chain (the listener's entries merged with the route's), on entries
 * that may not be valid yet: a rate limit keyed by `identity` needs an `auth` filter before it, else
 * no request has an identity and every one would share one bucket.
 */
export function chainProblems(listener: readonly unknown[], route: readonly unknown[]): ChainProblem[] {
  const chain = routeFilterConfigs(typed(listener), typed(route))
  const problems: ChainProblem[] = []
  let authSeen = false
  for (const c of chain) {
    if (c.type === 'auth') authSeen = true
    if (c.type === 'rate-limit' && c.key?.source === 'identity' && !authSeen) {
      problems.push({ entry: c, message: 'a rate limit keyed by identity needs an auth filter before it in the chain; without one every request would share one bucket' })
    }
  }
  return problems
}
