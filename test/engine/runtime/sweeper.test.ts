import { describe, expect, it } from 'vitest'
import { IdleWatch, Sweeper, sweepInterval } from '../../../engine/runtime/sweeper.js'

describe('sweeper and idle watch', () => {
  it.each([
    [[60_000], 1000],
    [[300], 75],
    [[20], 10],
    [[60_000, 800], 200],
  ])('ticks at a quarter of the shortest timeout within [10 ms, 1 s]: %j → %i', (timeouts, tick) => {
    expect(sweepInterval(...timeouts)).toBe(tick)
  })

  it('fires idle once after idleMs without activity, not while activity continues', () => {
    let now = 0
    const sweeper = new Sweeper(100, () => now)
    let fired = 0
    const watch = new IdleWatch(500, () => fired++)
    sweeper.add(watch)
    for (let t = 0; t <= 2000; t += 100) {
      now = t
      watch.activity++ // busy for two seconds
      sweeper.sweepAll()
    }
    expect(fired).toBe(0)
    for (let t = 2100; t <= 2400; t += 100) {
      now = t
      sweeper.sweepAll()
    }
    expect(fired).toBe(0) // last activity at 2000: 400 ms quiet
    now = 2500
    sweeper.sweepAll()
    expect(fired).toBe(1)
    now = 5000
    sweeper.sweepAll()
    expect(fired).toBe(1)
    sweeper.stop()
  })

  it('runs its timer only while something is tracked', () => {
    const sweeper = new Sweeper(10)
    const w = new IdleWatch(1000, () => {})
    sweeper.add(w)
    expect(sweeper.size).toBe(1)
    sweeper.delete(w)
    expect(sweeper.size).toBe(0)
    expect((sweeper as unknown as { timer: unknown }).timer).toBeUndefined()
  })

  it('sweeps on its own timer', async () => {
    const sweeper = new Sweeper(10)
    const startedAt = performance.now()
    // Nothing but the sweeper's own timer can fire it.
    await new Promise<void>((resolve) => sweeper.add(new IdleWatch(30, resolve)))
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(29)
    sweeper.stop()
  })
})
