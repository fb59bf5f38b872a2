/**
 * Timeouts of one fixed length, as a FIFO: when every timer has the same duration and timers are
 * started in time order, their deadlines are already sorted, so a ring buffer replaces the heap.
 * Timers are never cancelled; the owner recognises a stale one by its generation (the request
 * moved on) and skips it. Memory follows the timers outstanding (rate × timeout), not run length.
 */
export class DeadlineQueue {
  private deadline: Float64Array
  private slot: Int32Array
  private gen: Int32Array
  private head = 0
  private count = 0

  constructor(capacity = 1024) {
    const n = ringSize(capacity)
    this.deadline = new Float64Array(n)
    this.slot = new Int32Array(n)
    this.gen = new Int32Array(n)
  }

  get size(): number {
    return this.count
  }

  /** Whether the next push has to grow the ring. */
  get full(): boolean {
    return this.count === this.deadline.length
  }

  /** Deadline of the oldest timer, Infinity when none. */
  peek(): number {
    return this.count === 0 ? Infinity : this.deadline[this.head]!
  }

  /** Slot of the oldest timer. */
  peekSlot(): number {
    return this.slot[this.head]!
  }

  /** Generation of the oldest timer. */
  peekGen(): number {
    return this.gen[this.head]!
  }

  /** Adds a timer; `deadline` must not be earlier than any already queued. */
  push(deadline: number, slot: number, gen: number): void {
    if (this.count === this.deadline.length) this.grow()
    const mask = this.deadline.length - 1
    const i = (this.head + this.count) & mask
    this.deadline[i] = deadline
    this.slot[i] = slot
    this.gen[i] = gen
    this.count++
  }

  /** Drops the oldest timer. */
  shift(): void {
    this.head = (this.head + 1) & (this.deadline.length - 1)
    this.count--
  }

  private grow(): void {
    const n = this.deadline.length
    const deadline = new Float64Array(n * 2)
    const slot = new Int32Array(n * 2)
    const gen = new Int32Array(n * 2)
    for (let k = 0; k < n; k++) {
      const i = (this.head + k) & (n - 1)
      deadline[k] = this.deadline[i]!
      slot[k] = this.slot[i]!
      gen[k] = this.gen[i]!
    }
    this.deadline = deadline
    this.slot = slot
    this.gen = gen
    this.head = 0
  }
}

/** The power of two (at least 16) a ring of `capacity` entries takes, so indexes wrap by a mask. */
export function ringSize(capacity: number): number {
  return 1 << Math.max(4, Math.ceil(Math.log2(capacity)))
}
