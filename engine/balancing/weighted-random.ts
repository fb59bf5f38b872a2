import { z } from 'zod'
import { buildAliasTable } from './alias-table.js'
import type { Algorithm, Backend, Deps, PickContext, Picker } from './types.js'

const options = z.strictObject({})

/** Tries at rejecting already-tried backends before falling back to an exact scan. */
const REJECTION_TRIES = 8

/**
 * Random choice with probability proportional to weight (uniform when weights are equal), in O(1)
 * through an alias table. Retries draw again among the untried backends, still by weight.
 */
export const weightedRandom: Algorithm<z.infer<typeof options>> = {
  name: 'weighted-random',
  summary: 'random, with probability proportional to weight',
  needs: 'none',
  weighted: true,
  feedback: false,
  options,
  build(backends: readonly Backend[], _options, deps: Deps): Picker {
    const n = backends.length
    const random = deps.random
    const uniform = backends.every((b) => b.weight === backends[0]!.weight)
    const table = buildAliasTable(backends.map((b) => b.weight))
    const draw = uniform ? () => Math.floor(random() * n) : () => table.sample(random())

    function pickUntried(tried: ReadonlySet<string>): Backend | undefined {
      for (let i = 0; i < REJECTION_TRIES; i++) {
        const b = backends[draw()]!
        if (!tried.has(b.id)) return b
      }
      let sum = 0
      for (const b of backends) if (!tried.has(b.id)) sum += b.weight
      if (sum === 0) return undefined
      let u = random() * sum
      let last: Backend | undefined
      for (const b of backends) {
        if (tried.has(b.id)) continue
        last = b
        u -= b.weight
        if (u < 0) return b
      }
      return last
    }

    return {
      backends,
      pick(ctx?: PickContext) {
        if (n === 0) return undefined
        const tried = ctx?.tried
        if (tried === undefined || tried.size === 0) return backends[draw()]
        return pickUntried(tried)
      },
    }
  },
}
