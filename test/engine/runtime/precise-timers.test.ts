import { describe, expect, it } from 'vitest'
import { PreciseTimers } from '../../../engine/runtime/precise-timers.js'

const now = () => process.hrtime.bigint()

describe('precise timers', () => {
  it('never fire before their deadline, and always asynchronously', async () => {
    const timers = new PreciseTimers()
    const late: bigint[] = []
    let synchronous = 0
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const deadline = now() + BigInt((i % 12) * 250_000) // 0 to 2.75 ms ahead, some already due
        return new Promise<void>((resolve) => {
          let returned = false
          timers.at(deadline, (at) => {
            if (!returned) synchronous++
            // Both the time handed over and a fresh reading are at or past the deadline.
            late.push(at - deadline, now() - deadline)
            resolve()
          })
          returned = true
        })
      }),
    )
    expect(synchronous).toBe(0)
    expect(late.every((d) => d >= 0n)).toBe(true)
    expect(timers.polling).toBe(0)
  })

  it('count a wait from when it began: one already over fires at the next poll', async () => {
    const timers = new PreciseTimers()
    const start = now()
    const until = start + 3_000_000n
    while (now() < until); // the loop is busy past the whole wait before it is armed
    const fired = await new Promise<bigint>((resolve) => timers.after(start, 2, resolve))
    expect(fired - start).toBeGreaterThanOrEqual(2_000_000n)
  })

  it('do not fire once cancelled, in either stretch', async () => {
    const timers = new PreciseTimers({ maxLeadMs: 1 })
    let fired = 0
    const far = timers.at(now() + 5_000_000n, () => fired++)
    const near = timers.at(now() + 200_000n, () => fired++)
    far.cancel()
    near.cancel()
    const sentinel = new Promise<void>((resolve) => timers.at(now() + 8_000_000n, () => resolve()))
    await sentinel
    expect(fired).toBe(0)
    expect(timers.polling).toBe(0)
  })

  it('poll less once polling has taken more than its budget, and still never fire early', async () => {
    const timers = new PreciseTimers({ pollBudget: 0.001 })
    expect(timers.leadMs).toBe(1)
    const early: bigint[] = []
    for (let i = 0; i < 40; i++) {
      const deadline = now() + 3_000_000n
      const at = await new Promise<bigint>((resolve) => timers.at(deadline, resolve))
      early.push(deadline - at)
    }
    // Forty 3 ms waits span more than one 100 ms window, each ending in a poll of up to 1 ms.
    expect(timers.leadMs).toBeLessThan(1)
    expect(early.every((d) => d <= 0n)).toBe(true)
  })
})
