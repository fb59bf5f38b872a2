import { PreciseTimers, type PreciseTimer } from '../../engine/runtime/precise-timers.js'
import { ConstantRateSchedule } from './constant-rate-schedule.js'
import type { ConnectionFactory, ExchangeResult, LoadConnection } from './connections/load-connection.js'
import { startCpuMeter } from './generator-cpu.js'
import type { ResolvedPlan } from './load-plan.js'
import { LoadRecorder, type IntervalListener } from './load-recorder.js'
import type { LoadSummary } from './load-types.js'
import { loadWarnings } from './load-warnings.js'
import { ThreadPacer } from './thread-pacer.js'

/** A monotonic clock in nanoseconds. */
export type Clock = () => bigint

/** One request on its way. */
interface Request {
  readonly index: number
  /** When it was due: the schedule's time in the open loop, the send decision in the closed loop. */
  readonly intendedNs: bigint
  /** When this run committed to it (connecting included): timeouts count from here. */
  readonly startNs: bigint
  /** When its bytes were written. */
  writeNs: bigint
  readonly measured: boolean
}

/** A connection position of the pool, carrying at most one request: one client. */
interface Slot {
  /** The client number (its source address and cookies persist across reconnections). */
  readonly client: number
  conn: LoadConnection | undefined
  req: Request | undefined
  /** Cookies the client's responses set, name → `name=value`. */
  jar: Map<string, string> | undefined
}

/** Requests still in flight this long after an abort are counted as `aborted`. */
const ABORT_GRACE_MS = 250
/**
 * Share of a core the precise timers (below {@link THREAD_PACER_MIN_RATE}, with an injected clock,
 * until the worker thread is up, or when none starts) may spend polling for due times: enough to send on time at a few hundred requests
 * per second; above that its lag grows back towards a millisecond timer's, and is reported and warned about.
 */
const PACER_POLL_BUDGET = 0.25
/**
 * From this rate (req/s) on, a worker thread paces the open loop. Below it the precise timers'
 * polling fits its budget and sends sooner (on this project's 2-vCPU machine, busy: p50 lag 15–40 µs
 * polled against 26–94 µs woken by the thread at 200 req/s); above it the budget binds (p50 0.3–0.9 ms
 * at 1000–3000 req/s) where the thread keeps 4–40 µs.
 */
const THREAD_PACER_MIN_RATE = 500
/** Sends the pacer makes before yielding to I/O when it is behind. */
const PACER_BATCH = 256

const ms = (ns: bigint) => Number(ns) / 1e6
const us = (ns: bigint) => Number(ns) / 1e3

/** What the open loop waits for due times with: one deadline at a time. */
interface Pacer {
  at(deadlineNs: bigint, fire: (nowNs: bigint) => void): PreciseTimer
  close?(): void
}

/**
 * One run of the native generator: a pool of `connections` slots, each carrying one request at a
 * time. Closed loop: a slot sends again as soon as its reply arrives. Open loop: request `i` is due
 * at `t0 + i / rate`; the pacer hands due requests to free slots on a precise timer (a millisecond
 * timer, then polling within a budget) or, from a few hundred per second on, when a worker thread
 * waiting in `Atomics.wait` wakes the loop for the next due time (thread-pacer.ts), so a request
 * leaves microseconds after its due time rather than up to a millisecond; when every slot is busy
 * the due requests wait and leave as slots free up. Latency is timed from the write; corrected latency from the due
 * time, so queueing and stalls are not omitted; the send lag (due → sent) is recorded apart.
 */
export class NativeRun {
  private readonly slots: Slot[]
  private readonly idle: Slot[] = []
  private schedule: ConstantRateSchedule | undefined
  private readonly preconnectHandshakes: bigint[] = []
  private recorder!: LoadRecorder
  private t0 = 0n
  private warmupEndNs = 0n
  private endNs = 0n
  private stopNs: bigint | undefined
  private nextIndex = 0
  private measuredSent = 0
  private allSent = 0
  private queued = 0
  private unsent = 0
  private finished = false
  private tick: NodeJS.Timeout | undefined
  private pacer: PreciseTimer | undefined
  private timers: Pacer
  private grace: NodeJS.Timeout | undefined
  private resolve!: (s: LoadSummary) => void
  private readonly cpu = startCpuMeter()
  private readonly timeoutNs: bigint

