import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../engine/balancing/random.js'
import { drawLatencyMs, latencyMeanMs, standardNormal, type LatencySpec } from '../../../harness/backend/latency-distribution.js'

// Every check compares a sample statistic of N seeded draws with its theoretical value, allowing
// 5 standard errors: the mean within 5·sd/√N, and the fraction of draws at or below the theoretical
// median within 0.5 ± 5·√(0.25/N) (distribution-free). A correct sampler fails with probability
// below 10⁻⁶ per check for an arbitrary seed; with the fixed seed the outcome is reproducible.
const N = 200_000
const SE = 5

const cases: { name: string; spec: LatencySpec; mean: number; sd: number; median: number }[] = [
  { name: 'fixed', spec: { kind: 'fixed', ms: 42 }, mean: 42, sd: 0, median: 42 },
  { name: 'uniform', spec: { kind: 'uniform', minMs: 10, maxMs: 30 }, mean: 20, sd: 20 / Math.sqrt(12), median: 20 },
  { name: 'exponential', spec: { kind: 'exponential', meanMs: 50 }, mean: 50, sd: 50, median: 50 * Math.LN2 },
  {
    name: 'lognormal σ=0.5',
    spec: { kind: 'lognormal', medianMs: 20, sigma: 0.5 },
    mean: 20 * Math.exp(0.125),
    sd: 20 * Math.exp(0.125) * Math.sqrt(Math.exp(0.25) - 1),
    median: 20,
  },
  {
    name: 'lognormal σ=1',
    spec: { kind: 'lognormal', medianMs: 5, sigma: 1 },
    mean: 5 * Math.exp(0.5),
    sd: 5 * Math.exp(0.5) * Math.sqrt(Math.E - 1),
    median: 5,
  },
]

function sample(spec: LatencySpec, seed: number): number[] {
  const random = seededRandom(seed)
  return Array.from({ length: N }, () => drawLatencyMs(spec, random))
}

describe('drawLatencyMs', () => {
  it.each(cases)('$name: sample mean and median match theory', ({ spec, mean, sd, median }) => {
    const xs = sample(spec, 7)
    const sampleMean = xs.reduce((a, b) => a + b, 0) / N
    expect(Math.abs(sampleMean - mean)).toBeLessThanOrEqual((SE * sd) / Math.sqrt(N) + 1e-9)
    if (sd > 0) {
      const below = xs.filter((x) => x <= median).length / N
      expect(Math.abs(below - 0.5)).toBeLessThanOrEqual(SE * Math.sqrt(0.25 / N))
    } else {
      expect(new Set(xs)).toEqual(new Set([median]))
    }
    expect(latencyMeanMs(spec)).toBeCloseTo(mean, 9)
  })

  it('uniform stays within [min, max] and fills it', () => {
    const xs = sample({ kind: 'uniform', minMs: 3, maxMs: 4 }, 11)
    expect(xs.every((x) => x >= 3 && x <= 4)).toBe(true)
    // Each tenth of the interval holds 10% ± 5 standard errors of the draws.
    const bins = new Array<number>(10).fill(0)
    for (const x of xs) bins[Math.min(9, Math.floor((x - 3) * 10))]!++
    for (const b of bins) expect(Math.abs(b / N - 0.1)).toBeLessThanOrEqual(SE * Math.sqrt(0.09 / N))
  })

  it('exponential follows its CDF 1 − e^(−x/mean) at several points', () => {
    const xs = sample({ kind: 'exponential', meanMs: 10 }, 3)
    for (const x of [1, 5, 10, 20, 40]) {
      const p = 1 - Math.exp(-x / 10)
      const observed = xs.filter((v) => v <= x).length / N
      expect(Math.abs(observed - p)).toBeLessThanOrEqual(SE * Math.sqrt((p * (1 - p)) / N))
    }
    expect(xs.every((x) => Number.isFinite(x) && x >= 0)).toBe(true)
  })

  it('log-normal: ln(draw) has mean ln(median) and standard deviation σ', () => {
    const sigma = 0.8
    const logs = sample({ kind: 'lognormal', medianMs: 30, sigma }, 5).map(Math.log)
    const m = logs.reduce((a, b) => a + b, 0) / N
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / (N - 1))
    expect(Math.abs(m - Math.log(30))).toBeLessThanOrEqual((SE * sigma) / Math.sqrt(N))
    // The sample sd of a normal has standard error σ/√(2N).
    expect(Math.abs(sd - sigma)).toBeLessThanOrEqual((SE * sigma) / Math.sqrt(2 * N))
  })

  it('Box–Muller gives a standard normal: mean 0, variance 1, 95% within ±1.96', () => {
    const random = seededRandom(13)
    const zs = Array.from({ length: N }, () => standardNormal(random))
    const mean = zs.reduce((a, b) => a + b, 0) / N
    const variance = zs.reduce((a, b) => a + b * b, 0) / N - mean * mean
    expect(Math.abs(mean)).toBeLessThanOrEqual(SE / Math.sqrt(N))
    expect(Math.abs(variance - 1)).toBeLessThanOrEqual(SE * Math.sqrt(2 / N))
    const inside = zs.filter((z) => Math.abs(z) <= 1.959964).length / N
    expect(Math.abs(inside - 0.95)).toBeLessThanOrEqual(SE * Math.sqrt((0.95 * 0.05) / N))
  })

  it('is reproducible from the seed and differs across seeds', () => {
    const spec: LatencySpec = { kind: 'lognormal', medianMs: 10, sigma: 1 }
    const a = seededRandom(99)
    const b = seededRandom(99)
    const c = seededRandom(100)
    const xa = Array.from({ length: 20 }, () => drawLatencyMs(spec, a))
    expect(Array.from({ length: 20 }, () => drawLatencyMs(spec, b))).toEqual(xa)
    expect(Array.from({ length: 20 }, () => drawLatencyMs(spec, c))).not.toEqual(xa)
  })

  it('degenerate parameters give the degenerate value', () => {
    const random = seededRandom(1)
    expect(drawLatencyMs({ kind: 'uniform', minMs: 7, maxMs: 7 }, random)).toBe(7)
    expect(drawLatencyMs({ kind: 'exponential', meanMs: 0 }, random) === 0).toBe(true)
    expect(drawLatencyMs({ kind: 'lognormal', medianMs: 12, sigma: 0 }, random)).toBe(12)
  })
})
