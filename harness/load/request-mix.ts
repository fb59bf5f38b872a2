import { buildAliasTable } from '../../engine/balancing/alias-table.js'
import { fmix32 } from '../../engine/balancing/hash.js'
import type { HttpRequestShape, RequestMix } from './load-types.js'

/** The entry of the mix request `i` takes. */
export function mixPicker(mix: Pick<RequestMix, 'seed' | 'weights'>): (i: number) => number {
  const table = buildAliasTable([...mix.weights])
  const seed = mix.seed
  return (i) => table.sample(fmix32((seed * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) / 4294967296)
}

/**
 * A load agent's part of the request sequence: agent `offset` of `stride` sends the requests
 * offset, offset + stride, …, so N agents together send the indexes one generator would.
 */
export interface MixShare {
  readonly stride: number
  readonly offset: number
}

/** Replies to a mix, counted by entry and by the backend that answered (what routing checks need). */
export type MixAnswers = readonly { readonly entry: number; readonly backend: string; readonly count: number }[]

/** Replies counted by entry and backend. */
class AnswerTally {
  private readonly counts = new Map<string, { entry: number; backend: string; count: number }>()

  add(entry: number, backend: string, n: number): void {
    const key = `${entry}\n${backend}`
    const t = this.counts.get(key)
    if (t === undefined) this.counts.set(key, { entry, backend, count: n })
    else t.count += n
  }

  list(): MixAnswers {
    return [...this.counts.values()].map((t) => ({ ...t })).sort((a, b) => a.entry - b.entry || a.backend.localeCompare(b.backend))
  }
}

/**
 * Request shapes and a tally of successful replies for one agent's share of a mix: `requestFor`
 * for the generator, `count` for each reply, `answers` once it has run.
 */
export function mixShare(mix: RequestMix, share: MixShare): { requestFor: (i: number) => HttpRequestShape; count: (index: number, backend: string) => void; answers: () => MixAnswers } {
  const pick = mixPicker(mix)
  const global = (i: number) => i * share.stride + share.offset
  const tally = new AnswerTally()
  return {
    requestFor: (i) => mix.shapes[pick(global(i))]!,
    count: (index, backend) => tally.add(pick(global(index)), backend, 1),
    answers: () => tally.list(),
  }
}

/** Tallies of several agents added together. */
export function mergeMixAnswers(parts: readonly MixAnswers[]): MixAnswers {
  const total = new AnswerTally()
  for (const part of parts) for (const a of part) total.add(a.entry, a.backend, a.count)
  return total.list()
}
