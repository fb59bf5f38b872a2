import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { murmur3 } from '../../../engine/balancing/hash.js'
import { seededRandom } from '../../../engine/balancing/random.js'
import { buildRing, ringBuckets, ringHash, ringIndex } from '../../../engine/balancing/ring-hash.js'
import { clientKeys, many, weighted } from '../../helpers/backends.js'
import { runConformance } from './conformance.js'

// Shares on a ring deviate from weights by the ring's own randomness (a backend with v points has
// a relative share deviation of about 1/√v); 2^16 points bring that under the suite's tolerance.
runConformance('ring-hash', { options: { minRingSize: 65_536 } })

/** Fraction of the hash space owned by each backend of a ring. */
function arcShares(points: Uint32Array, owners: Int32Array, n: number): number[] {
  const share = new Array<number>(n).fill(0)
  for (let k = 0; k < points.length; k++) {
    const previous = k === 0 ? points[points.length - 1]! - 2 ** 32 : points[k - 1]!
    share[owners[k]!]! += (points[k]! - previous) / 2 ** 32
  }
  return share
}

describe('ring-hash: ring (Envoy sizing)', () => {
  it.each([
    // backends, minRingSize, maxRingSize, expected points per backend
    [{ a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1, i: 1, j: 1 }, 1024, 8_388_608, [103]],
    [{ a: 1, b: 2 }, 1024, 8_388_608, [342, 684]],
    [{ a: 1, b: 1 }, 1_000_000, 1000, [500]],
    [{ a: 1, b: 3 }, 4, 8_388_608, [1, 3]],
  ])('%j with min %i, max %i gives points %j', (weights, min, max, perBackend) => {
    // scale = min(ceil(minShare·min)/minShare, max); each backend gets scale·share points.
    const backends = weighted(weights)
    const { owners } = buildRing(backends, { minRingSize: min, maxRingSize: max })
    const counts = backends.map((_, i) => owners.filter((o) => o === i).length)
    expect(counts).toEqual(backends.map((_, i) => perBackend[i] ?? perBackend[0]))
  })

  it('gives fixed points per unit of weight when asked, whatever the other backends', () => {
    const backends = weighted({ a: 1, b: 2.5, c: 4 })
    const { owners } = buildRing(backends, { minRingSize: 1024, maxRingSize: 8_388_608, pointsPerWeight: 100 })
    expect(backends.map((_, i) => owners.filter((o) => o === i).length)).toEqual([100, 250, 400])
  })

  it('balances arcs as theory says: relative share deviation ≈ 1/√(points per backend)', () => {
    // v points per backend at random positions: each share is a sum of v spacings, ~Gamma(v),
    // so its relative standard deviation is 1/√v. Over 100 backends the sample sd itself varies
    // by about 1/√(2·99) ≈ 7%, hence the ±25% band.
    for (const v of [40, 160, 640]) {
      const n = 100
      const { points, owners } = buildRing(many(n), { minRingSize: n * v, maxRingSize: 8_388_608 })
      const shares = arcShares(points, owners, n)
      const mean = 1 / n
      const sd = Math.sqrt(shares.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1))
      expect(sd / mean).toBeGreaterThan(0.75 / Math.sqrt(v))
      expect(sd / mean).toBeLessThan(1.25 / Math.sqrt(v))
    }
  })

  it('finds the first point clockwise, the bucket index agreeing with a plain binary search', () => {
    const { points } = buildRing(many(50), { minRingSize: 5000, maxRingSize: 8_388_608 })
    const buckets = ringBuckets(points)
    const random = seededRandom(3)
    for (let t = 0; t < 20_000; t++) {
      const h = Math.floor(random() * 2 ** 32)
      const b = h >>> 20
      const plain = ringIndex(points, h)
      expect(ringIndex(points, h, buckets[b], buckets[b + 1])).toBe(plain)
      expect(plain === 0 ? h > points[points.length - 1]! || h <= points[0]! : points[plain - 1]! < h && h <= points[plain]!).toBe(true)
    }
  })

  /** Keys that change backend when b3 leaves 10 backends, and whether any moved between survivors. */
  const removal = (options: Record<string, number>) => {
    const backends = many(10)
    const opts = ringHash.options.parse(options)
    const before = ringHash.build(backends, opts, seededDeps(1))
    const after = ringHash.build(backends.filter((b) => b.id !== 'b3'), opts, seededDeps(1))
    const keys = clientKeys(50_000)
    let moved = 0
    let betweenSurvivors = 0
    for (const key of keys) {
      const hash = murmur3(key)
      const was = before.pick({ hash })!.id
      if (was !== after.pick({ hash })!.id) {
        moved++
        if (was !== 'b3') betweenSurvivors++
      }
    }
    return { moved: moved / keys.length, betweenSurvivors: betweenSurvivors / keys.length }
  }

  it('with fixed points per weight, moves only the removed backend’s keys: 1/10 of them', () => {
    // Ideal is exactly b3's share: 1/10, give or take the ring's 1/√1024 ≈ 3% relative deviation.
    const { moved, betweenSurvivors } = removal({ pointsPerWeight: 1024 })
    expect(betweenSurvivors).toBe(0)
    expect(moved).toBeGreaterThan(0.085)
    expect(moved).toBeLessThan(0.115)
  })

  it('with Envoy’s sizing, also re-deals keys among survivors when the ring re-scales: ≈ 2/10', () => {
    // 10 backends × 1024 points become 9 × 1138 (the ring stays ≥ 10240 points), so each survivor
    // gains 114 points. The new points cover ≈ 9·114/10242 ≈ 10% of the space, taken from a
    // different backend 8 times in 9: ≈ 0.09 of keys move between survivors on top of b3's 0.10.
    const { moved, betweenSurvivors } = removal({ minRingSize: 10_240 })
    expect(betweenSurvivors).toBeGreaterThan(0.06)
    expect(betweenSurvivors).toBeLessThan(0.12)
    expect(moved).toBeGreaterThan(0.15)
    expect(moved).toBeLessThan(0.22)
  })

  it('on retry walks clockwise to the next backend not yet tried', () => {
    const backends = many(5)
    const picker = ringHash.build(backends, { minRingSize: 1024, maxRingSize: 8_388_608 }, seededDeps(1))
    const { points, owners } = buildRing(backends, { minRingSize: 1024, maxRingSize: 8_388_608 })
    const hash = 123_456_789
    const first = picker.pick({ hash })!
    let k = ringIndex(points, hash)
    while (backends[owners[k]!]!.id === first.id) k = (k + 1) % points.length
    expect(picker.pick({ hash, tried: new Set([first.id]), attempt: 1 })!.id).toBe(backends[owners[k]!]!.id)
  })
})
