import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { murmur3 } from '../../../engine/balancing/hash.js'
import { rendezvous } from '../../../engine/balancing/rendezvous.js'
import { clientKeys, many, tally, weighted } from '../../helpers/backends.js'
import { runConformance } from './conformance.js'

runConformance('rendezvous')
runConformance('rendezvous', { options: { bucketBits: 0 } })

describe('rendezvous: remapping and weights', () => {
  it.each([16, 0])('with %i bucket bits, moves exactly the departed backend’s keys: 1/N of them', (bucketBits) => {
    // Highest random weight: every other backend's score for a key is unchanged, so a key moves
    // only if its winner left. The fraction is b3's share, 1/10 up to sampling noise (sd 0.0013).
    const backends = many(10)
    const before = rendezvous.build(backends, { bucketBits }, seededDeps(1))
    const after = rendezvous.build(backends.filter((b) => b.id !== 'b3'), { bucketBits }, seededDeps(1))
    const keys = clientKeys(50_000)
    let moved = 0
    for (const key of keys) {
      const hash = murmur3(key)
      const was = before.pick({ hash })!.id
      if (was !== after.pick({ hash })!.id) {
        moved++
        expect(was).toBe('b3')
      }
    }
    expect(Math.abs(moved / keys.length - 0.1)).toBeLessThan(0.01)
  })

  it('adding a backend moves keys only onto it', () => {
    const backends = many(9)
    const before = rendezvous.build(backends, { bucketBits: 16 }, seededDeps(1))
    const after = rendezvous.build([...backends, ...weighted({ fresh: 1 })], { bucketBits: 16 }, seededDeps(1))
    for (const key of clientKeys(20_000)) {
      const now = after.pick({ key })!.id
      if (now !== before.pick({ key })!.id) expect(now).toBe('fresh')
    }
  })

  it('gives shares proportional to weight by the logarithmic method', () => {
    const picker = rendezvous.build(weighted({ a: 1, b: 2, c: 7 }), { bucketBits: 0 }, seededDeps(1))
    const counts = tally(clientKeys(100_000).map((key) => picker.pick({ key })!.id))
    expect(counts.get('a')! / 1e5).toBeCloseTo(0.1, 2)
    expect(counts.get('b')! / 1e5).toBeCloseTo(0.2, 2)
    expect(counts.get('c')! / 1e5).toBeCloseTo(0.7, 2)
  })

  it('on retry takes the second-highest scorer, the same one whichever key maps to that bucket', () => {
    const picker = rendezvous.build(many(8), { bucketBits: 16 }, seededDeps(1))
    const hash = murmur3('client-7')
    const first = picker.pick({ hash })!.id
    const second = picker.pick({ hash, tried: new Set([first]) })!.id
    expect(second).not.toBe(first)
    // Same bucket (top 16 bits), different low bits: same ranking.
    expect(picker.pick({ hash: (hash & 0xffff0000) | 0x1234, tried: new Set([first]) })!.id).toBe(second)
  })
})
