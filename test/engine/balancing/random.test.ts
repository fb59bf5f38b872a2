import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { seededRandom } from '../../../engine/balancing/random.js'
import { chiSquareTest } from '../../../reports/statistics/chi-square.js'

describe('seeded randomness and the virtual clock', () => {
  it('replays the same stream for the same seed, and another for another seed', () => {
    const a = seededRandom(7)
    const b = seededRandom(7)
    const c = seededRandom(8)
    const sa = Array.from({ length: 100 }, a)
    expect(Array.from({ length: 100 }, b)).toEqual(sa)
    expect(Array.from({ length: 100 }, c)).not.toEqual(sa)
  })

  it('is uniform on [0, 1): χ² over 100 bins of 200,000 draws', () => {
    const random = seededRandom(123)
    const bins = new Array<number>(100).fill(0)
    for (let i = 0; i < 200_000; i++) {
      const x = random()
      expect(x >= 0 && x < 1).toBe(true)
      bins[Math.floor(x * 100)]!++
    }
    expect(chiSquareTest(bins, bins.map(() => 1)).pValue).toBeGreaterThan(0.001)
  })

  it('has no visible serial correlation between consecutive draws', () => {
    const random = seededRandom(321)
    const n = 100_000
    const xs = Array.from({ length: n }, random)
    let num = 0
    for (let i = 1; i < n; i++) num += (xs[i]! - 0.5) * (xs[i - 1]! - 0.5)
    // Lag-1 autocorrelation of iid U(0,1): mean 0, sd 1/√n ≈ 0.003.
    expect(Math.abs(num / (n - 1) / (1 / 12))).toBeLessThan(0.015)
  })

  it('moves the virtual clock only when told', () => {
    const deps = seededDeps(1)
    expect(deps.nowUs()).toBe(0)
    deps.advanceUs(1500)
    deps.advanceUs(0.5)
    expect(deps.nowUs()).toBe(1500.5)
  })
})
