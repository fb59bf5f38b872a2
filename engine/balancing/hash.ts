/**
 * 32-bit hashing for the hash-based balancers: MurmurHash3 (x86, 32-bit) over the UTF-8 bytes of a
 * key, so a string and its UTF-8 encoding hash alike, plus the murmur finaliser as a fast integer mixer.
 */

const encoder = new TextEncoder()

/** MurmurHash3_x86_32 of a string (as UTF-8) or of bytes. Returns an unsigned 32-bit integer. */
export function murmur3(key: string | Uint8Array, seed = 0): number {
  if (typeof key !== 'string') return murmur3Bytes(key, seed)
  // ASCII strings are their own UTF-8: hash the code units directly and skip the encoder.
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 0x7f) return murmur3Bytes(encoder.encode(key), seed)
  }
  return murmur3Ascii(key, seed)
}

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, C2)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

function mixTail(h: number, k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, C2)
  return h ^ k
}

function murmur3Ascii(s: string, seed: number): number {
  const len = s.length
  const blocks = len & ~3
  let h = seed | 0
  for (let i = 0; i < blocks; i += 4) {
    const k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)
    h = mixBlock(h, k)
  }
  const rest = len & 3
  if (rest > 0) {
    let k = s.charCodeAt(blocks)
    if (rest > 1) k |= s.charCodeAt(blocks + 1) << 8
    if (rest > 2) k |= s.charCodeAt(blocks + 2) << 16
    h = mixTail(h, k)
  }
  return fmix32(h ^ len)
}

function murmur3Bytes(b: Uint8Array, seed: number): number {
  const len = b.length
  const blocks = len & ~3
  let h = seed | 0
  for (let i = 0; i < blocks; i += 4) {
    h = mixBlock(h, b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24))
  }
  const rest = len & 3
  if (rest > 0) {
    let k = b[blocks]!
    if (rest > 1) k |= b[blocks + 1]! << 8
    if (rest > 2) k |= b[blocks + 2]! << 16
    h = mixTail(h, k)
  }
  return fmix32(h ^ len)
}

/** MurmurHash3's finaliser: a bijective avalanche mix of a 32-bit integer. Unsigned result. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The 32-bit hash a key-based pick uses: the caller's precomputed hash, else the key's murmur3,
 * else (no key at all) a uniformly random one, as Envoy does for requests without a hash key.
 */
export function pickHash(ctx: { readonly key?: string | Uint8Array; readonly hash?: number } | undefined, random: () => number): number {
  if (ctx !== undefined) {
    if (ctx.hash !== undefined) return ctx.hash >>> 0
    if (ctx.key !== undefined) return murmur3(ctx.key)
  }
  return (random() * 0x1_0000_0000) >>> 0
}
