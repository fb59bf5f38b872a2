import { TimingHistogram } from './timing-histogram.js'

/** Response status classes counted separately. */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx'

/** The class of an HTTP status. */
export function statusClass(status: number): StatusClass {
  return status < 200 ? '1xx' : status < 300 ? '2xx' : status < 400 ? '3xx' : status < 500 ? '4xx' : '5xx'
}

const emptyClasses = (): Record<StatusClass, number> => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 })

/** Mutable per-backend counters, incremented on the hot path, read by /stats and /metrics. */
export interface BackendCounters {
  connectionsActive: number
  connectionsTotal: number
  connectFailures: number
  timeouts: number
  requests: number
  responses: Record<StatusClass, number>
  /** Bytes from the backend to us, and from us to the backend. */
  bytesFromBackend: number
  bytesToBackend: number
  retries: number
  ejections: number
  healthChecks: { passed: number; failed: number; lastDetail?: string }
  /** Upstream HTTP/2: sessions open and opened, and streams in flight on them. */
  h2: { sessionsActive: number; sessionsTotal: number; streamsActive: number }
}

/** Mutable per-listener counters. */
export interface ListenerCounters {
  connectionsActive: number
  connectionsTotal: number
  /** Refused at accept: over the connection limit, or an untrusted PROXY source breaking rules. */
  connectionsRejected: number
  requests: number
  responses: Record<StatusClass, number>
  /** Failures by stable error code (LB_ERR_…, HTTP_ERR_…, TLS_ERR_…, PROXY_ERR_…). */
  errors: Record<string, number>
  /** Bytes of closed connections; `open` adds the ones still open when a snapshot is taken. */
  bytesFromClients: number
  bytesToClients: number
  /** Client connections still open (net sockets count their bytes as they go). */
  open: Set<{ readonly bytesRead: number; readonly bytesWritten: number }>
  /** Layer 4: accept → backend connected. Layer 7: request head parsed → first byte written to the backend. */
  engineTimeUs: TimingHistogram
  /** Layer 7: configured filters that keep numbers of their own, read when a snapshot is taken. */
  filters: FilterStatsSource[]
}

/** One filter's numbers, by the route it runs on (`*`: the listener's entry, on every route inheriting it). */
export interface FilterStatsSource {
  readonly name: string
  readonly route: string
  stats(): { readonly counters: Readonly<Record<string, number>>; readonly gauges?: Readonly<Record<string, number>> }
}

/** Mutable per-pool counters. */
export interface PoolCounters {
  retries: number
  retriesRefusedByBudget: number
  noHealthyBackend: number
}

export function newBackendCounters(): BackendCounters {
  return {
    connectionsActive: 0,
    connectionsTotal: 0,
    connectFailures: 0,
    timeouts: 0,
    requests: 0,
    responses: emptyClasses(),
    bytesFromBackend: 0,
    bytesToBackend: 0,
    retries: 0,
    ejections: 0,
    healthChecks: { passed: 0, failed: 0 },
    h2: { sessionsActive: 0, sessionsTotal: 0, streamsActive: 0 },
  }
}

export function newListenerCounters(): ListenerCounters {
  return {
    connectionsActive: 0,
    connectionsTotal: 0,
    connectionsRejected: 0,
    requests: 0,
    responses: emptyClasses(),
    errors: {},
    bytesFromClients: 0,
    bytesToClients: 0,
    open: new Set(),
    engineTimeUs: new TimingHistogram(),
    filters: [],
  }
}

export function newPoolCounters(): PoolCounters {
  return { retries: 0, retriesRefusedByBudget: 0, noHealthyBackend: 0 }
}

/** Counts one error by code. */
export function countError(c: ListenerCounters, code: string): void {
  c.errors[code] = (c.errors[code] ?? 0) + 1
}
