import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { seededRandom } from '../../../engine/balancing/random.js'
import { roundRobin } from '../../../engine/balancing/round-robin.js'
import { weighted } from '../../helpers/backends.js'
import { runConformance } from './conformance.js'

runConformance('round-robin')

describe('round-robin: sequences', () => {
  const abc = weighted({ a: 1, b: 1, c: 1 })

  it('starts at a seeded random position, then takes each backend in turn', () => {
    // The start index is the first draw of the seeded source, as gRPC randomises its start.
    const start = Math.floor(seededRandom(5)() * 3)
    const picker = roundRobin.build(abc, {}, seededDeps(5))
    const expected = Array.from({ length: 9 }, (_, i) => abc[(start + i) % 3]!.id)
    expect(Array.from({ length: 9 }, () => picker.pick()!.id)).toEqual(expected)
  })

  it('ignores weights', () => {
    const picker = roundRobin.build(weighted({ a: 5, b: 1 }), {}, seededDeps(1))
    const seq = Array.from({ length: 6 }, () => picker.pick()!.id).join('')
    expect(['ababab', 'bababa']).toContain(seq)
  })

  it('skips tried backends and keeps its rotation', () => {
    const picker = roundRobin.build(abc, {}, seededDeps(5))
    const first = picker.pick()!.id
    const order = abc.map((b) => b.id)
    const next = order[(order.indexOf(first) + 1) % 3]!
    const afterNext = order[(order.indexOf(first) + 2) % 3]!
    expect(picker.pick({ tried: new Set([next]) })!.id).toBe(afterNext)
    expect(picker.pick()!.id).toBe(first)
  })
})
