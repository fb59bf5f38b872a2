import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * True when an `Authorization` header carries the bearer token. Both sides are hashed first so
 * the comparison takes the same time whatever the length or content of what was sent, and
 * `timingSafeEqual` compares the digests without an early exit.
 */
export function bearerTokenMatches(expected: string, authorization: string | undefined): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')
  const sent = m?.[1] ?? ''
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
  // Evaluate the comparison even when nothing was sent, so a missing header costs the same.
  const same = timingSafeEqual(digest(sent), digest(expected))
  return same && m !== null
}

/** Methods that change nothing: answered without the token. */
export function isReadOnlyMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD'
}
