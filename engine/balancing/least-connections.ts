import { z } from 'zod'
import { backendIndex, positionalFeedback } from './backend-index.js'
import { IndexedHeap } from './indexed-heap.js'
import type { Algorithm, Backend, PickContext, Picker } from './types.js'

const options = z.strictObject({})

/**
 * Weighted least connections with nginx's `least_conn` semantics: the backend with the fewest
 * in-flight requests per unit of weight wins; ties are shared by weight, going to the backend
 * furthest behind its weighted share of requests started (Webster/Sainte-Laguë order), so an idle
 * pool is still balanced by weight. Picks are O(1) from a heap that feedback keeps in order.
 */
export const leastConnections: Algorithm<z.infer<typeof options>> = {
  name: 'least-connections',
  summary: 'fewest in-flight requests per unit of weight; ties shared by weight',
  needs: 'none',
  weighted: true,
  feedback: true,
  options,
  build(backends: readonly Backend[]): Picker {
    const n = backends.length
    const weight = Float64Array.from(backends, (b) => b.weight)
    const active = new Float64Array(n)
    const started = new Float64Array(n)
    const load = new Float64Array(n)
    const turn = Float64Array.from(weight, (w) => 0.5 / w)
    const heap = new IndexedHeap(load, turn)
    for (let i = 0; i < n; i++) heap.push(i)
    const indexOf = backendIndex(backends)

    function pickUntried(tried: ReadonlySet<string>): Backend | undefined {
      let best = -1
      for (let i = 0; i < n; i++) {
        if (tried.has(backends[i]!.id)) continue
        if (best < 0 || heap.less(i, best)) best = i
      }
      return best < 0 ? undefined : backends[best]
    }

    return {
      backends,
      pick(ctx?: PickContext) {
        const top = heap.peek()
        if (top < 0) return undefined
        const tried = ctx?.tried
        const b = backends[top]!
        return tried === undefined || !tried.has(b.id) ? b : pickUntried(tried)
      },
      ...positionalFeedback(
        indexOf,
        (i) => {
          active[i]! += 1
          started[i]! += 1
          load[i] = active[i]! / weight[i]!
          turn[i] = (started[i]! + 0.5) / weight[i]!
          heap.update(i)
        },
        (i) => {
          if (active[i] === 0) return
          active[i]! -= 1
          load[i] = active[i]! / weight[i]!
          heap.update(i)
        },
      ),
    }
  },
}
