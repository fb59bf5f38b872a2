import { z } from 'zod'
import { murmur3, pickHash } from './hash.js'
import { firstUntriedOwner } from './owner-table.js'
import type { Algorithm, Backend, Deps, PickContext, Picker } from './types.js'

/** True when `n` is prime (trial division; table sizes are small enough). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false
  if (n % 2 === 0) return n === 2
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false
  return true
}

const options = z.strictObject({
  /** Lookup table size M, a prime well above the backend count (Envoy default 65537). */
  tableSize: z
    .number()
    .int()
    .min(3)
    .max(5_000_011)
    .refine(isPrime, { message: 'tableSize must be a prime number (e.g. 65537, 131071, 5000011)' })
    .default(65_537),
})

/**
 * Builds a Maglev lookup table (Eisenbud et al., NSDI 2016, pseudocode listing 1) with Envoy's
 * weighting: each backend fills its next preferred free slot in turn, a backend of relative weight
 * w/max taking a turn only every max/w rounds. offset = h₀(id) mod M, skip = h₁(id) mod (M−1) + 1.
 * Returns the owner index of each of the M slots.
 */
export function buildMaglevTable(backends: readonly Backend[], tableSize: number): Int32Array {
  const n = backends.length
  const table = new Int32Array(tableSize).fill(-1)
  if (n === 0) return table
  const next = new Float64Array(n)
  const skip = new Float64Array(n)
  const weight = new Float64Array(n)
  const target = new Float64Array(n)
  let sum = 0
  for (const b of backends) sum += b.weight
  let maxWeight = 0
  for (let i = 0; i < n; i++) {
    const b = backends[i]!
    next[i] = murmur3(b.id, 0) % tableSize
    skip[i] = (murmur3(b.id, 1) % (tableSize - 1)) + 1
    weight[i] = b.weight / sum
    maxWeight = Math.max(maxWeight, weight[i]!)
  }
  let filled = 0
  for (let iteration = 1; filled < tableSize; iteration++) {
    for (let i = 0; i < n && filled < tableSize; i++) {
      if (iteration * weight[i]! < target[i]!) continue
      target[i]! += maxWeight
      let c = next[i]!
      while (table[c] !== -1) {
        c += skip[i]!
        if (c >= tableSize) c -= tableSize
      }
      table[c] = i
      c += skip[i]!
      next[i] = c >= tableSize ? c - tableSize : c
      filled++
    }
  }
  return table
}

/**
 * Maglev consistent hashing: O(1) lookups in a prime-sized table that spreads backends evenly by
 * weight and moves few keys when membership changes. A retry takes the next slot owned by a
 * backend not yet tried.
 */
export const maglev: Algorithm<z.infer<typeof options>> = {
  name: 'maglev',
  summary: "Google's Maglev consistent hashing (weighted, Envoy's table)",
  needs: 'key',
  weighted: true,
  feedback: false,
  options,
  build(backends: readonly Backend[], opts, deps: Deps): Picker {
    const m = opts.tableSize
    const table = buildMaglevTable(backends, m)
    const empty = backends.length === 0
    return {
      backends,
      pick(ctx?: PickContext) {
        if (empty) return undefined
        const slot = pickHash(ctx, deps.random) % m
        const tried = ctx?.tried
        if (tried === undefined || tried.size === 0) return backends[table[slot]!]
        return firstUntriedOwner(table, backends, slot, tried)
      },
    }
  },
}
