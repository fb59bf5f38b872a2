/**
 * An earliest-deadline-first schedule over the integers 0..n-1: the item with the earliest
 * deadline is served and rescheduled in place (one sift down from the root), ties going to the
 * item scheduled first, as in Envoy's EdfScheduler. Deadlines and tie-break orders are stored in
 * heap order beside the items, so a comparison reads adjacent memory instead of chasing indices.
 */
export class EdfSchedule {
  private readonly deadline: Float64Array
  private readonly order: Float64Array
  private readonly item: Int32Array
  private sequence = 0

  /** Schedules item i first at `firstDeadline(i)`. */
  constructor(
    readonly size: number,
    firstDeadline: (i: number) => number,
  ) {
    this.deadline = new Float64Array(size)
    this.order = new Float64Array(size)
    this.item = new Int32Array(size)
    for (let i = 0; i < size; i++) {
      this.deadline[i] = firstDeadline(i)
      this.order[i] = this.sequence++
      this.item[i] = i
    }
    for (let p = (size >> 1) - 1; p >= 0; p--) this.siftDown(p, this.deadline[p]!, this.order[p]!, this.item[p]!)
  }

  /** The item due next, or -1 when empty. */
  peek(): number {
    return this.size === 0 ? -1 : this.item[0]!
  }

  /** The deadline of the item due next. */
  now(): number {
    return this.deadline[0]!
  }

  /** Reschedules the item due next at `deadline` (no earlier than `now()`). */
  rescheduleNext(deadline: number): void {
    this.siftDown(0, deadline, this.sequence++, this.item[0]!)
  }

  private siftDown(pos: number, key: number, ord: number, item: number): void {
    const deadline = this.deadline
    const order = this.order
    const items = this.item
    const n = this.size
    for (;;) {
      const left = 2 * pos + 1
      if (left >= n) break
      let child = left
      let ck = deadline[left]!
      let co = order[left]!
      const right = left + 1
      if (right < n) {
        const rk = deadline[right]!
        const ro = order[right]!
        if (rk < ck || (rk === ck && ro < co)) {
          child = right
          ck = rk
          co = ro
        }
      }
      if (!(ck < key || (ck === key && co < ord))) break
      deadline[pos] = ck
      order[pos] = co
      items[pos] = items[child]!
      pos = child
    }
    deadline[pos] = key
    order[pos] = ord
    items[pos] = item
  }
}
