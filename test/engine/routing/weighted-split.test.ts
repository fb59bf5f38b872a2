import { describe, expect, it } from 'vitest'
import { chooseSplit, splitChooser, splitShares } from '../../../engine/routing/weighted-split.js'
import type { SplitTarget } from '../../../engine/routing/route-types.js'

const canary: SplitTarget[] = [
  { pool: 'stable', weight: 95 },
  { pool: 'canary', weight: 5 },
]

describe('chooseSplit', () => {
  it.each<[readonly SplitTarget[], number, string]>([
    [canary, 0, 'stable'],
    [canary, 0.5, 'stable'],
    [canary, 0.9499, 'stable'],
    [canary, 0.95, 'canary'],
    [canary, 0.99999, 'canary'],
    [canary, 1, 'canary'],
    [[{ pool: 'only', weight: 3 }], 0.7, 'only'],
    [[{ pool: 'a', weight: 1 }, { pool: 'b', weight: 2 }, { pool: 'c', weight: 1 }], 0.24, 'a'],
    [[{ pool: 'a', weight: 1 }, { pool: 'b', weight: 2 }, { pool: 'c', weight: 1 }], 0.25, 'b'],
    [[{ pool: 'a', weight: 1 }, { pool: 'b', weight: 2 }, { pool: 'c', weight: 1 }], 0.74, 'b'],
    [[{ pool: 'a', weight: 1 }, { pool: 'b', weight: 2 }, { pool: 'c', weight: 1 }], 0.75, 'c'],
    [[{ pool: 'a', weight: 0.1 }, { pool: 'b', weight: 0.2 }], 0.3, 'a'],
  ])('%j at u=%d → %s', (targets, u, pool) => {
    expect(chooseSplit(targets, u)).toBe(pool)
    expect(splitChooser(targets)(u)).toBe(pool)
  })

  it('gives each arm exactly its share of an evenly spaced sweep of u', () => {
    const targets: SplitTarget[] = [{ pool: 'a', weight: 7 }, { pool: 'b', weight: 2 }, { pool: 'c', weight: 1 }]
    const steps = 100_000
    const counts = new Map<string, number>()
    for (let k = 0; k < steps; k++) {
      const pool = chooseSplit(targets, k / steps)
      counts.set(pool, (counts.get(pool) ?? 0) + 1)
    }
    expect(Object.fromEntries(counts)).toEqual({ a: 70_000, b: 20_000, c: 10_000 })
  })

  it('the precomputed chooser agrees with chooseSplit everywhere on a fine grid', () => {
    const targets: SplitTarget[] = [{ pool: 'a', weight: 0.3 }, { pool: 'b', weight: 0.1 }, { pool: 'c', weight: 0.6 }, { pool: 'd', weight: 1e-9 }]
    const choose = splitChooser(targets)
    for (let k = 0; k <= 10_000; k++) expect(choose(k / 10_000)).toBe(chooseSplit(targets, k / 10_000))
  })
})

describe('splitShares', () => {
  it.each<[readonly SplitTarget[], Record<string, number>]>([
    [canary, { stable: 0.95, canary: 0.05 }],
    [[{ pool: 'a', weight: 1 }, { pool: 'b', weight: 1 }, { pool: 'a', weight: 2 }], { a: 0.75, b: 0.25 }],
    [[{ pool: 'x', weight: 42 }], { x: 1 }],
  ])('%j → %j', (targets, shares) => {
    const got = Object.fromEntries(splitShares(targets))
    expect(Object.keys(got)).toEqual(Object.keys(shares))
    for (const [pool, share] of Object.entries(shares)) expect(got[pool]).toBeCloseTo(share, 12)
  })
})
