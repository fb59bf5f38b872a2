import { z } from 'zod'
import { murmur3, pickHash } from './hash.js'
import { firstUntriedOwner } from './owner-table.js'
import type { Algorithm, Backend, Deps, PickContext, Picker } from './types.js'

const options = z
  .strictObject({
    /** Fewest points on the ring (Envoy `minimum_ring_size`, default 1024). */
    minRingSize: z.number().int().min(1).max(8_388_608).default(1024),
    /** Most points on the ring (Envoy `maximum_ring_size`, default 8M). */
    maxRingSize: z.number().int().min(1).max(8_388_608).default(8_388_608),
    /**
     * Fixed points per unit of weight instead of Envoy's sizing. Envoy scales every backend's point
     * count with the membership, so a change re-deals points among the backends that stay; fixed
     * counts move only the keys of the backend that changed. Unset: Envoy's sizing.
     */
    pointsPerWeight: z.number().int().min(1).max(65_536).optional(),
  })
  .refine((o) => o.minRingSize <= o.maxRingSize, { message: 'minRingSize must not exceed maxRingSize', path: ['minRingSize'] })

/** How many points each backend gets: Envoy's scaled sizing, or a fixed count per unit of weight. */
export type RingSizing = { readonly minRingSize: number; readonly maxRingSize: number; readonly pointsPerWeight?: number | undefined }

/** A built ring: sorted points and the backend owning each. Exposed for tests and the simulator. */
export interface Ring {
  readonly points: Uint32Array
  readonly owners: Int32Array
}

/**
 * Builds a ketama-style ring. Envoy's sizing: each backend's share of points follows its
 * normalised weight, scaled so that the lightest backend gets a whole number of points and the ring
 * holds at least `minRingSize` points (at most `maxRingSize`). With `pointsPerWeight`, a backend
 * gets round(weight × pointsPerWeight) points whatever the others are. Point j of a backend is the
 * hash of `"<id>_<j>"`.
 */
export function buildRing(backends: readonly Backend[], sizing: RingSizing): Ring {
  const n = backends.length
  if (n === 0) return { points: new Uint32Array(0), owners: new Int32Array(0) }
  if (n > 1 << 20) throw new RangeError('ring hash supports at most 2^20 backends')
  const targets = ringTargets(backends, sizing)
  // Pack (point, owner) into one exactly representable double so a native sort orders both.
  const packed = new Float64Array(Math.ceil(targets[n - 1]!) + 1)
  let count = 0
  for (let i = 0; i < n; i++) {
    const id = backends[i]!.id
    for (let j = 0; count < targets[i]!; j++) packed[count++] = murmur3(`${id}_${j}`) * 1_048_576 + i
  }
  const sorted = packed.subarray(0, count).sort()
  const points = new Uint32Array(count)
  const owners = new Int32Array(count)
  for (let k = 0; k < count; k++) {
    const v = sorted[k]!
    const point = Math.floor(v / 1_048_576)
    points[k] = point
    owners[k] = v - point * 1_048_576
  }
  return { points, owners }
}

/** Cumulative point counts per backend (the ring-building loop of Envoy's RingHashLoadBalancer). */
function ringTargets(backends: readonly Backend[], sizing: RingSizing): Float64Array {
  const targets = new Float64Array(backends.length)
  if (sizing.pointsPerWeight !== undefined) {
    let total = 0
    backends.forEach((b, i) => (targets[i] = total += Math.max(1, Math.round(b.weight * sizing.pointsPerWeight!))))
    return targets
  }
  let sum = 0
  for (const b of backends) sum += b.weight
  let minShare = Infinity
  for (const b of backends) minShare = Math.min(minShare, b.weight / sum)
  const scale = Math.min(Math.ceil(minShare * sizing.minRingSize) / minShare, sizing.maxRingSize)
  let target = 0
  backends.forEach((b, i) => (targets[i] = target += (scale * b.weight) / sum))
  return targets
}

/**
 * Index of the first point at or after `hash`, wrapping past the end to 0. `lo`/`hi` narrow the
 * binary search when the caller knows the answer's range (see `ringBuckets`).
 */
export function ringIndex(points: Uint32Array, hash: number, lo = 0, hi = points.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (points[mid]! < hash) lo = mid + 1
    else hi = mid
  }
  return lo === points.length ? 0 : lo
}

/** Bits of the hash that index `ringBuckets`; 2^12 buckets keep the table small and the searches short. */
const BUCKET_BITS = 12

/**
 * For each of the 2^12 ranges of the hash's top bits, the index of the first point at or after the
 * range start. A lookup then binary-searches only between two neighbouring entries, usually a few
 * points, instead of the whole ring.
 */
export function ringBuckets(points: Uint32Array): Uint32Array {
  const buckets = new Uint32Array((1 << BUCKET_BITS) + 1)
  let k = 0
  for (let b = 0; b < 1 << BUCKET_BITS; b++) {
    const start = b * 2 ** (32 - BUCKET_BITS)
    while (k < points.length && points[k]! < start) k++
    buckets[b] = k
  }
  buckets[1 << BUCKET_BITS] = points.length
  return buckets
}

/**
 * Consistent hashing on a ring of virtual nodes: the key's hash lands on the next point clockwise.
 * A retry walks on clockwise to the next backend not yet tried, as ketama clients fail over.
 */
export const ringHash: Algorithm<z.infer<typeof options>> = {
  name: 'ring-hash',
  summary: 'consistent hashing on a ring of virtual nodes (ketama, Envoy sizing)',
  needs: 'key',
  weighted: true,
  feedback: false,
  options,
  build(backends: readonly Backend[], opts, deps: Deps): Picker {
    const { points, owners } = buildRing(backends, opts)
    const size = points.length
    const buckets = ringBuckets(points)
    const shift = 32 - BUCKET_BITS
    return {
      backends,
      pick(ctx?: PickContext) {
        if (size === 0) return undefined
        const hash = pickHash(ctx, deps.random)
        const b = hash >>> shift
        const start = ringIndex(points, hash, buckets[b], buckets[b + 1])
        const tried = ctx?.tried
        if (tried === undefined || tried.size === 0) return backends[owners[start]!]
        return firstUntriedOwner(owners, backends, start, tried)
      },
    }
  },
}
