import type { ListenerConfig } from '../../engine/config/lb-config.js'
import type { FilterConfig } from '../../engine/l7/filters/filter-config.js'
import { routeFilterConfigs } from '../../engine/l7/filters/route-filter-configs.js'

/** One configured filter of a listener as a peer renders it: its instance number and where it runs. */
export interface FilterInstance {
  readonly config: FilterConfig
  /** Numbers the instance within its listener, for the peer's names (tables, zones, variables). */
  readonly n: number
  /** Indexes of the routes whose chain holds it. */
  readonly routes: readonly number[]
  /** A listener entry: it also shapes answers given before any route matched (404, the peer's own errors). */
  readonly listener: boolean
}

/**
 * The filters of a listener as the engine compiles them: each route's chain (the listener's entries,
 * a route's entry of a type taking the listener entry's place, then the route's others), and each
 * distinct instance once — a listener entry is one instance shared by the routes inheriting it (one
 * rate-limit table), as in the engine.
 */
export function listenerFilters(l: ListenerConfig): { chains: FilterInstance[][]; instances: FilterInstance[] } {
  const listenerEntries = l.filters ?? []
  const routes = l.routes ?? []
  const chainsOfConfigs = routes.map((r) => routeFilterConfigs(listenerEntries, r.filters ?? []))
  const order: FilterConfig[] = [...listenerEntries]
  for (const chain of chainsOfConfigs) for (const c of chain) if (!order.includes(c)) order.push(c)
  const instances = order.map(
    (config, n): FilterInstance => ({
      config,
      n,
      routes: chainsOfConfigs.flatMap((chain, j) => (chain.includes(config) ? [j] : [])),
      listener: listenerEntries.includes(config),
    }),
  )
  const byConfig = new Map(instances.map((i) => [i.config, i]))
  return { chains: chainsOfConfigs.map((chain) => chain.map((c) => byConfig.get(c)!)), instances }
}
