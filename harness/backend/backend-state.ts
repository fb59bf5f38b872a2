/**
 * The backend's mutable state shared by its listeners: the current behaviour, the seeded random
 * source every draw comes from, and the counters reported by `GET /state`.
 */
import { seededRandom } from '../../engine/balancing/random.js'
import { statusClass, type StatusClass } from '../../engine/stats/counters.js'
import { defaultSeed, type Behaviour, type BehaviourPatch } from './backend-config.js'
import { decide, isHealthy, mergeBehaviour, type Decision } from './behaviour.js'

/** What the backend has served since it started or since the counters were last reset. */
export interface ServedCounters {
  /** Health checks (`GET/HEAD /health`, `/healthz`) are not counted: they are not load. */
  http: { requests: number; byStatus: Record<StatusClass, number>; resets: number }
  /** `WHO` lines are not counted as requests. */
  tcp: { requests: number; errors: number; resets: number; connections: number }
  udp: { datagrams: number }
}

function zeroCounters(): ServedCounters {
  return {
    http: { requests: 0, byStatus: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, resets: 0 },
    tcp: { requests: 0, errors: 0, resets: 0, connections: 0 },
    udp: { datagrams: 0 },
  }
}

/** Ports actually bound. */
export interface ListeningPorts {
  http?: number
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
  listening: ListeningPorts
  uptimeMs: number
}

/** Shared state of one backend process. */
export class BackendState {
  private current: Behaviour
  private readonly random: () => number
  private readonly startedAt: number
  served: ServedCounters = zeroCounters()
  listening: ListeningPorts = { control: 0 }

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
    this.current = mergeBehaviour(this.current, patch)
    return this.current
  }

  /** The fate of the next request under the current behaviour. */
  decide(): Decision {
    return decide(this.current, this.random)
  }

  /** Counts an HTTP answer with `status`. */
  countStatus(status: number): void {
    this.served.http.byStatus[statusClass(status)]++
  }

  resetCounters(): void {
    this.served = zeroCounters()
  }

  snapshot(): StateSnapshot {
    return {
      id: this.id,
      pid: process.pid,
      behaviour: this.current,
      healthy: this.healthy,
      served: this.served,
      listening: this.listening,
      uptimeMs: this.now() - this.startedAt,
    }
  }
}
