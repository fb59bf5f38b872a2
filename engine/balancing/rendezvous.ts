import { z } from 'zod'
import { fmix32, murmur3, pickHash } from './hash.js'
import type { Algorithm, Backend, Deps, PickContext, Picker } from './types.js'

const options = z.strictObject({
  /**
   * Key space, in bits, over which winners are computed: keys hash into 2^bits buckets and each
   * bucket's winner is memoised when first asked for (Maglev likewise maps keys into 65537 slots).
   * 0 scores every key afresh: exact over the full 32-bit hash, O(n) per pick.
   */
  bucketBits: z.number().int().min(0).max(24).default(16),
})

/**
 * Rendezvous (highest random weight) hashing, Thaler & Ravishankar 1998: every backend scores the
 * key and the highest score wins, so removing a backend moves exactly the keys it owned. Weighted
 * by the logarithmic method (Schindelhauer & Schomaker 2005): score = w / −ln(u) with u the
 * key–backend hash mapped into (0, 1), which gives each backend a share proportional to its weight.
 * Scoring is O(n); with buckets (default 2^16) each bucket is scored once per membership and picks
 * are O(1) after. A retry takes the best-scoring backend not yet tried.
 */
export const rendezvous: Algorithm<z.infer<typeof options>> = {
  name: 'rendezvous',
  summary: 'rendezvous (highest random weight) hashing, weighted',
  needs: 'key',
  weighted: true,
  feedback: false,
  options,
  build(backends: readonly Backend[], opts, deps: Deps): Picker {
    const n = backends.length
    const seed = Int32Array.from(backends, (b) => murmur3(b.id))
    const weight = Float64Array.from(backends, (b) => b.weight)
    const equal = backends.every((b) => b.weight === backends[0]!.weight)
    const shift = 32 - opts.bucketBits
    const memo = opts.bucketBits > 0 && n > 0 ? new Int32Array(1 << opts.bucketBits).fill(-1) : undefined

    /** The backend scoring highest for hash `h`, skipping tried ones. */
    function score(key: number, tried: ReadonlySet<string> | undefined): number {
      // Bucket numbers differ only in their low bits: mix before combining with each seed.
      const h = fmix32(key ^ 0x5bd1e995)
      let best = -1
      let bestScore = -1
      for (let i = 0; i < n; i++) {
        const mixed = fmix32(h ^ seed[i]!)
        // Equal weights: the mixed hash itself is the score, no logarithm needed.
        const s = equal ? mixed : weight[i]! / -Math.log((mixed + 0.5) / 4294967296)
        if (s > bestScore && (tried === undefined || !tried.has(backends[i]!.id))) {
          bestScore = s
          best = i
        }
      }
      return best
    }

    return {
      backends,
      pick(ctx?: PickContext) {
        if (n === 0) return undefined
        const hash = pickHash(ctx, deps.random)
        const tried = ctx?.tried
        const untried = tried === undefined || tried.size === 0
        if (memo === undefined) return backends[score(hash, untried ? undefined : tried)]
        // The bucket number is what is scored, so a memoised winner is the exact HRW winner.
        const bucket = hash >>> shift
        if (!untried) {
          const i = score(bucket, tried)
          return i < 0 ? undefined : backends[i]
        }
        let i = memo[bucket]!
        if (i < 0) i = memo[bucket] = score(bucket, undefined)
        return backends[i]
      },
    }
  },
}
