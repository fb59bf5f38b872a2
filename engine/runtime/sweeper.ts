/** Something with deadlines the sweeper checks: it compares its own activity and times against `nowMs`. */
export interface Swept {
  sweep(nowMs: number): void
}

/** The tick for a set of timeouts: a quarter of the shortest, between 10 ms and 1 s. */
export function sweepInterval(...timeoutsMs: number[]): number {
  return Math.min(1000, Math.max(10, Math.floor(Math.min(...timeoutsMs) / 4)))
}

/**
 * Checks the deadlines of many connections on one coarse timer instead of a timer per socket.
 * Node re-arms a socket's timeout on every read and write, which costs more than the rest of
 * relaying a small request; here the data path only bumps a counter, and a timeout fires within
 * one tick after it is due (as a balancer's scheduler checks timeouts on its own clock). The
 * timer runs only while something is tracked and never keeps the process alive.
 */
export class Sweeper {
  private readonly entries = new Set<Swept>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(entry: Swept): void {
    this.entries.add(entry)
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweepAll(), this.intervalMs)
      this.timer.unref()
    }
  }

  delete(entry: Swept): void {
    this.entries.delete(entry)
    if (this.entries.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }

  get size(): number {
    return this.entries.size
  }

  /** Checks every entry now (the timer calls this; tests may too). */
  sweepAll(): void {
    const now = this.now()
    for (const e of [...this.entries]) e.sweep(now)
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.entries.clear()
  }
}

/**
 * Idle detection by activity counter: the data path increments `activity`; a sweep that finds it
 * unchanged since the last change for `idleMs` calls `onIdle` once.
 */
export class IdleWatch implements Swept {
  activity = 0
  private seen = -1
  private changedAt = 0
  private fired = false

  constructor(
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {}

  sweep(nowMs: number): void {
    if (this.activity !== this.seen) {
      this.seen = this.activity
      this.changedAt = nowMs
      return
    }
    if (!this.fired && nowMs - this.changedAt >= this.idleMs) {
      this.fired = true
      this.onIdle()
    }
  }
}
