import type { RunEvent } from '../../reports/result/result-model.js'
import { PAUSED, UP, type BackendStations } from './backend-stations.js'
import type { EventQueue } from './event-queue.js'
import type { Disruption } from './hash-disruption.js'
import { EV_OUTLIER, EV_PROBE, EV_PROBE_RESULT } from './sim-events.js'
import { readyPrimaries, type PoolNotice, type SimPoolState } from './sim-pools.js'

/** Most disruption measurements kept per run. */
const MAX_DISRUPTIONS = 1000

/** A measured key movement, at a time of the measured phase. */
export interface DisruptionEvent extends Disruption {
  readonly tMs: number
  readonly pool: string
}

/** What the control plane works with: the simulation's parts and its clock. */
export interface ControlContext {
  readonly queue: EventQueue
  readonly stations: BackendStations
  readonly pools: readonly SimPoolState[]
  readonly ids: readonly string[]
  readonly stationOf: ReadonlyMap<string, number>
  /** Start of the measured phase, µs: events before it are start-up. */
  readonly warmupUs: number
  /** One-way network delay draws (undefined: none). */
  readonly net: (() => number) | undefined
  /** Uniform draws for the checks' jitter. */
  readonly random: () => number
  nowUs(): number
}

/**
 * The balancer's control plane on virtual time: active health checks as the engine's checker runs
 * them (first check at once, then the interval ±10 % after each result; a probe of a hung backend
 * fails at its timeout, of a dead one at once), passive outlier ejection and its expiry, and the
 * record of what the pools noticed and of key movement in hash pools.
 */
export class ControlPlane {
  readonly events: RunEvent[] = []
  readonly disruptions: DisruptionEvent[] = []
  readonly warnings: string[] = []

  constructor(private readonly c: ControlContext) {}

  /** Something a pool noticed, as the engine's event log would report it (measured phase only). */
  notice(n: PoolNotice): void {
    if (n.atUs < this.c.warmupUs) return
    this.events.push({ tMs: (n.atUs - this.c.warmupUs) / 1000, source: 'balancer', type: n.type, target: n.backend, detail: n.detail === undefined ? `pool ${n.pool}` : `pool ${n.pool}: ${n.detail}` })
  }

  /** A request's outcome for outlier detection: ejects on the configured run of failures. */
  recordOutcome(ps: SimPoolState, id: string, ok: boolean): void {
    const t = this.c.nowUs()
    const e = ps.outliers!.record(id, ok, t)
    if (e?.type !== 'ejected') return
    ps.pool.setEjected(id, true)
    this.notice({ atUs: t, type: 'backend-ejected', pool: ps.model.name, backend: id, detail: `${ps.model.outlierDetection?.consecutiveFailures ?? 5} consecutive failures` })
    this.c.queue.push(e.untilUs!, EV_OUTLIER, ps.index)
  }

  /** Ejections of pool `p` that have ended: back in service. */
  outliersDue(p: number): void {
    const ps = this.c.pools[p]!
    const now = this.c.nowUs()
    for (const id of ps.outliers!.due(now)) {
      const b = this.c.stationOf.get(id)!
      if (ps.member[b] === 1) ps.pool.setEjected(id, false)
      this.notice({ atUs: now, type: 'backend-returned', pool: ps.model.name, backend: id, detail: 'ejection ended' })
    }
  }

  /** An active health check of backend `b` for pool `p`: how the backend would answer it, and when. */
  probe(p: number, b: number): void {
    const { stations, net } = this.c
    const ps = this.c.pools[p]!
    const hc = ps.model.healthCheck!
    if (ps.member[b] !== 1) return
    const state = stations.stateOf(b)
    const rtt = net === undefined ? 0 : net() + net()
    let ok: boolean
    let after: number
    if (state === PAUSED) {
      ok = false
      after = hc.timeoutUs
    } else if (state !== UP) {
      ok = false
      after = rtt
    } else {
      // A TCP or TLS check only connects; an HTTP check asks /health.
      ok = hc.type !== 'http' || (stations.behaviourOf(b).healthy ?? true)
      after = rtt
      if (rtt > hc.timeoutUs) {
        ok = false
        after = hc.timeoutUs
      }
    }
    this.c.queue.push(this.c.nowUs() + after, EV_PROBE_RESULT, p, b, ok ? 1 : 0)
  }

  /** A probe's result: the pool's rise/fall decides; the next probe after the interval. */
  probeResult(p: number, b: number, ok: boolean): void {
    const ps = this.c.pools[p]!
    if (ps.member[b] !== 1) return
    ps.pool.reportHealth(this.c.ids[b]!, ok)
    // The engine's checker waits the interval (±10 % jitter) after each result.
    const interval = ps.model.healthCheck!.intervalUs * (0.9 + 0.2 * this.c.random())
    this.c.queue.push(this.c.nowUs() + interval, EV_PROBE, p, b)
  }

  /** After picker rebuilds: how many keys moved, for pools of hash algorithms whose ready set changed. */
  checkDisruption(): void {
    const now = this.c.nowUs()
    for (const ps of this.c.pools) {
      if (!ps.rebuilt) continue
      ps.rebuilt = false
      const tracker = ps.disruption
      if (tracker === undefined) continue
      const ready = readyPrimaries(ps.pool)
      if (!tracker.changed(ready.map((b) => b.id))) continue
      const d = tracker.update(ready)
      if (d === undefined || now < this.c.warmupUs) continue
      if (this.disruptions.length < MAX_DISRUPTIONS) this.disruptions.push({ tMs: (now - this.c.warmupUs) / 1000, pool: ps.model.name, ...d })
      else if (this.warnings.length === 0) this.warnings.push(`more than ${MAX_DISRUPTIONS} membership changes: key movement recorded for the first ${MAX_DISRUPTIONS}`)
    }
  }
}
