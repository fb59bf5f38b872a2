import { describe, expect, it } from 'vitest'
import { RouteError } from '../../../engine/routing/route-errors.js'
import { activeArms, reweightSplit } from '../../../engine/routing/split-weights.js'

const canary = [
  { pool: 'stable', weight: 95 },
  { pool: 'canary', weight: 5 },
]

describe('reweightSplit', () => {
  it.each([
    ['both arms', { stable: 75, canary: 25 }, [75, 25]],
    ['one arm: the other keeps its weight', { canary: 50 }, [95, 50]],
    ['an arm at 0 (the last canary step)', { stable: 0, canary: 100 }, [0, 100]],
    ['nothing named: unchanged', {}, [95, 5]],
  ])('%s', (_, weights, expected) => {
    const next = reweightSplit(canary, weights)
    expect(next.map((t) => t.pool)).toEqual(['stable', 'canary'])
    expect(next.map((t) => t.weight)).toEqual(expected)
  })

  it('leaves its input alone', () => {
    reweightSplit(canary, { stable: 1 })
    expect(canary[0]!.weight).toBe(95)
  })

  it.each([
    ['an unknown arm', { blue: 1 }, /"blue" is not an arm/],
    ['a negative weight', { canary: -1 }, /finite number ≥ 0/],
    ['a non-finite weight', { canary: Number.POSITIVE_INFINITY }, /finite number ≥ 0/],
    ['every arm at 0', { stable: 0, canary: 0 }, /at least one arm/],
  ])('refuses %s with ROUTE_ERR_BAD_SPLIT', (_, weights, message) => {
    try {
      reweightSplit(canary, weights)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(RouteError)
      expect((e as RouteError).code).toBe('ROUTE_ERR_BAD_SPLIT')
      expect((e as RouteError).issues[0]!.message).toMatch(message)
    }
  })

  it('activeArms keeps the arms that take traffic', () => {
    expect(activeArms([{ pool: 'a', weight: 0 }, { pool: 'b', weight: 3 }])).toEqual([{ pool: 'b', weight: 3 }])
  })
})
