/**
 * The simulator's future event list: a binary min-heap of events ordered by time, and among equal
 * times by insertion order (FIFO), so that a run replays exactly whatever the heap's shape. An
 * event is a kind and three integer arguments. The heap's positions hold only the time and the
 * event's slot, so sifting moves two numbers; the insertion number, needed only to break a tie,
 * and the arguments stay in slots that never move. Removal is bottom-up (Floyd): the hole left at
 * the root follows the earlier child down to a leaf, one comparison a level, and the last event
 * is sifted up from there — it came from the bottom, so it rarely climbs. Everything lives in
 * typed arrays that double when full: scheduling allocates nothing in the steady state.
 */
export class EventQueue {
  /** Per heap position: time and slot. */
  private time: Float64Array
  private slotAt: Int32Array
  /** Per slot: insertion number (exact in a double up to 2^53) and the event. */
  private seqOf: Float64Array
  private kindOf: Int32Array
  private argA: Int32Array
  private argB: Int32Array
  private argC: Int32Array
  /** Free slots, as a stack. */
  private free: Int32Array
  private freeTop: number
  private count = 0
  private nextSeq = 0

  // The popped event, read directly until the next pop.
  /** Time of the last popped event. */
  t = 0
  /** Kind of the last popped event. */
  kind = 0
  /** First argument of the last popped event. */
  a = 0
  /** Second argument of the last popped event. */
  b = 0
  /** Third argument of the last popped event. */
  c = 0

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity)
    this.time = new Float64Array(n)
    this.slotAt = new Int32Array(n)
    this.seqOf = new Float64Array(n)
    this.kindOf = new Int32Array(n)
    this.argA = new Int32Array(n)
    this.argB = new Int32Array(n)
    this.argC = new Int32Array(n)
    this.free = new Int32Array(n)
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i
    this.freeTop = n
  }

  /** Events waiting. */
  get size(): number {
    return this.count
  }

  /** Time of the earliest event, Infinity when none. */
  peekTime(): number {
    return this.count === 0 ? Infinity : this.time[0]!
  }

  /** Schedules an event at `time` (µs). Events at equal times come out in the order they went in. */
  push(time: number, kind: number, a = 0, b = 0, c = 0): void {
    if (this.freeTop === 0) this.grow()
    const slot = this.free[--this.freeTop]!
    this.kindOf[slot] = kind
    this.argA[slot] = a
    this.argB[slot] = b
    this.argC[slot] = c
    const seq = this.nextSeq++
    this.seqOf[slot] = seq
    this.siftUp(this.count++, time, seq, slot)
  }

  /** Removes the earliest event into `t`, `kind`, `a`, `b`, `c`; false when the queue is empty. */
  pop(): boolean {
    if (this.count === 0) return false
    const times = this.time
    const slots = this.slotAt
    const seqOf = this.seqOf
    const top = slots[0]!
    this.t = times[0]!
    this.kind = this.kindOf[top]!
    this.a = this.argA[top]!
    this.b = this.argB[top]!
    this.c = this.argC[top]!
    this.free[this.freeTop++] = top
    const n = --this.count
    if (n === 0) return true
    // The hole goes down along the earlier child to a leaf. Which child is earlier is a coin toss
    // the processor cannot predict, so it is added as a number, not branched on (a third less
    // time per pop); equal times, rare, take the branch that compares insertion numbers. The last
    // event's place holds +∞ meanwhile, so a lone left child is always the earlier one.
    const lastTime = times[n]!
    times[n] = Infinity
    let pos = 0
    for (;;) {
      let child = 2 * pos + 1
      if (child >= n) break
      const lt = times[child]!
      const rt = times[child + 1]!
      if (rt === lt) {
        if (child + 1 < n && seqOf[slots[child + 1]!]! < seqOf[slots[child]!]!) child++
      } else child += Number(rt < lt)
      times[pos] = times[child]!
      slots[pos] = slots[child]!
      pos = child
    }
    // The last event fills it, climbing where it is earlier than the parents on the way.
    const slot = slots[n]!
    this.siftUp(pos, lastTime, seqOf[slot]!, slot)
    return true
  }

  /** Places the event (`time`, `seq`, `slot`) at `pos` or above, moving later parents down. */
  private siftUp(pos: number, time: number, seq: number, slot: number): void {
    const times = this.time
    const slots = this.slotAt
    const seqOf = this.seqOf
    while (pos > 0) {
      const parent = (pos - 1) >> 1
      const pt = times[parent]!
      if (pt < time || (pt === time && seqOf[slots[parent]!]! < seq)) break
      times[pos] = pt
      slots[pos] = slots[parent]!
      pos = parent
    }
    times[pos] = time
    slots[pos] = slot
  }

  private grow(): void {
    const old = this.time.length
    const n = old * 2
    const widen = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n)
      b.set(a)
      return b
    }
    this.time = widen(this.time, (k) => new Float64Array(k))
    this.seqOf = widen(this.seqOf, (k) => new Float64Array(k))
    this.slotAt = widen(this.slotAt, (k) => new Int32Array(k))
    this.kindOf = widen(this.kindOf, (k) => new Int32Array(k))
    this.argA = widen(this.argA, (k) => new Int32Array(k))
    this.argB = widen(this.argB, (k) => new Int32Array(k))
    this.argC = widen(this.argC, (k) => new Int32Array(k))
    const free = new Int32Array(n)
    // Every slot is in use when the queue is full: the new half is free.
    for (let i = 0; i < n - old; i++) free[i] = n - 1 - i
    this.free = free
    this.freeTop = n - old
  }
}
