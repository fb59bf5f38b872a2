import { HTAB, SP, TCHAR } from './char-classes.js'

const COMMA = 0x2c
const SEMICOLON = 0x3b

/**
 * The value of a Content-Length field line in `buf[start, end)` (already OWS-trimmed), or -1 if it is
 * invalid. `1*DIGIT` only — no sign, no inner spaces, no hex — and at most 2^53−1. A list of values
 * is accepted only when every element is the same number (RFC 9110 §8.6); an empty element is not.
 */
export function contentLengthValue(buf: Buffer, start: number, end: number): number {
  let result = -1
  let pos = start
  for (;;) {
    const digitsStart = pos
    let n = 0
    while (pos < end) {
      const d = buf[pos]! - 0x30
      if (d < 0 || d > 9) break
      n = n * 10 + d
      // Past 2^53 the products are inexact, but they only grow: the first excess is caught here.
      if (n > Number.MAX_SAFE_INTEGER) return -1
      pos++
    }
    if (pos === digitsStart || (result !== -1 && n !== result)) return -1
    result = n
    while (pos < end && (buf[pos] === SP || buf[pos] === HTAB)) pos++
    if (pos === end) return result
    if (buf[pos] !== COMMA) return -1
    pos++
    while (pos < end && (buf[pos] === SP || buf[pos] === HTAB)) pos++
  }
}

/** Transfer-Encoding verdict: chunked is final and applied once, every coding is known. */
export const TE_CHUNKED = 0
/** Transfer-Encoding verdict: chunked is final and applied once, but some other coding is unknown. */
export const TE_CHUNKED_UNKNOWN_CODING = 1
/** Transfer-Encoding verdict: chunked is absent or not final (appearing at most once). */
export const TE_NOT_CHUNKED = 2
/** Transfer-Encoding verdict: not a list of codings, empty, or chunked applied twice or with parameters. */
export const TE_MALFORMED = 3

/** One of the TE_* verdicts. */
export type TransferEncodingVerdict = typeof TE_CHUNKED | typeof TE_CHUNKED_UNKNOWN_CODING | typeof TE_NOT_CHUNKED | typeof TE_MALFORMED

const KNOWN_CODINGS: ReadonlySet<string> = new Set(['chunked', 'gzip', 'deflate', 'compress', 'identity'])

/**
 * Judges a Transfer-Encoding value (all field lines comma-joined): `1#( token *( OWS ";" OWS param ) )`.
 * Parameters are skipped up to the next comma without being interpreted; a quoted comma inside one
 * therefore leaves a malformed element behind, which rejects rather than misreads the list.
 */
export function transferEncodingVerdict(value: string): TransferEncodingVerdict {
  const n = value.length
  let codings = 0
  let chunked = 0
  let chunkedLast = false
  let unknown = false
  let i = 0
  while (i <= n) {
    while (i < n && isOws(value.charCodeAt(i))) i++
    const tokenStart = i
    while (i < n && isTchar(value.charCodeAt(i))) i++
    const tokenEnd = i
    while (i < n && isOws(value.charCodeAt(i))) i++
    const hasParameters = i < n && value.charCodeAt(i) === SEMICOLON
    if (hasParameters) while (i < n && value.charCodeAt(i) !== COMMA) i++
    if (i < n && value.charCodeAt(i) !== COMMA) return TE_MALFORMED
    i++
    if (tokenEnd === tokenStart) {
      if (hasParameters) return TE_MALFORMED
      continue // an empty list element
    }
    codings++
    let coding = value.slice(tokenStart, tokenEnd)
    if (coding !== 'chunked') coding = coding.toLowerCase()
    if (coding === 'chunked') {
      // RFC 9112 §6.1: a sender MUST NOT apply chunked more than once; chunked takes no parameters.
      if (chunked > 0 || hasParameters) return TE_MALFORMED
      chunked++
      chunkedLast = true
    } else {
      chunkedLast = false
      if (!KNOWN_CODINGS.has(coding)) unknown = true
    }
  }
  if (codings === 0) return TE_MALFORMED
  if (!chunkedLast) return TE_NOT_CHUNKED
  return unknown ? TE_CHUNKED_UNKNOWN_CODING : TE_CHUNKED
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB
}

function isTchar(c: number): boolean {
  return c <= 0xff && TCHAR[c] === 1
}
