import { z } from 'zod'
import { backendIndex, positionalFeedback } from './backend-index.js'
import { bestUntriedOfChoices, SPLIT_DRAW_MAX } from './choice-of-k.js'
import { EdfSchedule } from './edf-schedule.js'
import type { Algorithm, Backend, Deps, PickContext, Picker } from './types.js'

const options = z.strictObject({
  /** Candidates drawn per pick when weights are equal (Envoy `choice_count`, default 2). */
  choiceCount: z.number().int().min(2).max(64).default(2),
  /** Exponent on in-flight requests when weights differ (Envoy `active_request_bias`, default 1). */
  activeRequestBias: z.number().min(0).max(16).default(1),
})

/**
 * Least request with Envoy's semantics. Equal weights: power of `choiceCount` choices — draw that
 * many backends at random (with replacement) and keep the one with the fewest in-flight requests.
 * Unequal weights: earliest-deadline-first over dynamic weights `weight / (active + 1)^bias`, each
 * backend's weight refreshed when it is picked, as Envoy's EDF scheduler does.
 */
export const powerOfTwoChoices: Algorithm<z.infer<typeof options>> = {
  name: 'p2c',
  summary: "Envoy's least request: best of N random choices by in-flight requests",
  needs: 'none',
  weighted: true,
  feedback: true,
  options,
  build(backends: readonly Backend[], opts, deps: Deps): Picker {
    const n = backends.length
    const active = new Float64Array(n)
    const indexOf = backendIndex(backends)
    const equal = backends.every((b) => b.weight === backends[0]!.weight)
    const pick = equal ? unweighted(backends, active, opts.choiceCount, deps) : weighted(backends, active, opts.activeRequestBias, deps)
    return {
      backends,
      pick,
      ...positionalFeedback(
        indexOf,
        (i) => {
          active[i]! += 1
        },
        (i) => {
          if (active[i]! > 0) active[i]! -= 1
        },
      ),
    }
  },
}

type PickFn = (ctx?: PickContext) => Backend | undefined

function unweighted(backends: readonly Backend[], active: Float64Array, k: number, deps: Deps): PickFn {
  const n = backends.length
  const random = deps.random
  const cost = (i: number) => active[i]!
  return (ctx) => {
    if (n === 0) return undefined
    const tried = ctx?.tried
    if (tried !== undefined && tried.size > 0) {
      const i = bestUntriedOfChoices(n, k, false, random, cost, (i) => tried.has(backends[i]!.id))
      return i < 0 ? undefined : backends[i]
    }
    // Envoy draws with replacement and keeps the earlier candidate on ties.
    let best: number
    let c = 1
    if (n <= SPLIT_DRAW_MAX) {
      const x = random() * n
      best = Math.floor(x)
      const second = Math.floor((x - best) * n)
      if (active[second]! < active[best]!) best = second
      c = 2
    } else {
      best = Math.floor(random() * n)
    }
    for (; c < k; c++) {
      const i = Math.floor(random() * n)
      if (active[i]! < active[best]!) best = i
    }
    return backends[best]
  }
}

function weighted(backends: readonly Backend[], active: Float64Array, bias: number, deps: Deps): PickFn {
  const n = backends.length
  const weight = Float64Array.from(backends, (b) => b.weight)
  const effective = bias === 1 ? (i: number) => weight[i]! / (active[i]! + 1) : (i: number) => weight[i]! / Math.pow(active[i]! + 1, bias)
  const schedule = new EdfSchedule(n, (i) => 1 / weight[i]!)
  const next = (): number => {
    // The earliest deadline is served and rescheduled by its weight as of now.
    const i = schedule.peek()
    schedule.rescheduleNext(schedule.now() + 1 / effective(i))
    return i
  }
  // Start at a random point of the schedule so that balancers built together do not move in step.
  for (let skip = Math.floor(deps.random() * n); skip > 0; skip--) next()

  return (ctx) => {
    if (n === 0) return undefined
    const tried = ctx?.tried
    if (tried === undefined || tried.size === 0) return backends[next()]
    for (let attempt = 0; attempt < n; attempt++) {
      const b = backends[next()]!
      if (!tried.has(b.id)) return b
    }
    // The schedule kept landing on tried backends (heavy weights): the untried one with the
    // highest dynamic weight decides.
    let best = -1
    for (let i = 0; i < n; i++) {
      if (!tried.has(backends[i]!.id) && (best < 0 || effective(i) > effective(best))) best = i
    }
    return best < 0 ? undefined : backends[best]
  }
}
