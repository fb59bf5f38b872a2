import { murmur3 } from '../balancing/hash.js'

/**
 * Sticky sessions by cookie: the proxy sets a cookie holding an opaque token for the backend that
 * served a client and, on later requests, sends the client back to that backend while it is still
 * a member. The token is a keyed hash of the backend id, so ids and addresses never reach clients.
 * It is not a MAC: a client can still present another valid token, which only picks another
 * healthy backend — stickiness is a routing preference, not an access control.
 */

/** Characters in a token: 64 bits in hex, so a collision among 10,000 backends is a ~3·10⁻¹² event. */
export const STICKY_TOKEN_LENGTH = 16

const SEED_LOW = 0x2f1b_5a3d
const SEED_HIGH = 0x6c8e_9b17

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/** The token for `backendId` under `secret`: stable across processes and restarts. */
export function stickyToken(secret: string, backendId: string): string {
  // The NUL keeps (secret 'ab', id 'c') and ('a', 'bc') apart.
  const key = `${secret}\u0000${backendId}`
  return hex8(murmur3(key, SEED_HIGH)) + hex8(murmur3(key, SEED_LOW))
}

/** Tokens for one secret, resolved against whatever membership the caller passes. */
export interface StickyCodec {
  tokenFor(backendId: string): string
  /** The backend among `backendIds` whose token this is, or `undefined`. O(members): prefer a `StickyIndex`. */
  resolve(token: string, backendIds: Iterable<string>): string | undefined
}

/** Creates the token codec for `secret`. */
export function createStickyCodec(secret: string): StickyCodec {
  return {
    tokenFor: (backendId) => stickyToken(secret, backendId),
    resolve(token, backendIds) {
      if (token.length !== STICKY_TOKEN_LENGTH) return undefined
      for (const id of backendIds) if (stickyToken(secret, id) === token) return id
      return undefined
    },
  }
}

/** Token ↔ backend for one membership snapshot; rebuilt when membership changes. */
export interface StickyIndex {
  readonly backendIds: readonly string[]
  /** The member a cookie's token points at, or `undefined` (unknown, forged, or the backend left). */
  backendFor(token: string): string | undefined
  /** The token of a member, or of any id (computed on the fly) when it is not a member. */
  tokenFor(backendId: string): string
}

/**
 * Builds the lookup table for one membership: one hash per member up front, one map lookup per
 * request. Should two ids ever share a token, the lexicographically smaller id keeps it, so the
 * outcome does not depend on member order.
 */
export function createStickyIndex(secret: string, backendIds: Iterable<string>): StickyIndex {
  const ids = [...new Set(backendIds)]
  const byToken = new Map<string, string>()
  const byId = new Map<string, string>()
  for (const id of ids) {
    const token = stickyToken(secret, id)
    byId.set(id, token)
    const holder = byToken.get(token)
    if (holder === undefined || id < holder) byToken.set(token, id)
  }
  return {
    backendIds: ids,
    backendFor: (token) => byToken.get(token),
    tokenFor: (backendId) => byId.get(backendId) ?? stickyToken(secret, backendId),
  }
}
