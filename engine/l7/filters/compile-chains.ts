import type { ListenerConfig } from '../../config/lb-config.js'
import type { PoolRuntime } from '../../runtime/pool-runtime.js'
import { mergeEdits, noEdits } from '../header-edits.js'
import type { Filter, FilterEnv } from './filter.js'
import { compileChain, type FilterChain } from './filter-chain.js'
import { forwardedHeadersFilter } from './forwarded-headers.js'
import { headerEditsFilter } from './header-edits-filter.js'
import type { FilterConfig } from './filter-config.js'
import { createFilter } from './registry.js'
import { routeFilterConfigs } from './route-filter-configs.js'
import { requestIdFilter } from './request-id.js'
import { stickyCookieFilter } from './sticky-cookie.js'

/** A configured filter with counters, and where it runs (`*`: every route that inherits the listener's entry). */
export interface CountedFilter {
  readonly route: string
  readonly filter: Filter
}

/** The chains of one listener: one per route, and the listener's own for answers before routing. */
export interface ListenerChains {
  readonly routes: readonly FilterChain[]
  readonly listener: FilterChain
  /** Configured filters that keep counters, each instance once. */
  readonly counted: readonly CountedFilter[]
  /** Closes every configured filter instance once (not `extra`: those are their supplier's). */
  close(): Promise<void>
}

/**
 * Compiles a listener's chains once, at start-up. A route's chain is the engine's own behaviours
 * its configuration asks for — header edits (listener and route merged), the sticky cookie (when a
 * pool of the route is sticky), forwarded headers, request id — in that order; then the
 * configured filters: the listener's, where a route's entry of the same type takes the listener
 * entry's place, and the route's other entries after them; then `extra` (filters supplied in
 * code). A request runs only the hooks these filters have. The listener's own chain (answers
 * before any route matched) holds its configured filters and `extra`. A listener entry is one
 * filter instance shared by the routes inheriting it (one rate-limit table for the listener, say).
 */
export function compileListenerChains(config: ListenerConfig, pools: ReadonlyMap<string, PoolRuntime>, env: FilterEnv, extra: readonly Filter[] = []): ListenerChains {
  const l = config.headers
  const shared = new Map<FilterConfig, Filter>((config.filters ?? []).map((c) => [c, createFilter(c, env)]))
  const counted: CountedFilter[] = [...shared.values()].filter((f) => f.stats !== undefined).map((filter) => ({ route: '*', filter }))
  const configured = new Set(shared.values())
  const routes = (config.routes ?? []).map((route, j) => {
    const filters: Filter[] = []
    const edits = { request: mergeEdits(l.request, route.headers?.request), response: mergeEdits(l.response, route.headers?.response) }
    if (!noEdits(edits.request) || !noEdits(edits.response)) filters.push(headerEditsFilter(edits))
    const targets = route.pool !== undefined ? [route.pool] : (route.split ?? []).map((s) => s.pool)
    if (targets.some((p) => pools.get(p)?.config.stickySession !== undefined)) filters.push(stickyCookieFilter)
    if (l.forwarded) filters.push(forwardedHeadersFilter)
    if (l.requestId) filters.push(requestIdFilter(env.requestId))
    for (const c of routeFilterConfigs(config.filters ?? [], route.filters ?? [])) {
      let f = shared.get(c)
      if (f === undefined) {
        f = createFilter(c, env)
        configured.add(f)
        if (f.stats !== undefined) counted.push({ route: route.name ?? `route-${j}`, filter: f })
      }
      filters.push(f)
    }
    return compileChain([...filters, ...extra])
  })
  return {
    routes,
    listener: compileChain([...shared.values(), ...extra]),
    counted,
    close: async () => void (await Promise.all([...configured].map((f) => f.close?.()))),
  }
}
