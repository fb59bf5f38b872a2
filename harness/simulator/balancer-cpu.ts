import { drawLatencyMs } from '../backend/latency-distribution.js'
import { DeadlineQueue } from './deadline-queue.js'
import type { EventQueue } from './event-queue.js'
import { EV_CPU } from './sim-events.js'
import type { SimModel } from './sim-model.js'
import type { SimLatency } from './simulation-schema.js'

/**
 * The balancer's CPU as a queueing station: `cores` that each process one request at a time,
 * first come, first served, for a time drawn from `perRequest` (its parsing, routing and picking:
 * what a live run measures as balancer CPU per request), after one from `perConnection` and the
 * TLS `handshake` when each request comes on a connection of its own (`onStart` hears the parts). Requests wait for a free core in a FIFO
 * of (request slot, generation) — arrival times only grow, so the timers' FIFO serves. Busy cores
 * and waiting requests are integrated over the measured window, so utilisation and queue come out
 * without per-request samples.
 */
export class BalancerCpu {
  private busy = 0
  private readonly waiting = new DeadlineQueue(1024)
  private lastT = 0
  private areaBusy = 0
  private areaQueue = 0
  private maxQueue = 0
  /** Requests whose processing finished in the measured window. */
  private served = 0

  readonly cores: number
  private readonly perRequest: SimLatency
  private readonly perConnection: SimLatency | undefined

  constructor(
    spec: NonNullable<SimModel['balancer']>,
    /** The TLS handshake the balancer does for each request's connection (termination), if any. */
    private readonly handshake: SimLatency | undefined,
    private readonly queue: EventQueue,
    private readonly random: () => number,
    /** The measured window: integrals count only time inside it (its end moves when sending stops). */
    private readonly window: { readonly fromUs: number; toUs(): number },
    /**
     * A core takes request `r` (generation `gen`) now: it spends `connectionUs` on the connection
     * (accept, handshake), then `requestUs` on the request.
     */
    private readonly onStart: (r: number, gen: number, connectionUs: number, requestUs: number) => void = () => {},
  ) {
    this.cores = spec.cores
    this.perRequest = spec.perRequest
    this.perConnection = spec.perConnection
  }

  /** Request `r` (generation `gen`) reaches the balancer at `t`: a free core takes it, else it waits. */
  arrive(r: number, gen: number, t: number): void {
    this.account(t)
    if (this.busy < this.cores) {
      this.busy++
      this.start(r, gen, t)
      return
    }
    this.waiting.push(t, r, gen)
    if (t >= this.window.fromUs && this.waiting.size > this.maxQueue) this.maxQueue = this.waiting.size
  }

  /** A core finished a request at `t`: it takes the next waiting one, if any. */
  done(t: number): void {
    this.account(t)
    if (t >= this.window.fromUs && t <= this.window.toUs()) this.served++
    const w = this.waiting
    if (w.size === 0) {
      this.busy--
      return
    }
    const r = w.peekSlot()
    const gen = w.peekGen()
    w.shift()
    this.start(r, gen, t)
  }

  /**
   * What the measured window saw: busy share of the cores, mean and longest queue, requests
   * processed, and the CPU time spent (µs, all cores).
   */
  summary(endUs: number): { cores: number; utilisation: number; queue: number; maxQueue: number; served: number; busyUs: number } {
    this.account(endUs)
    const span = Math.max(0, Math.min(this.window.toUs(), endUs) - this.window.fromUs)
    return {
      cores: this.cores,
      utilisation: span > 0 ? this.areaBusy / (span * this.cores) : 0,
      queue: span > 0 ? this.areaQueue / span : 0,
      maxQueue: this.maxQueue,
      served: this.served,
      busyUs: this.areaBusy,
    }
  }

  private start(r: number, gen: number, t: number): void {
    // The connection first (accept, then the handshake), then the request.
    let connection = this.perConnection === undefined ? 0 : drawLatencyMs(this.perConnection, this.random) * 1000
    if (this.handshake !== undefined) connection += drawLatencyMs(this.handshake, this.random) * 1000
    const request = drawLatencyMs(this.perRequest, this.random) * 1000
    this.onStart(r, gen, connection, request)
    this.queue.push(t + connection + request, EV_CPU, r, gen)
  }

  /** Adds the part of the time since the last change that lies in the measured window. */
  private account(t: number): void {
    const from = Math.max(this.lastT, this.window.fromUs)
    const to = Math.min(t, this.window.toUs())
    if (to > from) {
      this.areaBusy += this.busy * (to - from)
      this.areaQueue += this.waiting.size * (to - from)
    }
    this.lastT = t
  }
}
