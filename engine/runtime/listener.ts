import type { Deps } from '../balancing/types.js'
import type { Filter } from '../l7/filters/filter.js'
import type { SplitTarget } from '../routing/route-types.js'
import type { ListenerCounters } from '../stats/counters.js'
import type { EventLog } from './event-log.js'
import type { PoolRuntime } from './pool-runtime.js'

/** What a listener needs from the engine around it. */
export interface ListenerContext {
  readonly pools: ReadonlyMap<string, PoolRuntime>
  readonly events: EventLog
  readonly deps: Deps
  /** True once the engine is shutting down: new connections are refused, kept-alive ones closed. */
  draining(): boolean
  /** Layer 7: filters supplied in code, run after the configured ones on every route of every listener. */
  readonly filters?: readonly Filter[]
}

/** A bound, running listener. */
export interface RunningListener {
  readonly name: string
  readonly protocol: 'tcp' | 'udp' | 'tls' | 'http' | 'https'
  readonly layer: 4 | 7
  /** The address actually bound (port 0 in the config binds an ephemeral port). */
  readonly address: { readonly host: string; readonly port: number }
  readonly counters: ListenerCounters
  /** Connections (or UDP flows) open now. */
  activeConnections(): number
  /** Stops accepting new connections; open ones carry on. */
  stopAccepting(): void
  /** Closes connections that are idle between requests (layer 7 keep-alive). */
  closeIdle(): void
  /** Ends every connection now. */
  destroyAll(): void
  /** Layer 7: after `destroyAll`, the filters write out what they hold (an access log's lines). */
  closeFilters?(): Promise<void>
  /**
   * Layer 7: new weights for the split of the route named `route` (`route-<index>` when unnamed);
   * arms not named keep theirs, 0 takes an arm out. Returns the split now in force; throws a
   * `RouteError` (ROUTE_ERR_NO_SUCH_ROUTE, ROUTE_ERR_BAD_SPLIT) and changes nothing otherwise.
   */
  setSplit?(route: string, weights: Readonly<Record<string, number>>): SplitTarget[]
}