  constructor(
    private readonly plan: ResolvedPlan,
    private readonly factory: ConnectionFactory,
    private readonly clock: Clock,
    private readonly signal: AbortSignal | undefined,
    private readonly onSample: IntervalListener | undefined,
  ) {
    this.slots = Array.from({ length: plan.connections }, (_, client) => ({ client, conn: undefined, req: undefined, jar: plan.cookies === true ? new Map<string, string>() : undefined }))
    this.timeoutNs = BigInt(Math.round(plan.timeoutMs * 1e6))
    this.timers = new PreciseTimers({ clock, pollBudget: PACER_POLL_BUDGET })
  }

  async run(): Promise<LoadSummary> {
    if (!this.plan.newConnectionPerRequest && !this.signal?.aborted) await this.preconnect()
    // The worker reads the process's monotonic clock: with another clock injected, its wake-ups would
    // mean nothing. It is not waited for: the run's clock starts now, as its caller's timeline does
    // (a worker can take a hundred milliseconds to start on a busy machine); the precise timers pace
    // until it is up.
    if (this.plan.mode === 'open' && this.plan.rate! >= THREAD_PACER_MIN_RATE && this.clock === process.hrtime.bigint) {
      ThreadPacer.start().then(
        (thread) => {
          if (this.finished) thread.close()
          else this.timers = thread
        },
        () => {},
      )
    }
    return new Promise<LoadSummary>((resolve) => {
      this.resolve = resolve
      this.t0 = this.clock()
      this.warmupEndNs = this.t0 + BigInt(Math.round(this.plan.warmupMs * 1e6))
      this.endNs = this.warmupEndNs + BigInt(Math.round(this.plan.durationMs * 1e6))
      this.recorder = new LoadRecorder(this.warmupEndNs, this.plan.intervalMs, this.onSample)
      for (const h of this.preconnectHandshakes) this.recorder.recordHandshake(us(h))
      if (this.signal?.aborted) return this.onAbort()
      this.signal?.addEventListener('abort', this.onAbort)
      const tickMs = Math.min(50, Math.max(5, this.plan.timeoutMs / 10))
      this.tick = setInterval(this.onTick, tickMs)
      if (this.plan.mode === 'open') {
        this.schedule = new ConstantRateSchedule(this.t0, this.plan.rate!, this.endNs)
        this.idle.push(...this.slots)
        this.pace()
      } else {
        for (const slot of this.slots) if (!this.stopping) this.next(slot)
      }
    })
  }

  private get stopping(): boolean {
    return this.stopNs !== undefined
  }

  /** Opens every slot's connection before the clock starts, so handshakes do not count as request time. */
  private preconnect(): Promise<void> {
    return new Promise<void>((resolve) => {
      let waiting = this.slots.length
      const done = () => {
        clearTimeout(timer)
        this.signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, this.plan.timeoutMs)
      this.signal?.addEventListener('abort', done)
      const one = () => {
        if (--waiting === 0) done()
      }
      for (const slot of this.slots) {
        const conn = this.factory(slot.client)
        slot.conn = conn
        conn.open((error, handshakeNs) => {
          if (error !== undefined) slot.conn = undefined
          else if (handshakeNs >= 0n) this.preconnectHandshakes.push(handshakeNs)
          one()
        })
      }
    })
  }

  /** What a slot does once free: the next request, or nothing while stopping. */
  private next(slot: Slot): void {
    if (this.stopping) {
      if (this.slots.every((s) => s.req === undefined)) this.finish()
      return
    }
    const now = this.clock()
    if (now >= this.endNs || this.measuredSent >= this.plan.maxRequests) return this.stopSending(now)
    const schedule = this.schedule
    if (schedule === undefined) return this.start(slot, this.nextIndex++, now)
    if (this.nextIndex < schedule.dueBy(now)) {
      const i = this.nextIndex++
      const intendedNs = schedule.dueAt(i)
      // With no other slot free it was due while every slot was busy: it waited for this one.
      if (this.idle.length === 0 && intendedNs >= this.warmupEndNs) this.queued++
      return this.start(slot, i, intendedNs)
    }
    this.idle.push(slot)
    this.armPacer()
  }

