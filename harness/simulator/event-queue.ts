/**
 * The simulator's future event list: a min-heap of events ordered by time, and among equal times
 * by insertion order (FIFO), so that a run replays exactly whatever the heap's shape. An event is
 * a kind and three integer arguments. Keys (time, insertion number) sit in the heap's own position
 * arrays, so sifting compares neighbouring numbers without indirection; the arguments stay in
 * slots that never move. The heap is 4-ary: half the levels of a binary heap, and a node's four
 * children share a cache line or two, which matters once thousands of backends keep thousands of
 * events pending. Everything lives in typed arrays that double when full: scheduling allocates
 * nothing in the steady state.
 */
export class EventQueue {
  /** Per heap position: time, insertion number (exact in a double up to 2^53), slot. */
  private time: Float64Array
  private seq: Float64Array
  private slotAt: Int32Array
  /** Per slot: the event. */
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
    this.seq = new Float64Array(n)
    this.slotAt = new Int32Array(n)
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
    // Sift up: parents later than the new event move down.
    const times = this.time
    const seqs = this.seq
    const slots = this.slotAt
    let pos = this.count++
    while (pos > 0) {
      const parent = (pos - 1) >> 2
      const pt = times[parent]!
      if (pt < time || (pt === time && seqs[parent]! < seq)) break
      times[pos] = pt
      seqs[pos] = seqs[parent]!
      slots[pos] = slots[parent]!
      pos = parent
    }
    times[pos] = time
    seqs[pos] = seq
    slots[pos] = slot
  }

  /** Removes the earliest event into `t`, `kind`, `a`, `b`, `c`; false when the queue is empty. */
  pop(): boolean {
    if (this.count === 0) return false
    const times = this.time
    const seqs = this.seq
    const slots = this.slotAt
    const top = slots[0]!
    this.t = times[0]!
    this.kind = this.kindOf[top]!
    this.a = this.argA[top]!
    this.b = this.argB[top]!
    this.c = this.argC[top]!
    this.free[this.freeTop++] = top
    const n = --this.count
    if (n === 0) return true
    // Sift the last event down from the root.
    const time = times[n]!
    const seq = seqs[n]!
    const slot = slots[n]!
    let pos = 0
    for (;;) {
      const first = 4 * pos + 1
      if (first >= n) break
      // The earliest of up to four children.
      let child = first
      let ct = times[first]!
      let cs = seqs[first]!
      const last = first + 4 < n ? first + 4 : n
      for (let k = first + 1; k < last; k++) {
        const kt = times[k]!
        if (kt < ct || (kt === ct && seqs[k]! < cs)) {
          child = k
          ct = kt
          cs = seqs[k]!
        }
      }
      if (time < ct || (time === ct && seq < cs)) break
      times[pos] = ct
      seqs[pos] = cs
      slots[pos] = slots[child]!
      pos = child
    }
    times[pos] = time
    seqs[pos] = seq
    slots[pos] = slot
    return true
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
    this.seq = widen(this.seq, (k) => new Float64Array(k))
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
