import { z } from 'zod'
import { backendIndex, positionalFeedback } from './backend-index.js'
import { bestUntriedOfChoices, SPLIT_DRAW_MAX } from './choice-of-k.js'
import type { Algorithm, Backend, Deps, PickContext, Picker } from './types.js'

const options = z.strictObject({
  /** Time constant of the latency average's decay (Finagle `decayTime`, default 10 s). */
  decayTimeMs: z.number().positive().max(3_600_000).default(10_000),
  /** Candidates compared per pick (distinct, as in Finagle's P2C). */
  choiceCount: z.number().int().min(2).max(64).default(2),
  /**
   * Latency assumed for a backend with no observation yet (Linkerd/Tower `default_rtt`). 0 keeps
   * Finagle's rule: such a backend is free while idle and penalised once a request is in flight.
   */
  initialCostUs: z.number().min(0).max(60_000_000).default(0),
})

/**
 * One step of Finagle's peak-sensitive EWMA: a higher observation replaces the cost at once (the
 * peak); otherwise the cost moves toward `rtt` by 1 − e^(−Δt/τ). Observing 0 is pure decay.
 */
export function ewmaCost(cost: number, rtt: number, elapsedUs: number, tauUs: number): number {
  if (rtt > cost) return rtt
  const x = Math.max(elapsedUs, 0) / tauUs
  // e^-x: picks come microseconds apart against a τ of seconds, where four Taylor terms are
  // exact to 5e-14 and far cheaper than Math.exp.
  const w = x < 1e-3 ? 1 - x * (1 - x * 0.5 * (1 - x / 3)) : Math.exp(-x)
  return cost * w + rtt * (1 - w)
}

/** Learned costs of live pickers, so a rebuild keeps what the previous picker knew. */
const learned = new WeakMap<Picker, (id: string) => { cost: number; stamp: number } | undefined>()

/** Finagle's penalty for a backend with requests in flight but no latency yet (Long.MaxValue >> 16). */
const PENALTY = 2 ** 47

/**
 * Peak-EWMA with Finagle's semantics, chosen by power of two (distinct) choices. Each backend keeps
 * a cost: an exponentially weighted moving average of latency that jumps straight up to any higher
 * observation (the peak) and decays with time constant τ, `cost ← cost·e^(−Δt/τ) + rtt·(1 − e^(−Δt/τ))`.
 * Load is `cost × (pending + 1)`; a backend without observations but with requests pending gets a
 * huge penalty, so new backends are probed with one request before they are trusted.
 */
export const peakEwma: Algorithm<z.infer<typeof options>> = {
  name: 'peak-ewma',
  summary: "Finagle's peak EWMA: latency-aware power of two choices",
  needs: 'none',
  weighted: false,
  feedback: true,
  options,
  build(backends: readonly Backend[], opts, deps: Deps, previous?: Picker): Picker {
    const n = backends.length
    const tau = opts.decayTimeMs * 1000
    const cost = new Float64Array(n).fill(opts.initialCostUs)
    const stamp = new Float64Array(n).fill(deps.nowUs())
    const pending = new Float64Array(n)
    const indexOf = backendIndex(backends)
    const recall = previous === undefined ? undefined : learned.get(previous)
    if (recall !== undefined) {
      backends.forEach((b, i) => {
        const known = recall(b.id)
        if (known !== undefined) {
          cost[i] = known.cost
          stamp[i] = known.stamp
        }
      })
    }
    const random = deps.random
    const k = Math.min(opts.choiceCount, n)

    const observe = (i: number, rtt: number, now: number): void => {
      cost[i] = ewmaCost(cost[i]!, rtt, now - stamp[i]!, tau)
      stamp[i] = now
    }
    let now = 0
    /** Finagle's load: decays the cost to `now` (observing 0), then cost × (pending + 1). */
    const load = (i: number): number => {
      let c = cost[i]!
      if (c !== 0) {
        c = ewmaCost(c, 0, now - stamp[i]!, tau)
        cost[i] = c
      }
      stamp[i] = now
      const p = pending[i]!
      return c === 0 && p !== 0 ? PENALTY + p : c * (p + 1)
    }

    const picker: Picker = {
      backends,
      pick(ctx?: PickContext) {
        if (n === 0) return undefined
        now = ctx?.nowUs ?? deps.nowUs()
        if (n === 1) return ctx?.tried?.has(backends[0]!.id) ? undefined : backends[0]
        const tried = ctx?.tried
        if (tried !== undefined && tried.size > 0) {
          const i = bestUntriedOfChoices(n, k, true, random, load, (i) => tried.has(backends[i]!.id))
          return i < 0 ? undefined : backends[i]
        }
        // Finagle's distinct pair: the second index is drawn among n − 1 and skips over the first.
        let a: number
        let b: number
        if (n <= SPLIT_DRAW_MAX) {
          const x = random() * n
          a = Math.floor(x)
          b = Math.floor((x - a) * (n - 1))
        } else {
          a = Math.floor(random() * n)
          b = Math.floor(random() * (n - 1))
        }
        if (b >= a) b++
        let best = load(b) < load(a) ? b : a
        if (k > 2) {
          const drawn = [a, b]
          while (drawn.length < k) {
            const i = Math.floor(random() * n)
            if (drawn.includes(i)) continue
            drawn.push(i)
            if (load(i) < load(best)) best = i
          }
        }
        return backends[best]
      },
      ...positionalFeedback(
        indexOf,
        (i) => {
          pending[i]! += 1
        },
        (i, outcome) => {
          if (pending[i]! > 0) pending[i]! -= 1
          observe(i, outcome.latencyUs, deps.nowUs())
        },
      ),
    }
    learned.set(picker, (id) => {
      const i = indexOf.byId(id)
      return i < 0 ? undefined : { cost: cost[i]!, stamp: stamp[i]! }
    })
    return picker
  },
}
