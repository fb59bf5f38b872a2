/**
 * Timers that never fire before their time and fire within microseconds after it.
 *
 * Node's `setTimeout` counts whole milliseconds from the event loop's cached clock: a timer armed
 * late in a loop turn, or just before a millisecond boundary, fires up to a millisecond (and the
 * turn's length) early; one armed early fires up to a millisecond late. These timers keep an
 * absolute deadline on the monotonic ns clock instead: a millisecond timer carries them to within
 * `leadMs` of it (re-armed whenever it wakes early), and the last stretch is polled with
 * `setImmediate`, which lets I/O run between polls. One poll serves every timer in that stretch.
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
  /**
   * How close to the deadline polling takes over from millisecond timers, ms (default 1). Less
   * polls less (cheaper) but lets a late millisecond timer overshoot the deadline more often.
   */
  readonly leadMs?: number
}

interface Entry extends PreciseTimer {
  readonly deadlineNs: bigint
  readonly fire: (nowNs: bigint) => void
  timeout: NodeJS.Timeout | undefined
  done: boolean
}

/** A set of precise timers sharing one clock and one polling loop. */
export class PreciseTimers {
  private readonly clock: NsClock
  private readonly leadNs: bigint
  private readonly polled = new Set<Entry>()
  private poll: NodeJS.Immediate | undefined

  constructor(options: PreciseTimersOptions = {}) {
    this.clock = options.clock ?? process.hrtime.bigint
    this.leadNs = BigInt(Math.round((options.leadMs ?? 1) * 1e6))
  }

  /**
   * Calls `fire(now)` once the clock reads `deadlineNs` or later, as soon after as the loop allows;
   * always asynchronously.
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

  /** Timers in the polled stretch (for tests and the cost figures). */
  get polling(): number {
    return this.polled.size
  }

  private arm(entry: Entry): void {
    if (entry.done) return
    const left = entry.deadlineNs - this.clock()
    // A deadline already past is polled too: a timer never fires inside the call that set it.
    if (left <= this.leadNs) {
      this.polled.add(entry)
      this.poll ??= setImmediate(this.onPoll)
      return
    }
    // Whole milliseconds short of the polled stretch; a timer that wakes early is simply re-armed.
    const ms = Math.max(1, Math.floor(Number(left - this.leadNs) / 1e6))
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
    if (this.polled.size > 0) this.poll ??= setImmediate(this.onPoll)
  }
}
