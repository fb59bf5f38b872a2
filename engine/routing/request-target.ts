/**
 * Reading the parts of an HTTP request-target the router needs, by index arithmetic over the raw
 * string: no URL object, no percent-decoding, a substring only for the part asked for.
 *
 * Forms (RFC 9112 §3.2): origin-form '/p?q' (the common case), absolute-form 'http://h:80/p?q'
 * (sent to proxies), asterisk-form '*' and authority-form 'h:443' (CONNECT), which have no path.
 */

const SLASH = 0x2f
const QUESTION = 0x3f
const HASH = 0x23

/**
 * Where the path of `target` starts, or -1 when the target has no path. For absolute-form, that
 * is the first '/', '?' or '#' after the authority; an empty path then reads as '/'.
 */
function pathStart(target: string): number {
  if (target.charCodeAt(0) === SLASH) return 0
  const authority = authorityStart(target)
  if (authority < 0) return -1
  for (let i = authority; i < target.length; i++) {
    const c = target.charCodeAt(i)
    if (c === SLASH || c === QUESTION || c === HASH) return i
  }
  return target.length
}

/** Index just after 'scheme://' for an absolute-form target, else -1. */
function authorityStart(target: string): number {
  const sep = target.indexOf('://')
  if (sep <= 0) return -1
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) — anything else is not absolute-form.
  for (let i = 0; i < sep; i++) {
    const c = target.charCodeAt(i) | 0x20
    const alpha = c >= 0x61 && c <= 0x7a
    if (!alpha && (i === 0 || !((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e))) return -1
  }
  return sep + 3
}

/** Index of the first '?' or '#' at or after `from`, else the length. */
function pathEnd(target: string, from: number): number {
  for (let i = from; i < target.length; i++) {
    const c = target.charCodeAt(i)
    if (c === QUESTION || c === HASH) return i
  }
  return target.length
}

/**
 * The raw path of a request-target, without query string or fragment and not percent-decoded:
 * '/a/b?x=1' → '/a/b', 'http://h:8080/a?x' → '/a', 'http://h' → '/', '*' → '*', and '' for the
 * authority-form of CONNECT. Returns `target` itself (no copy) when it is a bare origin-form path.
 */
export function requestPath(target: string): string {
  const start = pathStart(target)
  if (start < 0) return target === '*' ? '*' : ''
  const end = pathEnd(target, start)
  if (start === end) return '/'
  return start === 0 && end === target.length ? target : target.slice(start, end)
}

/**
 * The host[:port] of an absolute-form target (userinfo dropped), which RFC 9112 §3.2.2 says a
 * server must use instead of the Host header; `undefined` for every other form.
 */
export function targetAuthority(target: string): string | undefined {
  if (target.charCodeAt(0) === SLASH) return undefined
  const start = authorityStart(target)
  if (start < 0) return undefined
  let end = start
  let hostStart = start
  for (; end < target.length; end++) {
    const c = target.charCodeAt(end)
    if (c === SLASH || c === QUESTION || c === HASH) break
    if (c === 0x40) hostStart = end + 1 // '@' ends userinfo
  }
  return target.slice(hostStart, end)
}

/**
 * The first value of query parameter `name` (case-sensitive), raw: not percent-decoded and '+'
 * left as is, consistently with path matching. A parameter without '=' ('?debug') has value ''.
 * `undefined` when absent. The query runs from the first '?' to the next '#' (RFC 3986 §3.4): a
 * '?' inside a fragment starts none. A parameter's name ends at its first '=', so a name holding
 * '=' is never present.
 */
export function queryParam(target: string, name: string): string | undefined {
  const q = target.indexOf('?')
  if (q < 0 || name.includes('=')) return undefined
  let end = target.indexOf('#')
  if (end >= 0 && end < q) return undefined
  if (end < 0) end = target.length
  let i = q + 1
  while (i <= end) {
    let amp = target.indexOf('&', i)
    if (amp < 0 || amp > end) amp = end
    const nameEnd = i + name.length
    if (nameEnd <= amp && target.startsWith(name, i)) {
      if (nameEnd === amp) return ''
      if (target.charCodeAt(nameEnd) === 0x3d) return target.slice(nameEnd + 1, amp)
    }
    i = amp + 1
  }
  return undefined
}