  private start(slot: Slot, index: number, intendedNs: bigint): void {
    const now = this.clock()
    const measured = intendedNs >= this.warmupEndNs
    const req: Request = { index, intendedNs, startNs: now, writeNs: now, measured }
    slot.req = req
    this.allSent++
    if (measured) {
      this.measuredSent++
      this.recorder.recordSent(now)
      if (this.schedule !== undefined) this.recorder.recordSendLag(us(now - intendedNs))
    }
    const conn = slot.conn
    if (conn !== undefined && conn.reusable && !this.plan.newConnectionPerRequest) return this.transmit(slot, conn, req)
    conn?.destroy()
    const fresh = this.factory(slot.client)
    slot.conn = fresh
    fresh.open((error, handshakeNs) => {
      if (slot.req !== req) return
      if (error !== undefined) return this.complete(slot, req, { ok: false, kind: 'connect' })
      if (measured && handshakeNs >= 0n) this.recorder.recordHandshake(us(handshakeNs))
      this.transmit(slot, fresh, req)
    })
  }

  private transmit(slot: Slot, conn: LoadConnection, req: Request): void {
    req.writeNs = this.clock()
    const jar = slot.jar
    const abort = this.plan.clientAbort?.(slot.client, req.index)
    conn.send(req.index, (r) => this.complete(slot, req, r), jar === undefined || jar.size === 0 ? undefined : [...jar.values()].join('; '), abort)
  }

  private complete(slot: Slot, req: Request, r: ExchangeResult): void {
    if (slot.req !== req) return
    const now = this.clock()
    slot.req = undefined
    if (!r.ok && r.kind === 'client-abort') {
      // Abandoned on purpose: counted apart, no reply to report; the connection is gone.
      if (req.measured) this.recorder.recordClientAbort(now, r.point)
      slot.conn = undefined
      return this.next(slot)
    }
    if (slot.jar !== undefined && r.setCookies !== undefined) {
      for (const pair of r.setCookies) slot.jar.set(pair.slice(0, Math.max(0, pair.indexOf('='))), pair)
    }
    if (req.measured && this.plan.onResponse !== undefined) {
      this.plan.onResponse({
        index: req.index,
        client: slot.client,
        ok: r.ok,
        ...(r.ok ? {} : { kind: r.kind }),
        ...(r.status === undefined ? {} : { status: r.status }),
        ...(r.backend === undefined ? {} : { backend: r.backend }),
      })
    }
    if (req.measured) {
      const replied = r.ok || r.kind === 'status'
      this.recorder.recordCompletion(now, {
        ok: r.ok,
        ...(r.ok ? {} : { kind: r.kind }),
        ...(r.status === undefined ? {} : { status: r.status }),
        ...(r.backend === undefined ? {} : { backend: r.backend }),
        ...(replied ? { latencyUs: us(now - req.writeNs) } : {}),
        ...(replied && this.schedule !== undefined ? { correctedUs: us(now - req.intendedNs) } : {}),
      })
    }
    if (this.plan.newConnectionPerRequest || slot.conn?.reusable !== true) {
      slot.conn?.destroy()
      slot.conn = undefined
    }
    this.next(slot)
  }

  /** Hands due requests to free slots, then sleeps until the next due time. */
  private pace = (): void => {
    this.pacer = undefined
    if (this.stopping) return
    const schedule = this.schedule!
    const now = this.clock()
    if (now >= this.endNs || this.measuredSent >= this.plan.maxRequests) return this.stopSending(now)
    const behind = this.dispatchDue(schedule, now, PACER_BATCH)
    // Behind: carry on once I/O has run. Not on the precise timers: this is sending, not waiting,
    // and must not count against their polling budget.
    if (behind) {
      const next = setImmediate(this.pace)
      this.pacer = { cancel: () => clearImmediate(next) }
    } else this.armPacer()
  }

