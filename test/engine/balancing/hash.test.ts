import { describe, expect, it } from 'vitest'
import { fmix32, murmur3, pickHash } from '../../../engine/balancing/hash.js'
import { seededRandom } from '../../../engine/balancing/random.js'
import { chiSquareTest } from '../../../reports/statistics/chi-square.js'

describe('murmur3 (x86, 32-bit)', () => {
  // Reference vectors of MurmurHash3_x86_32 (SMHasher's implementation).
  it.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aa', 0x9747b28c, 0x5d211726],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('murmur3(%j, %i) = %i', (key, seed, expected) => {
    expect(murmur3(key, seed)).toBe(expected)
    expect(murmur3(new TextEncoder().encode(key), seed)).toBe(expected)
  })

  it('hashes a string as its UTF-8 bytes', () => {
    for (const s of ['π', 'naïve café', '東京', '🙂 emoji']) expect(murmur3(s)).toBe(murmur3(new TextEncoder().encode(s)))
  })

  it('spreads client addresses evenly over 64 buckets (χ²)', () => {
    const counts = new Array<number>(64).fill(0)
    for (let i = 0; i < 64_000; i++) counts[murmur3(`192.168.${i >> 8}.${i & 255}`) >>> 26]!++
    expect(chiSquareTest(counts, counts.map(() => 1)).pValue).toBeGreaterThan(0.001)
  })

  it('fmix32 is a bijection on a sample and avalanches (one input bit flips ~half the output bits)', () => {
    const random = seededRandom(5)
    let flipped = 0
    const trials = 20_000
    for (let t = 0; t < trials; t++) {
      const x = Math.floor(random() * 2 ** 32)
      const bit = 1 << Math.floor(random() * 32)
      let d = (fmix32(x) ^ fmix32((x ^ bit) >>> 0)) >>> 0
      while (d) {
        flipped += d & 1
        d >>>= 1
      }
    }
    expect(flipped / trials).toBeGreaterThan(15.5)
    expect(flipped / trials).toBeLessThan(16.5)
  })

  it('uses a precomputed hash first, then the key, else a random hash', () => {
    const random = seededRandom(1)
    expect(pickHash({ hash: 42, key: 'x' }, random)).toBe(42)
    expect(pickHash({ key: 'x' }, random)).toBe(murmur3('x'))
    const r = pickHash(undefined, seededRandom(3))
    expect(r).toBe(Math.floor(seededRandom(3)() * 2 ** 32))
  })
})
