import { z } from 'zod'
import type { Algorithm, Backend, Deps, PickContext, Picker } from './types.js'

const options = z.strictObject({})

/**
 * Plain round robin, weights ignored (gRPC's `round_robin`). The starting position is drawn from the
 * injected random source so that many balancers built at once do not all hit the first backend.
 */
export const roundRobin: Algorithm<z.infer<typeof options>> = {
  name: 'round-robin',
  summary: 'each backend in turn, weights ignored',
  needs: 'none',
  weighted: false,
  feedback: false,
  options,
  build(backends: readonly Backend[], _options, deps: Deps): Picker {
    const n = backends.length
    let next = Math.floor(deps.random() * n)
    return {
      backends,
      pick(ctx?: PickContext): Backend | undefined {
        const tried = ctx?.tried
        for (let step = 0; step < n; step++) {
          const b = backends[next]!
          next = next + 1 === n ? 0 : next + 1
          if (tried === undefined || !tried.has(b.id)) return b
        }
        return undefined
      },
    }
  },
}
