import { ringSize } from './deadline-queue.js'

/**
 * The requests in flight in the order they were sent, for the client's timeout: every request
 * waits the same time, so the earliest deadline is always the oldest request still in flight.
 * A ring indexed by send serial holds each request's slot until it finishes (−1 after); the head
 * moves past finished requests only when the oldest one finishes. Sending and finishing cost one
 * store each, and a timeout that never fires costs nothing more, unlike one timer per request.
 * Memory follows the requests sent since the oldest one in flight, not the run's length.
 */
export class SendOrder {
  private slots: Int32Array
  private mask: number
  /** Serial of the oldest request that may be in flight; `tail` is the next serial. */
  private head = 0
  private tail = 0

  constructor(capacity = 1024) {
    const n = ringSize(capacity)
    this.slots = new Int32Array(n).fill(-1)
    this.mask = n - 1
  }

  /** Records the request in `slot` as sent; returns its serial. */
  push(slot: number): number {
    if (this.tail - this.head > this.mask) this.grow()
    const serial = this.tail++
    this.slots[serial & this.mask] = slot
    return serial
  }

  /** The request of `serial` finished. Returns whether it was the oldest in flight (the head moved). */
  finish(serial: number): boolean {
    const slots = this.slots
    const mask = this.mask
    slots[serial & mask] = -1
    if (serial !== this.head) return false
    let h = serial + 1
    while (h < this.tail && slots[h & mask] === -1) h++
    this.head = h
    return true
  }

  /** Slot of the oldest request in flight, −1 when none. */
  oldest(): number {
    return this.head < this.tail ? this.slots[this.head & this.mask]! : -1
  }

  /** Requests between the oldest in flight and the newest (finished ones in between included). */
  get span(): number {
    return this.tail - this.head
  }

  private grow(): void {
    const n = this.slots.length
    const slots = new Int32Array(n * 2).fill(-1)
    const mask = n * 2 - 1
    for (let s = this.head; s < this.tail; s++) slots[s & mask] = this.slots[s & this.mask]!
    this.slots = slots
    this.mask = mask
  }
}
