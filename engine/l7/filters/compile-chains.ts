import type { ListenerConfig } from '../../config/lb-config.js'
import type { PoolRuntime } from '../../runtime/pool-runtime.js'
import { mergeEdits, noEdits } from '../header-edits.js'
import type { Filter } from './filter.js'
import { compileChain, type FilterChain } from './filter-chain.js'
import { forwardedHeadersFilter } from './forwarded-headers.js'
import { headerEditsFilter } from './header-edits-filter.js'
import { createFilter, type FilterConfig, type FilterEnv } from './registry.js'
import { requestIdFilter } from './request-id.js'
import { stickyCookieFilter } from './sticky-cookie.js'

/** The chains of one listener: one per route, and the listener's own for answers before routing. */
export interface ListenerChains {
  readonly routes: readonly FilterChain[]
  readonly listener: FilterChain
}

/**
 * Compiles a listener's chains once, at start-up. A route's chain is the engine's own behaviours
 * its configuration asks for — header edits (listener and route merged), the sticky cookie (when a
 * pool of the route is sticky), forwarded headers, request id — in that order; then the
 * configured filters: the listener's, where a route's entry of the same type takes the listener
 * entry's place, and the route's other entries after them; then `extra` (filters supplied in
 * code). A request runs only the hooks these filters have. The listener's own chain (answers
 * before any route matched) holds its configured filters and `extra`.
 */
export function compileListenerChains(config: ListenerConfig, pools: ReadonlyMap<string, PoolRuntime>, env: FilterEnv, extra: readonly Filter[] = []): ListenerChains {
  const l = config.headers
  const routes = (config.routes ?? []).map((route) => {
    const filters: Filter[] = []
    const edits = { request: mergeEdits(l.request, route.headers?.request), response: mergeEdits(l.response, route.headers?.response) }
    if (!noEdits(edits.request) || !noEdits(edits.response)) filters.push(headerEditsFilter(edits))
    const targets = route.pool !== undefined ? [route.pool] : (route.split ?? []).map((s) => s.pool)
    if (targets.some((p) => pools.get(p)?.config.stickySession !== undefined)) filters.push(stickyCookieFilter)
    if (l.forwarded) filters.push(forwardedHeadersFilter)
    if (l.requestId) filters.push(requestIdFilter(env.requestId))
    for (const c of routeFilterConfigs(config.filters ?? [], route.filters ?? [])) filters.push(createFilter(c, env))
    return compileChain([...filters, ...extra])
  })
  const own = (config.filters ?? []).map((c) => createFilter(c, env))
  return { routes, listener: compileChain([...own, ...extra]) }
}

/** A route's configured filters: the listener's, each replaced by the route's entry of its type, then the route's others. */
export function routeFilterConfigs(listener: readonly FilterConfig[], route: readonly FilterConfig[]): FilterConfig[] {
  const byType = new Map(route.map((c) => [c.type, c]))
  const merged = listener.map((c) => byType.get(c.type) ?? c)
  const inherited = new Set(listener.map((c) => c.type))
  return [...merged, ...route.filter((c) => !inherited.has(c.type))]
}
