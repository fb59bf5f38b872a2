import type { Timers } from '../../../engine/health/health-checker.js'

/** Lets every pending promise callback run (real I/O is not involved, so one macrotask suffices). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Virtual timers: nothing fires until `advance` moves the clock past it. */
export interface FakeTimers {
  readonly timers: Timers
  /** Timers scheduled and neither fired nor cleared. */
  readonly pending: number
  /** Every delay ever requested, in order. */
  readonly delays: number[]
  /** Moves the clock forward, firing due timers in order and letting promises settle after each. */
  advance(ms: number): Promise<void>
}

/** Creates a set of virtual timers starting at 0 ms. */
export function fakeTimers(): FakeTimers {
  let now = 0
  let seq = 0
  const queue = new Map<number, { at: number; fn: () => void }>()
  const delays: number[] = []
  return {
    timers: {
      setTimeout(fn, ms) {
        seq++
        queue.set(seq, { at: now + ms, fn })
        delays.push(ms)
        return seq
      },
      clearTimeout(handle) {
        queue.delete(handle as number)
      },
    },
    get pending() {
      return queue.size
    },
    delays,
    async advance(ms) {
      const until = now + ms
      await settle()
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined
        for (const entry of queue) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry
        if (next === undefined) break
        queue.delete(next[0])
        now = next[1].at
        next[1].fn()
        await settle()
      }
      now = until
    },
  }
}
