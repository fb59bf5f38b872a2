import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../engine/balancing/random.js'
import { DeadlineQueue } from '../../harness/simulator/deadline-queue.js'
import { EventQueue } from '../../harness/simulator/event-queue.js'

/** Pops everything: [time, kind, a, b, c] in order. */
function drain(q: EventQueue): number[][] {
  const out: number[][] = []
  while (q.pop()) out.push([q.t, q.kind, q.a, q.b, q.c])
  return out
}

describe('EventQueue', () => {
  it('pops in time order whatever the push order, growing past its initial capacity', () => {
    const random = seededRandom(3)
    const q = new EventQueue(16)
    const times = Array.from({ length: 10_000 }, () => Math.floor(random() * 1e6))
    times.forEach((t, i) => q.push(t, 1, i))
    expect(q.size).toBe(10_000)
    const popped = drain(q).map((e) => e[0]!)
    expect(popped).toEqual([...times].sort((a, b) => a - b))
    expect(q.size).toBe(0)
    expect(q.peekTime()).toBe(Infinity)
    expect(q.pop()).toBe(false)
  })

  it('keeps insertion order among equal times (FIFO ties), also when interleaved with pops', () => {
    const q = new EventQueue(4)
    // Three bursts at equal times, pushed out of order with other times in between.
    for (let i = 0; i < 50; i++) q.push(10, 1, i)
    for (let i = 0; i < 50; i++) q.push(5, 2, i)
    q.push(7, 3, 0)
    // Pop a few, push more ties: later pushes at an equal time still come after earlier ones.
    const first = [q.pop(), q.a, q.pop(), q.a]
    expect(first).toEqual([true, 0, true, 1])
    for (let i = 50; i < 60; i++) q.push(5, 2, i)
    const rest = drain(q)
    const at5 = rest.filter((e) => e[0] === 5).map((e) => e[2])
    const at10 = rest.filter((e) => e[0] === 10).map((e) => e[2])
    expect(at5).toEqual(Array.from({ length: 58 }, (_, i) => i + 2))
    expect(at10).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(rest.map((e) => e[0])).toEqual([...Array(58).fill(5), 7, ...Array(50).fill(10)])
  })

  it('carries kind and three integer arguments with each event', () => {
    const q = new EventQueue()
    q.push(2, 7, -1, 2_000_000_000, 42)
    q.push(1, 9, 3, 4, 5)
    expect(drain(q)).toEqual([
      [1, 9, 3, 4, 5],
      [2, 7, -1, 2_000_000_000, 42],
    ])
  })

  it('matches a sorted reference under random interleaving of pushes and pops', () => {
    const random = seededRandom(11)
    const q = new EventQueue(8)
    const reference: { t: number; seq: number }[] = []
    let seq = 0
    for (let step = 0; step < 20_000; step++) {
      if (random() < 0.55 || reference.length === 0) {
        // Coarse times make ties frequent.
        const t = Math.floor(random() * 50)
        q.push(t, 0, seq)
        reference.push({ t, seq: seq++ })
      } else {
        reference.sort((x, y) => x.t - y.t || x.seq - y.seq)
        const want = reference.shift()!
        expect(q.pop()).toBe(true)
        expect([q.t, q.a]).toEqual([want.t, want.seq])
      }
    }
  })
})

describe('DeadlineQueue', () => {
  it('is a FIFO of (deadline, slot, generation) that grows and wraps', () => {
    const f = new DeadlineQueue(4)
    expect(f.peek()).toBe(Infinity)
    let next = 0
    let expected = 0
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < 7; k++, next++) f.push(next * 10, next, next * 2)
      for (let k = 0; k < 5; k++, expected++) {
        expect([f.peek(), f.peekSlot(), f.peekGen()]).toEqual([expected * 10, expected, expected * 2])
        f.shift()
      }
    }
    expect(f.size).toBe(200)
  })

  it('says when the next push must grow the ring, so its owner can drop stale timers first', () => {
    const f = new DeadlineQueue(16)
    for (let k = 0; k < 15; k++) f.push(k, k, 0)
    expect(f.full).toBe(false)
    f.push(15, 15, 0)
    expect(f.full).toBe(true)
    f.shift()
    expect(f.full).toBe(false)
    f.push(16, 16, 0)
    f.push(17, 17, 0)
    // Grown to 32: room again, the order kept across the wrap.
    expect([f.full, f.size, f.peek()]).toEqual([false, 17, 1])
  })
})
