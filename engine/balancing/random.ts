/**
 * A seeded pseudo-random source: sfc32 (Chris Doty-Humphrey's small fast counting generator),
 * seeded through splitmix32 so nearby seeds give unrelated streams. Passes PractRand to 2^40+ bytes
 * and is a few nanoseconds a draw — good enough for balancing decisions and simulation.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x9e3779b9) | 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
    return (z ^ (z >>> 15)) >>> 0
  }
  let a = next()
  let b = next()
  let c = next()
  let d = 1
  const random = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  // Discard the first outputs: sfc32's state needs a few rounds to mix.
  for (let i = 0; i < 12; i++) random()
  return random
}
