import type { ListenerConfig } from '../../config/lb-config.js'
import type { PoolRuntime } from '../../runtime/pool-runtime.js'
import { mergeEdits, noEdits } from '../header-edits.js'
import type { Filter } from './filter.js'
import { compileChain, type FilterChain } from './filter-chain.js'
import { forwardedHeadersFilter } from './forwarded-headers.js'
import { headerEditsFilter } from './header-edits-filter.js'
import { requestIdFilter } from './request-id.js'
import { stickyCookieFilter } from './sticky-cookie.js'

/** What filters are built with. */
export interface FilterEnv {
  /** A fresh request id. */
  readonly requestId: () => string
}

/** The chains of one listener: one per route, and the listener's own for answers before routing. */
export interface ListenerChains {
  readonly routes: readonly FilterChain[]
  readonly listener: FilterChain
}

/**
 * Compiles a listener's chains once, at start-up. A route's chain is the engine's own behaviours
 * its configuration asks for — header edits (listener and route merged), the sticky cookie (when a
 * pool of the route is sticky), forwarded headers, request id — in that order; then `extra`
 * (filters supplied in code). A request runs only the hooks these filters have. The listener's
 * own chain (answers before any route matched) holds `extra`.
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
    return compileChain([...filters, ...extra])
  })
  return { routes, listener: compileChain(extra) }
}

