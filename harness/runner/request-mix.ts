import { buildAliasTable } from '../../engine/balancing/alias-table.js'
import { fmix32 } from '../../engine/balancing/hash.js'
import type { HttpRequestShape } from '../load/load-types.js'
import type { LoadSection } from '../scenario/scenario-schema.js'

/** The requests of a run: one shape, or a weighted mix with the groups each entry must reach. */
export interface RequestPlan {
  readonly base: HttpRequestShape
  readonly requestFor?: (i: number) => HttpRequestShape
  readonly expectedGroups?: (i: number) => readonly string[] | undefined
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
  const shapes = mix.map(toShape)
  const table = buildAliasTable(mix.map((m) => m.weight))
  const pick = (i: number) => table.sample(fmix32((seed * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) / 4294967296)
  const expected = mix.map((m) => (m.expect === undefined ? undefined : [...(m.expect.group === undefined ? [] : [m.expect.group]), ...(m.expect.groups ?? [])]))
  const anyExpected = expected.some((e) => e !== undefined)
  return {
    base,
    requestFor: (i) => shapes[pick(i)]!,
    ...(anyExpected ? { expectedGroups: (i: number) => expected[pick(i)] } : {}),
  }
}
