import type { HttpHeader } from './http-head.js'
import { lowerCaseListElements } from './list-tokens.js'

/**
 * Header names (lower case) that describe one connection rather than the message, so a proxy must
 * not forward them (RFC 9110 §7.6.1, plus the non-standard but widespread `proxy-connection`).
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/**
 * Every header name (lower case) a proxy must drop when forwarding `head`: the standard hop-by-hop
 * names plus each option listed in any Connection header. Kept-alive messages list nothing new
 * (no Connection header, or only `keep-alive`/`upgrade`): they share one set instead of allocating
 * one per message, so callers must copy before changing it.
 */
export function hopByHopNames(head: { readonly headers: readonly HttpHeader[] }): ReadonlySet<string> {
  let names: Set<string> | undefined
  for (const { name, value } of head.headers) {
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      for (const option of lowerCaseListElements(value)) {
        if (HOP_BY_HOP.has(option)) continue
        ;(names ??= new Set(HOP_BY_HOP)).add(option)
      }
    }
  }
  return names ?? HOP_BY_HOP
}
