import { HOST } from './char-classes.js'

const COLON = 0x3a
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/**
 * True if `buf[start, end)` is `uri-host [":" port]` (RFC 3986 §3.2): an IP-literal in brackets, or
 * a reg-name / IPv4 address of unreserved, sub-delim and `%` characters, then an optional decimal
 * port. With `requirePort` the port must be present and non-empty (CONNECT's authority-form). An
 * empty region is a valid (empty) Host value. Userinfo is not accepted: RFC 9110 §4.2.4 deprecates
 * it, and `@` in a Host value is a classic confusion vector. Works on bytes, where the head already
 * is, rather than on the decoded string.
 */
export function isHostPort(buf: Buffer, start: number, end: number, requirePort: boolean): boolean {
  let i = start
  if (i < end && buf[i] === OPEN_BRACKET) {
    const close = buf.indexOf(CLOSE_BRACKET, i)
    if (close < i + 2 || close >= end) return false
    // IPv6 hex, dots, colons, and IPvFuture's `v` plus sub-delims are all in HOST; brackets are not.
    for (i++; i < close; i++) if (HOST[buf[i]!] !== 1 || buf[i] === OPEN_BRACKET) return false
    i = close + 1
  } else {
    while (i < end) {
      const b = buf[i]!
      if (b === COLON) break
      if (HOST[b] !== 1 || b === OPEN_BRACKET || b === CLOSE_BRACKET) return false
      i++
    }
    // An empty host is allowed only as a whole (an empty Host value), never before a port.
    if (i === start && (requirePort || end > start)) return false
  }
  if (i === end) return !requirePort
  if (buf[i] !== COLON) return false
  i++
  if (requirePort && i === end) return false
  for (; i < end; i++) {
    const b = buf[i]!
    if (b < 0x30 || b > 0x39) return false
  }
  return true
}
