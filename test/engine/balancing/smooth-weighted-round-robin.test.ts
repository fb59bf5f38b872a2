import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { seededRandom } from '../../../engine/balancing/random.js'
import { smoothCycleLength, smoothWeightedRoundRobin } from '../../../engine/balancing/smooth-weighted-round-robin.js'
import { weighted } from '../../helpers/backends.js'
import { runConformance } from './conformance.js'

runConformance('smooth-weighted-round-robin')

/** nginx's algorithm as written in ngx_http_upstream_get_peer, for reference sequences. */
function nginxReference(weights: number[], picks: number): number[] {
  const current = weights.map(() => 0)
  const total = weights.reduce((a, b) => a + b, 0)
  const out: number[] = []
  for (let p = 0; p < picks; p++) {
    let best = -1
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!
      if (best === -1 || current[i]! > current[best]!) best = i
    }
    current[best]! -= total
    out.push(best)
  }
  return out
}

const sequence = (weights: Record<string, number>, picks: number, maxCycle?: number) => {
  const picker = smoothWeightedRoundRobin.build(weighted(weights), { maxCycle: maxCycle ?? 1_048_576 }, seededDeps(1))
  return Array.from({ length: picks }, () => picker.pick()!.id).join('')
}

describe('smooth-weighted-round-robin: sequences (nginx semantics)', () => {
  // Expected sequences worked by hand from nginx's rule: add weights, take the max, subtract Σw.
  it.each([
    [{ a: 5, b: 1, c: 1 }, 'aabacaa'],
    [{ a: 4, b: 2, c: 1 }, 'abacaba'],
    [{ a: 3, b: 2 }, 'ababa'],
    [{ a: 1, b: 1, c: 1 }, 'abc'],
    [{ a: 10, b: 2, c: 2 }, 'aabacaa'],
    [{ a: 0.5, b: 0.1, c: 0.1 }, 'aabacaa'],
  ])('weights %j give %s, repeating', (weights, period) => {
    expect(sequence(weights, period.length * 4)).toBe(period.repeat(4))
  })

  it('never bursts the heavy backend: {a:5,b:1,c:1} is not a-a-a-a-a-b-c', () => {
    expect(sequence({ a: 5, b: 1, c: 1 }, 7)).not.toBe('aaaaabc')
  })

  it('replays exactly what the live algorithm produces, for random integer weights over many cycles', () => {
    const random = seededRandom(11)
    for (let trial = 0; trial < 20; trial++) {
      const weights = Array.from({ length: 2 + Math.floor(random() * 8) }, () => 1 + Math.floor(random() * 9))
      const named = Object.fromEntries(weights.map((w, i) => [`b${i}`, w]))
      const total = weights.reduce((a, b) => a + b, 0)
      const expected = nginxReference(weights, total * 3).map((i) => `b${i}`)
      const memoised = smoothWeightedRoundRobin.build(weighted(named), { maxCycle: 1_048_576 }, seededDeps(1))
      const live = smoothWeightedRoundRobin.build(weighted(named), { maxCycle: 0 }, seededDeps(1))
      expect(Array.from({ length: total * 3 }, () => memoised.pick()!.id)).toEqual(expected)
      expect(Array.from({ length: total * 3 }, () => live.pick()!.id)).toEqual(expected)
    }
  })

  it.each([
    [[5, 1, 1], 7],
    [[10, 2, 2], 7],
    [[2, 2], 2],
    [[0.5, 0.1, 0.1], 7],
    [[0.35, 0.65], 20],
    [[Math.PI, 1], 0],
  ])('the cycle of weights %j is %i picks (0: not periodic in small integers)', (weights, length) => {
    expect(smoothCycleLength(weights)).toBe(length)
  })

  it('on retry takes the next untried backend of the sequence without disturbing it', () => {
    const picker = smoothWeightedRoundRobin.build(weighted({ a: 5, b: 1, c: 1 }), { maxCycle: 1000 }, seededDeps(1))
    expect(Array.from({ length: 7 }, () => picker.pick()!.id).join('')).toBe('aabacaa')
    expect(picker.pick({ tried: new Set(['a']) })!.id).toBe('b')
    expect(picker.pick({ tried: new Set(['a', 'b']) })!.id).toBe('c')
    expect(Array.from({ length: 7 }, () => picker.pick()!.id).join('')).toBe('aabacaa')
  })
})
