import { describe, expect, it } from 'vitest'
import { simulateMultiplexed, timeToFair, type MultiplexedModel, type ShareWindow } from '../../harness/simulator/multiplexed-balancing.js'

const model = (over: Partial<MultiplexedModel>): MultiplexedModel => ({ level: 'connection', clients: 1, requestsPerWindow: 50, backends: 3, windows: 30, seed: 1, ...over })

describe('connection-level against request-level balancing of multiplexed connections', () => {
  it('at connection level, one client puts every request on one backend and the new one gets nothing', () => {
    const r = simulateMultiplexed(model({}))
    expect(r.connections).toBe(1)
    for (const w of r.windows) expect(Math.max(...Object.values(w.shares))).toBe(1)
    expect(r.windows[9]!.maxOverMean).toBe(3)
    expect(r.windows[10]!.maxOverMean).toBe(4)
    expect(r.windows.every((w) => (w.shares[r.added] ?? 0) === 0)).toBe(true)
    expect(r.timeToFairWindows).toBeUndefined()
  })

  it('at request level, every window is even and the new backend is fair at once', () => {
    const r = simulateMultiplexed(model({ level: 'request', clients: 4, requestsPerWindow: 75 }))
    expect(r.windows[5]!.shares).toEqual({ 'backend-0': 1 / 3, 'backend-1': 1 / 3, 'backend-2': 1 / 3 })
    for (const w of r.windows.slice(10)) expect(w.shares[r.added]).toBe(0.25)
    expect(r.windows[20]!.cv).toBe(0)
    expect(r.timeToFairWindows).toBe(0)
  })

  it('with a maximum connection age, reconnections bring the new backend its share some windows later', () => {
    const m = model({ clients: 12, maxConnectionAgeWindows: 3, seed: 42 })
    const r = simulateMultiplexed(m)
    expect(r.connections).toBeGreaterThan(12)
    expect(r.windows[9]!.shares[r.added]).toBeUndefined()
    expect(r.timeToFairWindows).toBeGreaterThan(0)
    // Least connections sends each reconnection to the emptiest backend: the new one fills within
    // one connection age (3 windows, +10% jitter), where round robin only gives it every fourth.
    const lc = simulateMultiplexed({ ...m, algorithm: 'least-connections' }).timeToFairWindows
    expect(lc).toBeLessThanOrEqual(Math.ceil(3 * 1.1))
    expect(lc).toBeLessThan(r.timeToFairWindows!)
    // Without an age the same clients never move.
    expect(simulateMultiplexed({ ...m, maxConnectionAgeWindows: undefined } as MultiplexedModel).timeToFairWindows).toBeUndefined()
  })

  it('replays exactly from its seed', () => {
    const m = model({ clients: 16, maxConnectionAgeWindows: 2.5, algorithm: 'random', seed: 9 })
    expect(simulateMultiplexed(m)).toEqual(simulateMultiplexed(m))
    expect(simulateMultiplexed({ ...m, seed: 10 }).windows).not.toEqual(simulateMultiplexed(m).windows)
  })
})

describe('timeToFair', () => {
  const w = (window: number, share: number): ShareWindow => ({ window, shares: { n: share }, maxOverMean: 1, cv: 0 })
  it.each([
    { shares: [0, 0.25, 0.25], expected: 1 },
    // 0.8 × 1/4 = 0.2 is enough; a later dip resets the count.
    { shares: [0.2, 0.1, 0.3, 0.3], expected: 2 },
    { shares: [0.3, 0.3, 0.1], expected: undefined },
    { shares: [0, 0, 0], expected: undefined },
  ])('$shares → $expected', ({ shares, expected }) => {
    expect(timeToFair(shares.map((s, i) => w(i + 5, s)), 'n', 5, 4)).toBe(expected)
  })
})
