import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../engine/balancing/random.js'
import { arrivalStream, parseTrace } from '../../harness/simulator/arrival-process.js'
import { zipfSampler } from '../../harness/simulator/zipf.js'

// Statistical checks allow 5 standard errors: a correct generator fails one with probability
// below 1e-6 for an arbitrary seed; the seeds are fixed, so the outcome is reproducible.
const SE = 5

describe('arrival processes', () => {
  it('poisson: exponential gaps with mean 1/rate (mean and the share of gaps above the mean)', () => {
    const n = 200_000
    const next = arrivalStream({ kind: 'poisson', rate: 1000 }, seededRandom(1), 0)
    let prev = 0
    let sum = 0
    let above = 0
    for (let i = 0; i < n; i++) {
      const t = next()
      const gap = t - prev
      prev = t
      sum += gap
      if (gap > 1000) above++
    }
    // Mean gap 1000 µs, sd 1000 µs; P(gap > mean) = e^-1.
    expect(Math.abs(sum / n - 1000)).toBeLessThan((SE * 1000) / Math.sqrt(n))
    const p = Math.exp(-1)
    expect(Math.abs(above / n - p)).toBeLessThan(SE * Math.sqrt((p * (1 - p)) / n))
  })

  it('constant: the k-th send at start + k/rate exactly, without drift', () => {
    const next = arrivalStream({ kind: 'constant', rate: 3 }, seededRandom(1), 500)
    const times = Array.from({ length: 1_000_000 }, next)
    expect(times[0]).toBe(500)
    expect(times[3]).toBeCloseTo(500 + 1e6, 6)
    expect(times[999_999]).toBeCloseTo(500 + (999_999 * 1e6) / 3, 3)
  })

  it('bursty: nothing during off periods, the long-run mean rate kept', () => {
    for (const within of ['poisson', 'constant'] as const) {
      const next = arrivalStream({ kind: 'bursty', rate: 1000, onUs: 100_000, offUs: 300_000, within }, seededRandom(2), 0)
      let count = 0
      let t = 0
      while ((t = next()) < 100e6) {
        count++
        expect(t % 400_000).toBeLessThan(100_000)
      }
      // 100 s at a mean of 1000/s; the Poisson count's sd is √100000 ≈ 316.
      expect(Math.abs(count - 100_000)).toBeLessThan(SE * 316)
    }
  })

  it('replay: the trace scaled by speed; looping repeats it every span + mean gap; else it ends', () => {
    const offsets = Float64Array.of(0, 1000, 3000)
    const once = arrivalStream({ kind: 'replay', offsetsUs: offsets, speed: 2, loop: false }, seededRandom(1), 10)
    expect([once(), once(), once(), once()]).toEqual([10, 510, 1510, Infinity])
    const looped = arrivalStream({ kind: 'replay', offsetsUs: offsets, speed: 1, loop: true }, seededRandom(1), 0)
    expect(Array.from({ length: 7 }, looped)).toEqual([0, 1000, 3000, 4500, 5500, 7500, 9000])
  })

  it('parses traces: ms per line, first CSV column, comments, a header; reports bad lines', () => {
    const ok = parseTrace('time_ms,client\n# a comment\n0,a\n1.5,b\n\n1.5\n20 # late\n')
    expect(ok.problems).toEqual([])
    expect([...ok.offsetsUs]).toEqual([0, 1500, 1500, 20_000])
    const bad = parseTrace('0\n5\n3\nx\n-1\n')
    expect(bad.problems).toEqual(['line 3: 3 ms comes before 5 ms (times must not decrease)', 'line 4: "x" is not a time in ms', 'line 5: -1 ms is negative'])
    expect(parseTrace('# nothing\n').problems).toEqual(['the trace holds no send times'])
  })
})

describe('zipfSampler', () => {
  it('draws key k with probability ∝ 1/k^s (χ²-style check on the head, range on the tail)', () => {
    const n = 1000
    const s = 1.1
    const draw = zipfSampler(n, s, seededRandom(5))
    const draws = 300_000
    const counts = new Float64Array(n + 1)
    for (let i = 0; i < draws; i++) {
      const k = draw()
      expect(k >= 1 && k <= n).toBe(true)
      counts[k]! += 1
    }
    let norm = 0
    for (let k = 1; k <= n; k++) norm += k ** -s
    for (const k of [1, 2, 3, 10, 100]) {
      const p = k ** -s / norm
      expect(Math.abs(counts[k]! / draws - p)).toBeLessThan(SE * Math.sqrt((p * (1 - p)) / draws))
    }
  })

  it('exponent 0 is uniform', () => {
    const draw = zipfSampler(10, 0, seededRandom(1))
    const seen = new Set(Array.from({ length: 1000 }, draw))
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })
})
