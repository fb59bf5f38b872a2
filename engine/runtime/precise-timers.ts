/**
 * Timers that never fire before their time and, within a CPU budget, fire microseconds after it.
 *
 * Node's `setTimeout` counts whole milliseconds from the event loop's cached clock: a timer armed
 * late in a loop turn, or just before a millisecond boundary, fires up to a millisecond (and the
 * turn's length) early; one armed early in a turn fires up to a millisecond late. These timers keep
 * an absolute deadline on the monotonic ns clock instead: a millisecond timer carries them to within
 * a lead of it (re-armed whenever it wakes early, so no timer ever fires early), and the last stretch
 * is polled with `setImmediate`, which lets I/O run between polls. One poll serves every timer in
 * its stretch.
 *
 * Polling keeps a core busy while it lasts, so the CPU time it takes is held to a budget (a share of
 * the wall time): the lead shrinks when polling took more than the budget over the last window and
 * grows back when it took less. Past the budget precision degrades towards that of millisecond timers (late by up to a
 * millisecond), never below the deadline.
 */

/** A monotonic clock in nanoseconds. */
export type NsClock = () => bigint

/** A pending timer. */
export interface PreciseTimer {
  /** Stops it from firing; harmless once fired. */
  cancel(): void
}

/** Options of {@link PreciseTimers}. */
export interface PreciseTimersOptions {
  /** Default `process.hrtime.bigint`. */
  readonly clock?: NsClock
  /** The longest stretch before a deadline that is polled, ms (default 1: a millisecond timer's error). */
  readonly maxLeadMs?: number
  /** CPU time polling may take, as a share of the wall time (default 0.1: a tenth of a core). */
  readonly pollBudget?: number
  /** CPU time this process has used, ns; default from `process.cpuUsage()`. */
  readonly cpuNs?: () => number
}

const processCpuNs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) * 1000
}

interface Entry extends PreciseTimer {
  readonly deadlineNs: bigint
  readonly fire: (nowNs: bigint) => void
  timeout: NodeJS.Timeout | undefined
  done: boolean
}

/** How often the lead is adjusted to the budget. */
const WINDOW_NS = 100_000_000n
/** The smallest lead polling grows back from once the budget allows. */
const MIN_GROWN_LEAD_NS = 50_000

/** A set of precise timers sharing one clock, one polling loop and one polling budget. */
export class PreciseTimers {
  private readonly clock: NsClock
  private readonly maxLeadNs: number
  private readonly budget: number
  private readonly cpuNs: () => number
  private leadNs: number
  private readonly polled = new Set<Entry>()
  private poll: NodeJS.Immediate | undefined
  /** CPU time at the start of the polling stretch in progress, if any. */
  private pollingSinceCpuNs: number | undefined
  /** CPU time polling stretches took in this window. */
  private polledCpuNs = 0
  private windowStartNs: bigint
  private armedInWindow = false

  constructor(options: PreciseTimersOptions = {}) {
    this.clock = options.clock ?? process.hrtime.bigint
    this.maxLeadNs = Math.round((options.maxLeadMs ?? 1) * 1e6)
    this.budget = options.pollBudget ?? 0.1
    this.cpuNs = options.cpuNs ?? processCpuNs
    this.leadNs = this.maxLeadNs
    this.windowStartNs = this.clock()
  }

  /**
   * Calls `fire(now)` once the clock reads `deadlineNs` or later, as soon after as the loop and the
   * budget allow; always asynchronously.
   */
  at(deadlineNs: bigint, fire: (nowNs: bigint) => void): PreciseTimer {
    const entry: Entry = {
      deadlineNs,
      fire,
      timeout: undefined,
      done: false,
      cancel: () => {
        entry.done = true
        if (entry.timeout !== undefined) clearTimeout(entry.timeout)
        entry.timeout = undefined
        this.polled.delete(entry)
      },
    }
    this.arm(entry)
    return entry
  }

  /** `at(startNs + ms)`: a wait of `ms` that began at `startNs`, whatever has happened since. */
  after(startNs: bigint, ms: number, fire: (nowNs: bigint) => void): PreciseTimer {
    return this.at(startNs + BigInt(Math.ceil(ms * 1e6)), fire)
  }

  /** Timers in the polled stretch. */
  get polling(): number {
    return this.polled.size
  }

  /** The current lead, ms: how close to a deadline polling takes over. */
  get leadMs(): number {
    return this.leadNs / 1e6
  }

  private arm(entry: Entry): void {
    if (entry.done) return
    const now = this.clock()
    this.adjust(now)
    this.armedInWindow = true
    const left = Number(entry.deadlineNs - now)
    // A deadline already past is polled too: a timer never fires inside the call that set it.
    if (left <= 0 || left <= this.leadNs) {
      this.polled.add(entry)
      this.pollingSinceCpuNs ??= this.cpuNs()
      this.poll ??= setImmediate(this.onPoll)
      return
    }
    // Whole milliseconds short of the polled stretch; a timer that wakes early is simply re-armed.
    const ms = Math.max(1, Math.floor((left - this.leadNs) / 1e6))
    entry.timeout = setTimeout(() => {
      entry.timeout = undefined
      this.arm(entry)
    }, ms)
  }

  private onPoll = (): void => {
    this.poll = undefined
    const now = this.clock()
    for (const entry of this.polled) {
      if (entry.deadlineNs > now) continue
      this.polled.delete(entry)
      entry.done = true
      entry.fire(now)
    }
    if (this.polled.size > 0) {
      this.poll ??= setImmediate(this.onPoll)
    } else if (this.pollingSinceCpuNs !== undefined) {
      this.polledCpuNs += this.cpuNs() - this.pollingSinceCpuNs
      this.pollingSinceCpuNs = undefined
    }
    this.adjust(now)
  }

  /** Once a window has passed: scales the lead by how the polling share compared with the budget. */
  private adjust(now: bigint): void {
    const span = now - this.windowStartNs
    if (span < WINDOW_NS) return
    if (this.pollingSinceCpuNs !== undefined) {
      const cpu = this.cpuNs()
      this.polledCpuNs += cpu - this.pollingSinceCpuNs
      this.pollingSinceCpuNs = cpu
    }
    const share = this.polledCpuNs / Number(span)
    if (share > 0) {
      // Polling time grows about in proportion to the lead; the square root damps the correction.
      this.leadNs = Math.min(this.maxLeadNs, this.leadNs * Math.sqrt(this.budget / share))
    } else if (this.armedInWindow && this.leadNs < this.maxLeadNs) {
      this.leadNs = Math.min(this.maxLeadNs, Math.max(MIN_GROWN_LEAD_NS, this.leadNs * 2))
    }
    this.windowStartNs = now
    this.polledCpuNs = 0
    this.armedInWindow = false
  }
}
