import { z } from 'zod'
import type { Algorithm, Backend, PickContext, Picker } from './types.js'

const options = z.strictObject({
  /**
   * Longest cycle memoised, in picks. The smooth sequence repeats every Σw/gcd(w) picks; cycles up
   * to this length are recorded as they are produced, so picks after the first cycle are O(1).
   */
  maxCycle: z.number().int().min(0).max(16_777_216).default(1_048_576),
})

/**
 * The period of the smooth sequence for these weights — Σw / gcd(w) once weights are scaled to
 * integers — or 0 when weights are not (close to) rationals with a small denominator.
 */
export function smoothCycleLength(weights: ArrayLike<number>): number {
  for (const scale of [1, 2, 4, 5, 10, 20, 40, 100, 1000]) {
    let g = 0
    let total = 0
    let integral = true
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]! * scale
      const r = Math.round(w)
      if (Math.abs(w - r) > 1e-9 * Math.max(1, w)) {
        integral = false
        break
      }
      g = gcd(g, r)
      total += r
    }
    if (integral && g > 0) return total / g
  }
  return 0
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/**
 * Smooth weighted round robin with nginx's semantics (ngx_http_upstream_get_peer): every pick adds
 * each backend's weight to its current weight, takes the largest current weight (first on ties) and
 * subtracts the total. Weights {a:5, b:1, c:1} give a a b a c a a — the heavy backend interleaved,
 * never in a burst. After one full cycle every current weight is back to zero, so the sequence is
 * periodic: it is recorded while the first cycle is produced and replayed after, in O(1).
 * A retry takes the next backend of the sequence that was not tried, leaving the sequence as it is.
 */
export const smoothWeightedRoundRobin: Algorithm<z.infer<typeof options>> = {
  name: 'smooth-weighted-round-robin',
  summary: "nginx's smooth weighted round robin: weighted and interleaved",
  needs: 'none',
  weighted: true,
  feedback: false,
  options,
  build(backends: readonly Backend[], opts): Picker {
    const n = backends.length
    const weight = Float64Array.from(backends, (b) => b.weight)
    const current = new Float64Array(n)
    let total = 0
    for (let i = 0; i < n; i++) total += weight[i]!
    const period = smoothCycleLength(weight)
    const cycle = period > 0 && period <= opts.maxCycle ? new Int32Array(period) : undefined
    let recorded = 0
    let position = 0

    /** One step of nginx's algorithm over every backend. */
    function step(): number {
      let best = 0
      let bestWeight = -Infinity
      for (let i = 0; i < n; i++) {
        const cw = current[i]! + weight[i]!
        current[i] = cw
        if (cw > bestWeight) {
          bestWeight = cw
          best = i
        }
      }
      current[best] = bestWeight - total
      return best
    }

    function next(): number {
      if (cycle === undefined) return step()
      const i = position < recorded ? cycle[position]! : (cycle[recorded++] = step())
      position = position + 1 === period ? 0 : position + 1
      return i
    }

    /** The next backend in sequence order that was not tried; the sequence itself does not advance. */
    function nextUntried(tried: ReadonlySet<string>): Backend | undefined {
      if (cycle !== undefined && recorded === period) {
        for (let k = 0, p = position; k < Math.min(period, 4 * n); k++, p = p + 1 === period ? 0 : p + 1) {
          const b = backends[cycle[p]!]!
          if (!tried.has(b.id)) return b
        }
      }
      // Sequence not recorded yet, or long runs of tried backends: the heaviest untried one.
      let best: Backend | undefined
      for (const b of backends) if (!tried.has(b.id) && (best === undefined || b.weight > best.weight)) best = b
      return best
    }

    return {
      backends,
      pick(ctx?: PickContext) {
        if (n === 0) return undefined
        const tried = ctx?.tried
        return tried === undefined || tried.size === 0 ? backends[next()] : nextUntried(tried)
      },
    }
  },
}
