import type { MemberStatus } from '../pool/backend-pool.js'
import type { BackendCounters, FilterStatsSource, ListenerCounters, PoolCounters, StatusClass } from './counters.js'
import type { BucketSnapshot } from './bucket-histogram.js'
import type { LatencySummary } from './latency-histogram.js'

/** One listener in `/stats`. */
export interface ListenerStats {
  readonly name: string
  readonly protocol: string
  readonly layer: 4 | 7
  readonly address: string
  readonly connections: { readonly active: number; readonly total: number; readonly rejected: number }
  readonly requests: number
  readonly responses: Readonly<Record<StatusClass, number>>
  readonly errors: Readonly<Record<string, number>>
  readonly bytes: { readonly fromClients: number; readonly toClients: number }
  /** Layer 4: accept → backend connected; layer 7: request head parsed → first byte to the backend. */
  readonly engineTimeUs: LatencySummary
  /** The same times in fixed buckets (cumulative counts), for `/metrics`. */
  readonly engineTimeBuckets: BucketSnapshot
  /** Layer 7, when configured: each filter's own counters and gauges. */
  readonly filters?: readonly FilterSnapshot[]
}

/** One filter in `/stats`. */
export interface FilterSnapshot {
  readonly name: string
  /** The route it runs on; `*` for a listener entry, shared by the routes inheriting it. */
  readonly route: string
  readonly counters: Readonly<Record<string, number>>
  readonly gauges: Readonly<Record<string, number>>
}

/** One backend in `/stats`: pool state plus data-plane counters. */
export interface BackendStats extends MemberStatus {
  readonly connections: { readonly active: number; readonly total: number }
  readonly connectFailures: number
  readonly timeouts: number
  readonly requests: number
  readonly responses: Readonly<Record<StatusClass, number>>
  readonly bytes: { readonly toBackend: number; readonly fromBackend: number }
  readonly retries: number
  readonly ejections: number
  readonly healthChecks: { readonly passed: number; readonly failed: number; readonly lastDetail?: string }
  /** Upstream HTTP/2 sessions (open, opened) and streams in flight (zeros for HTTP/1.1 pools). */
  readonly http2: { readonly sessions: { readonly active: number; readonly total: number }; readonly streamsActive: number }
}

/** One pool in `/stats`. */
export interface PoolStats {
  readonly name: string
  readonly algorithm: string
  readonly readyBackends: number
  readonly retries: number
  readonly retriesRefusedByBudget: number
  readonly noHealthyBackend: number
  readonly backends: readonly BackendStats[]
}

/** The engine's `/stats` document. */
export interface EngineStats {
  readonly schema: 'layerbench/engine-stats@1'
  readonly version: string
  readonly pid: number
  /** Epoch µs at which the snapshot was taken. */
  readonly atUs: number
  readonly uptimeS: number
  readonly draining: boolean
  /** CPU time of the engine process so far, µs (user + system): divide by requests for CPU per request. */
  readonly cpuUs: { readonly user: number; readonly system: number }
  readonly listeners: readonly ListenerStats[]
  readonly pools: readonly PoolStats[]
}

/** Snapshot of one listener's counters. */
export function listenerStats(name: string, protocol: string, layer: 4 | 7, address: string, c: ListenerCounters): ListenerStats {
  let fromClients = c.bytesFromClients
  let toClients = c.bytesToClients
  for (const s of c.open) {
    fromClients += s.bytesRead
    toClients += s.bytesWritten
  }
  return {
    name,
    protocol,
    layer,
    address,
    connections: { active: c.connectionsActive, total: c.connectionsTotal, rejected: c.connectionsRejected },
    requests: c.requests,
    responses: { ...c.responses },
    errors: { ...c.errors },
    bytes: { fromClients, toClients },
    engineTimeUs: c.engineTimeUs.summary(),
    engineTimeBuckets: c.engineTimeUs.buckets(),
    ...(c.filters.length === 0 ? {} : { filters: c.filters.map(filterSnapshot) }),
  }
}

function filterSnapshot(f: FilterStatsSource): FilterSnapshot {
  const s = f.stats()
  return { name: f.name, route: f.route, counters: { ...s.counters }, gauges: { ...s.gauges } }
}

/** Snapshot of one pool: member status joined with its counters. */
export function poolStats(name: string, algorithm: string, members: readonly MemberStatus[], c: PoolCounters, backend: (id: string) => BackendCounters): PoolStats {
  return {
    name,
    algorithm,
    readyBackends: members.filter((m) => m.ready).length,
    retries: c.retries,
    retriesRefusedByBudget: c.retriesRefusedByBudget,
    noHealthyBackend: c.noHealthyBackend,
    backends: members.map((m) => {
      const b = backend(m.id)
      return {
        ...m,
        connections: { active: b.connectionsActive, total: b.connectionsTotal },
        connectFailures: b.connectFailures,
        timeouts: b.timeouts,
        requests: b.requests,
        responses: { ...b.responses },
        bytes: { toBackend: b.bytesToBackend, fromBackend: b.bytesFromBackend },
        retries: b.retries,
        ejections: b.ejections,
        healthChecks: { ...b.healthChecks },
        http2: { sessions: { active: b.h2.sessionsActive, total: b.h2.sessionsTotal }, streamsActive: b.h2.streamsActive },
      }
    }),
  }
}