  /** Starts up to `budget` due requests on free slots; true when due requests and free slots remain. */
  private dispatchDue(schedule: ConstantRateSchedule, now: bigint, budget: number): boolean {
    const due = schedule.dueBy(now)
    while (this.nextIndex < due && this.idle.length > 0 && this.measuredSent < this.plan.maxRequests) {
      if (budget-- === 0) return true
      const i = this.nextIndex++
      // The slot idle longest goes first: every client keeps sending, as in the closed loop (a
      // stack would leave a few clients carrying the load, and per-client checks — cookies,
      // source addresses, stickiness — would see only those).
      this.start(this.idle.shift()!, i, schedule.dueAt(i))
    }
    return false
  }

  private armPacer(): void {
    if (this.pacer !== undefined || this.stopping || this.idle.length === 0) return
    const schedule = this.schedule!
    if (this.nextIndex >= schedule.length) return // all sent; the tick stops the run at its end
    this.pacer = this.timers.at(schedule.dueAt(this.nextIndex), this.pace)
  }

  private onTick = (): void => {
    const now = this.clock()
    for (const slot of this.slots) {
      const req = slot.req
      if (req !== undefined && now - req.startNs >= this.timeoutNs) {
        slot.conn?.destroy()
        slot.conn = undefined
        this.complete(slot, req, { ok: false, kind: 'timeout' })
      }
    }
    if (this.finished) return
    this.recorder.advance(now)
    if (!this.stopping && (now >= this.endNs || this.measuredSent >= this.plan.maxRequests)) this.stopSending(now)
  }

  private stopSending(now: bigint): void {
    if (this.stopping) return
    const stopNs = now < this.endNs ? now : this.endNs
    // Requests due before the end that a late timer has not yet sent still go, where a slot is free.
    if (this.schedule !== undefined && !this.signal?.aborted) this.dispatchDue(this.schedule, stopNs, Number.POSITIVE_INFINITY)
    this.stopNs = stopNs
    this.pacer?.cancel()
    this.pacer = undefined
    const schedule = this.schedule
    if (schedule !== undefined && this.measuredSent < this.plan.maxRequests) {
      const firstMeasured = Math.max(this.nextIndex, schedule.dueBy(this.warmupEndNs - 1n))
      this.unsent = Math.max(0, schedule.dueBy(this.stopNs) - firstMeasured)
    }
    if (this.slots.every((s) => s.req === undefined)) this.finish()
  }

  private onAbort = (): void => {
    this.stopSending(this.clock())
    if (this.finished) return
    this.grace = setTimeout(() => {
      for (const slot of this.slots) {
        const req = slot.req
        if (req === undefined) continue
        slot.conn?.destroy()
        slot.conn = undefined
        slot.req = undefined
        if (req.measured) this.recorder.recordCompletion(this.clock(), { ok: false, kind: 'aborted' })
      }
      this.finish()
    }, Math.min(ABORT_GRACE_MS, this.plan.timeoutMs))
  }

  private finish(): void {
    if (this.finished) return
    this.finished = true
    this.timers.close?.()
    clearInterval(this.tick)
    clearTimeout(this.grace)
    this.signal?.removeEventListener('abort', this.onAbort)
    for (const slot of this.slots) slot.conn?.destroy()
    const stopNs = this.stopNs ?? this.clock()
    const elapsedMs = Math.max(0, ms(stopNs - this.warmupEndNs))
    const generatorCpu = this.cpu.stop(this.allSent)
    const requestedRate = this.plan.mode === 'open' ? this.plan.rate : undefined
    const achievedRate = elapsedMs > 0 ? this.recorder.sent / (elapsedMs / 1000) : 0
    const warnings: string[] = []
    const summary = this.recorder.summary({ generator: 'layerbench', protocol: this.plan.protocol, mode: this.plan.mode, ...(requestedRate === undefined ? {} : { requestedRate }), elapsedMs, generatorCpu, warnings })
    // Judged from the summary: the send lag is weighed against the latency it was measured beside.
    warnings.push(
      ...loadWarnings({
        cpuUtilisation: generatorCpu.utilisation,
        ...(requestedRate === undefined ? {} : { requestedRate, unsent: this.unsent, queued: this.queued }),
        achievedRate,
        sent: this.recorder.sent,
        ...(summary.sendLagUs === undefined ? {} : { sendLagUs: summary.sendLagUs, latencyP50Us: summary.latencyUs.p50 }),
      }),
    )
    this.resolve(summary)
  }
}
