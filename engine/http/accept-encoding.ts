import { lowerCaseListElements } from './list-tokens.js'

/** A weight (RFC 9110 §12.4.2): 0, 1, or up to three decimals below 1. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/** Accept-Encoding parsed: the weight of each coding named, and of `*` when present. */
interface Weights {
  readonly named: ReadonlyMap<string, number>
  readonly any: number | undefined
}

/** `x-gzip` is gzip (RFC 9110 §8.4.1.3). */
const canonical = (coding: string): string => (coding === 'x-gzip' ? 'gzip' : coding)

function weights(value: string): Weights {
  const named = new Map<string, number>()
  let any: number | undefined
  for (const element of lowerCaseListElements(value)) {
    const [coding = '', ...params] = element.split(';').map((p) => p.trim())
    let q = 1
    let bad = false
    for (const p of params) {
      const eq = p.indexOf('=')
      if (eq < 0 || p.slice(0, eq).trim() !== 'q') continue
      const v = p.slice(eq + 1).trim()
      if (QVALUE.test(v)) q = Number(v)
      else bad = true
    }
    // An element whose weight cannot be read is ignored rather than guessed at.
    if (bad || coding.length === 0) continue
    if (coding === '*') any = q
    else {
      const c = canonical(coding)
      // The first mention of a coding counts, as most servers read it.
      if (!named.has(c)) named.set(c, q)
    }
  }
  return { named, any }
}

/**
 * The content coding to send (RFC 9110 §12.5.3), from `offered` in the server's order of
 * preference, or undefined for none (identity). A coding is acceptable when its weight, named or
 * through `*`, is above 0; the heaviest acceptable one wins, ties going to the earlier in
 * `offered`; identity wins only when `identity` (or `*`) gives it a strictly greater weight, and
 * is what is sent when nothing else is acceptable (always possible: a server may send it even
 * when `identity;q=0` refuses it, rather than a 406). Without the header a client has not asked for a coding: identity (what nginx and HAProxy
 * do, and the safe reading for old clients); an empty header means identity only.
 */
export function negotiateContentCoding<C extends string>(acceptEncoding: string | undefined, offered: readonly C[]): C | undefined {
  if (acceptEncoding === undefined) return undefined
  const w = weights(acceptEncoding)
  let best: C | undefined
  let bestQ = 0
  for (const c of offered) {
    const q = w.named.get(c) ?? w.any ?? 0
    if (q > bestQ) {
      best = c
      bestQ = q
    }
  }
  if (best === undefined) return undefined
  // Unnamed, identity is acceptable but weighs nothing against a coding the client listed.
  const identity = w.named.get('identity') ?? w.any ?? 0
  return identity > bestQ ? undefined : best
}
