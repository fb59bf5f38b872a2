/**
 * A pacer whose waiting is done by a worker thread blocked in `Atomics.wait`, so the open loop sends
 * on time at thousands of requests per second without keeping the event loop polling.
 *
 * The precise timers (engine/runtime/precise-timers.ts) reach a deadline by polling its last
 * millisecond with `setImmediate`; polling costs a core while it lasts, so it is held to a budget,
 * and once due times are less than a millisecond apart the budget binds and sends fall back towards
 * a millisecond timer's lateness. Here the event loop sleeps in the kernel with no timer armed, and
 * the worker — asleep in a futex with a microsecond timeout — posts a message that wakes it. The
 * wake-up itself takes time (the futex's timer slack, the worker's message, the loop's return from
 * epoll), so the worker is asked to wake a lead earlier, the lead being the 90th percentile of the
 * wake-ups measured so far: most wakes arrive a little early and poll the few microseconds left.
 * Polling costs a core while it lasts, so the lead is also held to a share of the time between
 * deadlines: at thousands per second a wake may then arrive late by its jitter, never by a timer's
 * millisecond.
 * Nothing ever fires before its deadline.
 */
import { Worker } from 'node:worker_threads'
import type { PreciseTimer } from '../../engine/runtime/precise-timers.js'

/**
 * The worker, plain JavaScript so it runs from sources and from dist alike. `wakeAt` (ns on the
 * process's monotonic clock, 0 = nothing to do, -1 = quit) is read after every wait; `gen` changes
 * whenever the main thread writes `wakeAt`, which interrupts the wait. A wake is claimed by
 * clearing `wakeAt` with compare-and-exchange, so one rewritten meanwhile is never lost.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const gen = new Int32Array(workerData, 0, 1)
const wakeAt = new BigInt64Array(workerData, 8, 1)
for (;;) {
  const g = Atomics.load(gen, 0)
  const at = Atomics.load(wakeAt, 0)
  if (at === -1n) break
  if (at === 0n) { Atomics.wait(gen, 0, g); continue }
  const left = Number(at - process.hrtime.bigint())
  if (left > 0) { Atomics.wait(gen, 0, g, left / 1e6); continue }
  if (Atomics.compareExchange(wakeAt, 0, at, 0n) === at) parentPort.postMessage(at)
}
`

/** Wake-ups remembered for the lead. */
const WAKE_WINDOW = 31
/** The share of the wake-ups the lead covers. */
const LEAD_QUANTILE = 0.9
/** The lead never exceeds this share of the time between deadlines: the most the loop polls. */
const POLL_SHARE = 0.25
/**
 * The lead never exceeds this, ns: a wake-up later than that waited for a busy loop or a busy
 * machine, which an earlier wake would not mend, and polling the lead would cost the loop.
 */
const MAX_LEAD_NS = 200_000

/** One deadline at a time, reached by a worker thread's wake-up and a short poll. */
export class ThreadPacer {
  private readonly gen: Int32Array
  private readonly wakeAt: BigInt64Array
  private readonly wakes: number[] = []
  private leadNs = 0
  /** Time between the last deadlines, ns (an average), and the last deadline. */
  private periodNs = Number.POSITIVE_INFINITY
  private lastDeadlineNs: bigint | undefined
  private pending: { readonly deadlineNs: bigint; readonly fire: (nowNs: bigint) => void; wakeNs: bigint } | undefined
  private poll: NodeJS.Immediate | undefined
  private closed = false

  private constructor(
    private readonly worker: Worker,
    control: SharedArrayBuffer,
  ) {
    this.gen = new Int32Array(control, 0, 1)
    this.wakeAt = new BigInt64Array(control, 8, 1)
    worker.on('message', this.onWake)
    // Like a timer, only a pending deadline keeps the process alive.
    worker.unref()
  }

  /** Starts the worker thread; resolves once it runs, so the first deadline does not pay for its start. */
  static start(): Promise<ThreadPacer> {
    return new Promise((resolve, reject) => {
      const control = new SharedArrayBuffer(16)
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: control })
      worker.once('error', reject)
      worker.once('online', () => {
        worker.off('error', reject)
        resolve(new ThreadPacer(worker, control))
      })
    })
  }

  /** The lead the worker is woken by, µs. */
  get leadUs(): number {
    return this.leadNs / 1e3
  }

  /**
   * Calls `fire(now)` once `process.hrtime.bigint()` reads `deadlineNs` or later; always
   * asynchronously. Arming again replaces the pending deadline.
   */
  at(deadlineNs: bigint, fire: (nowNs: bigint) => void): PreciseTimer {
    this.cancelPending()
    const entry = { deadlineNs, fire, wakeNs: 0n }
    this.pending = entry
    this.worker.ref()
    if (this.lastDeadlineNs !== undefined && deadlineNs > this.lastDeadlineNs) {
      const gap = Number(deadlineNs - this.lastDeadlineNs)
      this.periodNs = Number.isFinite(this.periodNs) ? 0.9 * this.periodNs + 0.1 * gap : gap
    }
    this.lastDeadlineNs = deadlineNs
    const lead = Math.min(this.leadNs, POLL_SHARE * this.periodNs)
    const wakeNs = deadlineNs - BigInt(Math.round(lead))
    // Too close to wake for, or no worker left: polled, from the next loop turn on.
    if (this.closed || wakeNs <= process.hrtime.bigint()) this.poll = setImmediate(this.pollUntilDue)
    else {
      entry.wakeNs = wakeNs
      this.setWake(wakeNs)
    }
    return {
      cancel: () => {
        if (this.pending === entry) this.cancelPending()
      },
    }
  }

  /** Stops the worker thread; a deadline still pending is then polled for. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.setWake(-1n)
    void this.worker.terminate()
    if (this.pending !== undefined) this.poll ??= setImmediate(this.pollUntilDue)
  }

  private setWake(ns: bigint): void {
    Atomics.store(this.wakeAt, 0, ns)
    Atomics.add(this.gen, 0, 1)
    Atomics.notify(this.gen, 0)
  }

  private cancelPending(): void {
    if (this.pending === undefined) return
    this.pending = undefined
    this.worker.unref()
    if (this.poll !== undefined) clearImmediate(this.poll)
    this.poll = undefined
    // A wake still asked for is left to happen: it finds nothing pending and is ignored.
  }

  private onWake = (wakeNs: bigint): void => {
    const entry = this.pending
    if (entry === undefined || entry.wakeNs !== wakeNs) return
    this.remember(Number(process.hrtime.bigint() - wakeNs))
    this.pollUntilDue()
  }

  /** Keeps the last wake-ups and sets the lead to their 90th percentile. */
  private remember(lateNs: number): void {
    this.wakes.push(lateNs)
    if (this.wakes.length > WAKE_WINDOW) this.wakes.shift()
    const sorted = [...this.wakes].sort((a, b) => a - b)
    this.leadNs = Math.min(MAX_LEAD_NS, Math.max(0, sorted[Math.floor((sorted.length - 1) * LEAD_QUANTILE)]!))
  }

  private pollUntilDue = (): void => {
    this.poll = undefined
    const entry = this.pending
    if (entry === undefined) return
    const now = process.hrtime.bigint()
    if (now < entry.deadlineNs) {
      this.poll = setImmediate(this.pollUntilDue)
      return
    }
    this.pending = undefined
    this.worker.unref()
    entry.fire(now)
  }
}
