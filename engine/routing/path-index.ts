import type { PathMatch } from './route-types.js'

/**
 * Narrowing routes by the first path segment. A route's path matcher says which first segments it
 * can possibly match:
 *  - 'segment': exactly one ('/api/v1/' and exact '/api' both need first segment 'api');
 *  - 'partial': those starting with some text ('/ap' matches '/api', '/apps/x', '/ap');
 *  - 'any': no path, a regex, '/' or anything not starting with '/'.
 */
export type PathKey =
  | { readonly kind: 'segment'; readonly segment: string }
  | { readonly kind: 'partial'; readonly segment: string }
  | { readonly kind: 'any' }

const ANY: PathKey = { kind: 'any' }

/** The narrowing key of a path matcher (undefined: no path condition). */
export function pathKey(path: PathMatch | undefined): PathKey {
  if (path === undefined) return ANY
  if ('exact' in path && path.exact.charCodeAt(0) === 0x2f) {
    const end = path.exact.indexOf('/', 1)
    return { kind: 'segment', segment: path.exact.slice(1, end < 0 ? path.exact.length : end) }
  }
  if ('prefix' in path && path.prefix.charCodeAt(0) === 0x2f && path.prefix.length > 1) {
    const end = path.prefix.indexOf('/', 1)
    return end < 0 ? { kind: 'partial', segment: path.prefix.slice(1) } : { kind: 'segment', segment: path.prefix.slice(1, end) }
  }
  return ANY
}

/** Ends every candidate list, so a merge needs no bounds checks: larger than any route index. */
export const END = 0x7fff_ffff

/** A candidate list: ascending route indices followed by `END`. */
export type Candidates = Int32Array

/** The empty candidate list. */
export const NO_CANDIDATES: Candidates = Int32Array.of(END)

function candidates(indices: readonly number[]): Candidates {
  const list = new Int32Array(indices.length + 1)
  list.set(indices)
  list[indices.length] = END
  return list
}

/**
 * Candidate route indices of one host group by first path segment. Every route that can match a
 * path with first segment `s` is in `primary(s)` or in `rest`; the two are disjoint and each
 * ascending, so merging them visits candidates in configuration order. 'any' routes live in
 * `rest` once instead of being copied into every list, which keeps the index linear in size.
 */
export class SegmentIndex {
  readonly #bySegment = new Map<string, Candidates>()
  /** For segments no route names: only 'partial' routes may match them. */
  readonly #unknown: Candidates
  /** The 'any' routes. */
  readonly rest: Candidates

  /** `entries` in ascending index order. */
  constructor(entries: readonly { readonly index: number; readonly key: PathKey }[]) {
    const bySegment = new Map<string, number[]>()
    const partials: { index: number; segment: string }[] = []
    const rest: number[] = []
    for (const { index, key } of entries) {
      if (key.kind === 'any') rest.push(index)
      else if (key.kind === 'partial') partials.push({ index, segment: key.segment })
      else {
        const list = bySegment.get(key.segment)
        if (list === undefined) bySegment.set(key.segment, [index])
        else list.push(index)
      }
    }
    for (const [segment, list] of bySegment) {
      for (const p of partials) if (segment.startsWith(p.segment)) list.push(p.index)
      list.sort((x, y) => x - y)
      this.#bySegment.set(segment, candidates(list))
    }
    this.#unknown = candidates(partials.map((p) => p.index))
    this.rest = candidates(rest)
  }

  /** Routes narrowed to first segment `segment` (`undefined`: the path has no segments). */
  primary(segment: string | undefined): Candidates {
    return segment === undefined ? this.#unknown : (this.#bySegment.get(segment) ?? this.#unknown)
  }
}
