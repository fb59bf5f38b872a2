import type { EventEmitter } from 'node:events'
import { socketFailureKind } from './connections/load-connection.js'
import type { LoadRecorder } from './load-recorder.js'
import type { FailureKind } from './load-types.js'

/**
 * The parts of an autocannon 8 `Client` the tap relies on. `setupClient`, the events and `destroy`
 * are its documented API; `conn`, `reqsMade` and `responseMax` are fields of its implementation
 * (the socket of the moment, requests written, and the cap behind `amount`), used to notice a
 * reconnection and to let a client finish its request in flight before it stops.
 */
export interface AutocannonClient extends EventEmitter {
  readonly conn?: EventEmitter
  readonly reqsMade: number
  responseMax?: number
  readonly destroyed: boolean
  destroy(): void
}

/** Counts over the whole run (warm-up included), to reconcile with autocannon's own counters. */
export interface TapTotals {
  sent: number
  responses: number
  /** Responses per status code. */
  byStatus: Record<string, number>
  non2xx: number
  timeouts: number
  unmatched: number
}

/** What the tap needs from the run it serves. */
export interface TapContext {
  readonly clock: () => bigint
  readonly recorder: LoadRecorder
  readonly secure: boolean
  readonly warmupEndNs: bigint
  readonly timeoutNs: bigint
  /** Set for a rate-limited run: HdrHistogram's correction with this expected interval. */
  readonly expectedIntervalUs?: number
  /** Called when the measured requests reach the cap. */
  readonly onCap: () => void
  readonly maxRequests: number
}

interface Outstanding {
  readonly sentNs: bigint
  readonly measured: boolean
}

interface ClientState {
  readonly client: AutocannonClient
  /** Requests written and not answered, oldest first (autocannon answers in order). */
  readonly outstanding: Outstanding[]
  conn: EventEmitter | undefined
  connected: boolean
  backend: string | undefined
}

const us = (ns: bigint) => Number(ns) / 1e3

/** The `x-backend` value of an http-parser-js headers object (`headers`: a flat name, value list). */
export function backendOf(info: unknown): string | undefined {
  const raw = (info as { headers?: unknown } | undefined)?.headers
  if (!Array.isArray(raw)) return undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (typeof raw[i] === 'string' && (raw[i] as string).toLowerCase() === 'x-backend') return String(raw[i + 1])
  }
  return undefined
}

/**
 * Per-request instrumentation of autocannon through `setupClient`. Each client's `request` event
 * (emitted right before the request is written) is stamped with `process.hrtime` in ns and queued;
 * each `response` takes the oldest stamp, so latency has µs resolution where autocannon's own
 * histogram has whole milliseconds. Requests a connection loses (error, close by the peer,
 * timeout) are counted as failures when autocannon replaces the connection, so every measured
 * request ends exactly once.
 */
export class AutocannonTap {
  readonly totals: TapTotals = { sent: 0, responses: 0, byStatus: {}, non2xx: 0, timeouts: 0, unmatched: 0 }
  measuredSent = 0
  private readonly clients: ClientState[] = []
  private draining = false

  constructor(private readonly ctx: TapContext) {}

  /** The `setupClient` option. */
  readonly setupClient = (client: AutocannonClient): void => {
    const st: ClientState = { client, outstanding: [], conn: undefined, connected: false, backend: undefined }
    this.clients.push(st)
    client.on('request', () => this.onRequest(st))
    client.on('headers', (info: unknown) => {
      st.backend = backendOf(info)
    })
    client.on('response', (status: number) => this.onResponse(st, status))
    client.on('connError', (e: NodeJS.ErrnoException) => this.lose(st, socketFailureKind(e, st.connected)))
    client.on('timeout', () => {
      // The connection was replaced; if no request went out on the new one, the old ones are lost here.
      if (client.destroyed || client.conn !== st.conn) this.lose(st, 'timeout')
    })
  }

  /** Stops every client once its request in flight is answered (or times out). */
  drain(): void {
    if (this.draining) return
    this.draining = true
    for (const st of this.clients) {
      const c = st.client
      if (c.destroyed) continue
      c.responseMax = Math.max(1, c.reqsMade)
      if (st.outstanding.length === 0) c.destroy()
    }
  }

  /** Ends the run's accounting: whatever is still outstanding failed with `kind`. */
  settle(kind: FailureKind): void {
    for (const st of this.clients) this.lose(st, kind)
  }

  private onRequest(st: ClientState): void {
    const c = st.client
    if (c.destroyed) return
    const now = this.ctx.clock()
    if (c.conn !== st.conn) {
      if (st.outstanding.length > 0) {
        const oldest = st.outstanding[0]!
        this.lose(st, now - oldest.sentNs >= (this.ctx.timeoutNs * 95n) / 100n ? 'timeout' : 'reset')
      }
      this.watchConnection(st, now)
    }
    const measured = now >= this.ctx.warmupEndNs
    st.outstanding.push({ sentNs: now, measured })
    this.totals.sent++
    if (!measured) return
    this.measuredSent++
    this.ctx.recorder.recordSent(now)
    if (this.measuredSent >= this.ctx.maxRequests) this.ctx.onCap()
  }

  private watchConnection(st: ClientState, openedNs: bigint): void {
    const conn = st.client.conn
    st.conn = conn
    st.connected = false
    conn?.once(this.ctx.secure ? 'secureConnect' : 'connect', () => {
      st.connected = true
      const now = this.ctx.clock()
      if (openedNs >= this.ctx.warmupEndNs) this.ctx.recorder.recordHandshake(us(now - openedNs))
    })
  }

  private onResponse(st: ClientState, status: number): void {
    const now = this.ctx.clock()
    const s = String(status)
    this.totals.responses++
    this.totals.byStatus[s] = (this.totals.byStatus[s] ?? 0) + 1
    if (status < 200 || status >= 300) this.totals.non2xx++
    const entry = st.outstanding.shift()
    const backend = st.backend
    st.backend = undefined
    if (entry === undefined) this.totals.unmatched++
    else if (entry.measured) {
      const latencyUs = us(now - entry.sentNs)
      this.ctx.recorder.recordCompletion(now, {
        ok: status < 400,
        ...(status < 400 ? {} : { kind: 'status' as const }),
        status: s,
        ...(backend === undefined ? {} : { backend }),
        latencyUs,
        ...(this.ctx.expectedIntervalUs === undefined ? {} : { expectedIntervalUs: this.ctx.expectedIntervalUs }),
      })
    }
    // A paced client that has used its budget waits for the next second instead of stopping.
    if (this.draining) setImmediate(() => this.retire(st))
  }

  private retire(st: ClientState): void {
    if (!st.client.destroyed && st.outstanding.length === 0) st.client.destroy()
  }

  private lose(st: ClientState, kind: FailureKind): void {
    const lost = st.outstanding.splice(0)
    if (lost.length === 0) return
    const now = this.ctx.clock()
    for (const r of lost) {
      if (kind === 'timeout') this.totals.timeouts++
      if (r.measured) this.ctx.recorder.recordCompletion(now, { ok: false, kind })
    }
  }
}
