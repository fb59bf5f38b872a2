import type { HttpRequestShape, RequestMix } from '../load/load-types.js'
import { mixPicker } from '../load/request-mix.js'
import type { LoadSection } from '../scenario/scenario-schema.js'

/** The requests of a run: one shape, or a weighted mix with the groups each entry must reach. */
export interface RequestPlan {
  readonly base: HttpRequestShape
  readonly requestFor?: (i: number) => HttpRequestShape
  /** The same mix as data, for generators across a process boundary (load agents). */
  readonly mix?: RequestMix
  readonly expectedGroups?: (i: number) => readonly string[] | undefined
  /** The groups entry `k` of the mix must reach. */
  readonly expectedOfEntry?: (k: number) => readonly string[] | undefined
}

type Shape = LoadSection['request']

function toShape(s: Shape): HttpRequestShape {
  return { method: s.method, path: s.path, headers: s.headers, ...(s.bodyBytes > 0 ? { bodyBytes: s.bodyBytes } : {}), ...(s.host === undefined ? {} : { hostHeader: s.host }) }
}

/**
 * Builds the request plan of a load section. A mix picks entry `k` for request `i` from a seeded
 * hash of `i`, so every variant of a matrix — and every repeat — sends exactly the same sequence of
 * requests: differences between variants come from the balancer, not from the traffic.
 */
export function requestPlan(load: LoadSection, seed: number): RequestPlan {
  const base = toShape(load.request)
  const mix = load.mix
  if (mix === undefined) return { base }
  const data: RequestMix = { seed, weights: mix.map((m) => m.weight), shapes: mix.map(toShape) }
  const pick = mixPicker(data)
  const expected = mix.map((m) => (m.expect === undefined ? undefined : [...(m.expect.group === undefined ? [] : [m.expect.group]), ...(m.expect.groups ?? [])]))
  const anyExpected = expected.some((e) => e !== undefined)
  return {
    base,
    requestFor: (i) => data.shapes[pick(i)]!,
    mix: data,
    ...(anyExpected ? { expectedGroups: (i: number) => expected[pick(i)], expectedOfEntry: (k: number) => expected[k] } : {}),
  }
}
