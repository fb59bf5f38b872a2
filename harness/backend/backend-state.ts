/**
 * The backend's mutable state shared by its listeners: the current behaviour, the seeded random
 * source every draw comes from, and the counters reported by `GET /state`.
 */
import { seededRandom } from '../../engine/balancing/random.js'
import { statusClass, type StatusClass } from '../../engine/stats/counters.js'
import { defaultSeed, type Behaviour, type BehaviourPatch } from './backend-config.js'
import { decide, isHealthy, mergeBehaviour, type Decision } from './behaviour.js'
import { PreciseTimers, type PreciseTimer } from '../../engine/runtime/precise-timers.js'
import { ServiceTimes, type ServiceTimeSnapshot } from './service-times.js'

/** What the backend has served since it started or since the counters were last reset. */
export interface ServedCounters {
  /** Health checks (`GET/HEAD /health`, `/healthz`) are not counted: they are not load. */
  http: { requests: number; byStatus: Record<StatusClass, number>; resets: number }
  /** `WHO` lines are not counted as requests. */
  tcp: { requests: number; errors: number; resets: number; connections: number }
  udp: { datagrams: number }
  /** gRPC calls of the echo service (health calls are not counted), by the status they ended with; connections accepted. */
  grpc: { requests: number; byCode: Record<string, number>; resets: number; connections: number }
}

function zeroCounters(): ServedCounters {
  return {
    http: { requests: 0, byStatus: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, resets: 0 },
    tcp: { requests: 0, errors: 0, resets: 0, connections: 0 },
    udp: { datagrams: 0 },
    grpc: { requests: 0, byCode: {}, resets: 0, connections: 0 },
  }
}

/** Where a backend learnt the client address of a request. */
export type ClientVia = 'x-forwarded-for' | 'x-real-ip' | 'proxy-protocol' | 'peer'

/** Distinct addresses counted per map; further ones count under `other`. */
export const MAX_SEEN_ADDRESSES = 256

/**
 * What the backend received (HTTP requests, TCP lines and UDP datagrams that are load, as in
 * `served`): inside TLS or in plaintext, the client address each was attributed to, the address of
 * the connection's peer, and how the client address was learnt.
 */
export interface SeenCounters {
  tls: number
  plaintext: number
  clients: Record<string, number>
  peers: Record<string, number>
  via: Record<string, number>
}

/** Bounded address counters (a client can send any X-Forwarded-For). */
class AddressCounts {
  private readonly counts = new Map<string, number>()

  add(address: string): void {
    const key = address.length > 64 ? address.slice(0, 64) : address
    const n = this.counts.get(key)
    if (n !== undefined) this.counts.set(key, n + 1)
    else if (this.counts.size < MAX_SEEN_ADDRESSES) this.counts.set(key, 1)
    else this.counts.set('other', (this.counts.get('other') ?? 0) + 1)
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts)
  }
}

/** The running form of {@link SeenCounters}. */
class Seen {
  tls = 0
  plaintext = 0
  readonly clients = new AddressCounts()
  readonly peers = new AddressCounts()
  readonly via: Record<ClientVia, number> = { 'x-forwarded-for': 0, 'x-real-ip': 0, 'proxy-protocol': 0, peer: 0 }

  snapshot(): SeenCounters {
    return { tls: this.tls, plaintext: this.plaintext, clients: this.clients.toJSON(), peers: this.peers.toJSON(), via: { ...this.via } }
  }
}

/** Ports actually bound. */
export interface ListeningPorts {
  http?: number
  grpc?: number
  tcp?: number
  udp?: number
  control: number
}

/** The answer of `GET /state`. */
export interface StateSnapshot {
  id: string
  pid: number
  behaviour: Behaviour
  healthy: boolean
  served: ServedCounters
  seen: SeenCounters
  listening: ListeningPorts
  uptimeMs: number
  /** The injected latency as waited: asked for against made, per held request. */
  service: ServiceTimeSnapshot
}

/** Shared state of one backend process. */
export class BackendState {
  private current: Behaviour
  private readonly random: () => number
  private readonly startedAt: number
  served: ServedCounters = zeroCounters()
  private seenNow = new Seen()
  private service = new ServiceTimes()
  private readonly timers = new PreciseTimers()
  listening: ListeningPorts = { control: 0 }
  private readonly healthWatchers = new Set<(healthy: boolean) => void>()

  constructor(
    readonly id: string,
    behaviour: Behaviour,
    seed: number = defaultSeed(id),
    private readonly now: () => number = Date.now,
  ) {
    this.current = behaviour
    this.random = seededRandom(seed)
    this.startedAt = now()
  }

  get behaviour(): Behaviour {
    return this.current
  }

  get healthy(): boolean {
    return isHealthy(this.current)
  }

  /** Applies a validated change. */
  changeBehaviour(patch: BehaviourPatch): Behaviour {
    const wasHealthy = this.healthy
    this.current = mergeBehaviour(this.current, patch)
    if (this.healthy !== wasHealthy) for (const w of this.healthWatchers) w(this.healthy)
    return this.current
  }

  /** Calls `watcher` whenever health changes (gRPC's health Watch); returns the unsubscribe. */
  watchHealth(watcher: (healthy: boolean) => void): () => void {
    this.healthWatchers.add(watcher)
    return () => this.healthWatchers.delete(watcher)
  }

  /** The random source of every draw, for the listeners' own draws (connection ages). */
  draw(): number {
    return this.random()
  }

  /** The fate of the next request under the current behaviour. */
  decide(): Decision {
    return decide(this.current, this.random)
  }

  /**
   * Waits `delayMs` from now (the request has just been read), never less, then calls `then`; the
   * wait made is recorded against the one asked for.
   */
  hold(delayMs: number, then: () => void): PreciseTimer {
    const startNs = process.hrtime.bigint()
    return this.timers.after(startNs, delayMs, (nowNs) => {
      this.service.record(delayMs * 1000, Number(nowNs - startNs) / 1000)
      then()
    })
  }

  /** Counts a gRPC echo call that ended with `code`. */
  countGrpc(code: number): void {
    const c = this.served.grpc.byCode
    c[code] = (c[code] ?? 0) + 1
  }

  /** Counts an HTTP answer with `status`. */
  countStatus(status: number): void {
    this.served.http.byStatus[statusClass(status)]++
  }

  /** Counts one request of load: how it arrived, whom it is attributed to, and the connection's peer. */
  see(tls: boolean, client: string, via: ClientVia, peer: string): void {
    const s = this.seenNow
    if (tls) s.tls++
    else s.plaintext++
    s.clients.add(client)
    s.peers.add(peer)
    s.via[via]++
  }

  resetCounters(): void {
    this.served = zeroCounters()
    this.seenNow = new Seen()
    this.service = new ServiceTimes()
  }

  snapshot(): StateSnapshot {
    return {
      id: this.id,
      pid: process.pid,
      behaviour: this.current,
      healthy: this.healthy,
      served: this.served,
      seen: this.seenNow.snapshot(),
      listening: this.listening,
      uptimeMs: this.now() - this.startedAt,
      service: this.service.snapshot(),
    }
  }
}
