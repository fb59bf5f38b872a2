import { describe, expect, it } from 'vitest'
import { defaultGateOptions, resolveGateOptions, type ResolvedGateOptions } from '../../../reports/compare/comparison.js'
import { decideMetric, formatP, type MetricSamples } from '../../../reports/compare/metric-decision.js'
import { metricDefinition, type Metric } from '../../../reports/compare/metrics.js'

function decide(metric: Metric, baseline: number[], current: number[], options: ResolvedGateOptions = defaultGateOptions, noisyRuns = 0) {
  const samples: MetricSamples = { baseline, current, noisyRuns, totalRuns: baseline.length + current.length }
  return decideMetric(metricDefinition(metric), samples, options)
}

// Five untied values a side, completely separated: the exact two-sided p is 2/C(10,5) = 2/252.
const SEPARATED_P = 2 / 252

describe('decideMetric: test and minimum change together', () => {
  it('counts a significant change beyond the minimum, naming the test and its p-value', () => {
    // Medians 100 → 125: +25 % against the 20 % minimum of p99.
    const d = decide('p99', [98, 99, 100, 101, 102], [123, 124, 125, 126, 127])
    expect(d.verdict).toBe('regression')
    expect(d.relativeChange).toBeCloseTo(0.25, 12)
    expect(d.difference).toBeCloseTo(25, 12)
    expect(d.pValue).toBeCloseTo(SEPARATED_P, 12)
    expect(d.reason).toContain('+25.0%')
    expect(d.reason).toContain('Mann-Whitney')
    expect(d.reason).toContain(`p = ${formatP(SEPARATED_P)}`)
    expect(d.reason).toContain('0.0079')
  })

  it('needs the change to exceed the minimum: exactly the minimum is not enough', () => {
    // 120/100 − 1 is exactly 0.2 in binary floating point too, and p is as small as 5 vs 5 allows.
    const atMinimum = decide('p99', [98, 99, 100, 101, 102], [118, 119, 120, 121, 122])
    expect(atMinimum.pValue).toBeCloseTo(SEPARATED_P, 12)
    expect(atMinimum.verdict).toBe('unchanged')
    expect(atMinimum.reason).toMatch(/within the 20% minimum/)
    expect(decide('p99', [98, 99, 100, 101, 102], [118, 119, 120.5, 121, 122]).verdict).toBe('regression')
  })

  it('does not count a change beyond the minimum that the test cannot tell from noise', () => {
    // Medians 100 → 120 (+20 % against the 10 % minimum of p50), but the samples overlap:
    // U = 8, P(U ≤ 8) = 53/252 for 5 vs 5, so p = 106/252 ≈ 0.42 (SciPy 1.17 agrees).
    const d = decide('p50', [70, 90, 100, 110, 130], [80, 105, 120, 125, 150])
    expect(d.pValue).toBeCloseTo(106 / 252, 12)
    expect(d.verdict).toBe('unchanged')
    expect(d.reason).toMatch(/\+20\.0% but not significant \(Mann-Whitney p = 0\.42 ≥ 0\.05\)/)
  })

  it('does not count a significant change below the minimum', () => {
    // +3 % with no overlap at all: real, but too small to matter for p50 (10 %).
    const d = decide('p50', [99, 99.5, 100, 100.5, 101], [102, 102.5, 103, 103.5, 104])
    expect(d.pValue).toBeCloseTo(SEPARATED_P, 12)
    expect(d.verdict).toBe('unchanged')
    expect(d.reason).toMatch(/\+3\.0% within the 10% minimum/)
  })

  it.each([
    // metric, baseline, current, verdict: throughput is better higher, latency and CPU lower.
    ['rps', [980, 990, 1000, 1010, 1020], [1180, 1190, 1200, 1210, 1220], 'improvement'],
    ['rps', [980, 990, 1000, 1010, 1020], [780, 790, 800, 810, 820], 'regression'],
    ['p50', [98, 99, 100, 101, 102], [78, 79, 80, 81, 82], 'improvement'],
    ['p999', [98, 99, 100, 101, 102], [148, 149, 150, 151, 152], 'regression'],
    ['balancerCpu', [9.8, 9.9, 10, 10.1, 10.2], [11.8, 11.9, 12, 12.1, 12.2], 'regression'],
    ['balancerCpu', [9.8, 9.9, 10, 10.1, 10.2], [7.8, 7.9, 8, 8.1, 8.2], 'improvement'],
  ] as const)('judges %s %j → %j as %s', (metric, baseline, current, verdict) => {
    expect(decide(metric, [...baseline], [...current]).verdict).toBe(verdict)
  })

  it('measures the error rate in percentage points', () => {
    // Medians 0.1 % → 3.1 %: +3 pp, beyond the 1 pp minimum and completely separated.
    const d = decide('errorRate', [0.0009, 0.00095, 0.001, 0.00105, 0.0011], [0.0309, 0.03095, 0.031, 0.03105, 0.0311])
    expect(d.verdict).toBe('regression')
    expect(d.difference).toBeCloseTo(0.03, 12)
    expect(d.reason).toMatch(/^\+3\.00 pp beyond the 1 pp minimum/)
    // A 30-fold relative increase is still only +0.29 pp: below the minimum.
    const small = decide('errorRate', [0.0001, 0.0001, 0.0001, 0.0001, 0.0001], [0.003, 0.003, 0.003, 0.003, 0.003])
    expect(small.verdict).toBe('unchanged')
    expect(small.reason).toMatch(/^\+0\.29 pp within the 1 pp minimum/)
  })

  it('reports a change from a zero baseline without a relative change', () => {
    const d = decide('balancerCpu', [0, 0, 0, 0, 0], [5, 6, 7, 8, 9])
    expect(d.relativeChange).toBeNull()
    expect(d.verdict).toBe('regression')
    expect(d.reason).toMatch(/^from 0 to /)
    expect(d.ratioInterval).toBeUndefined()
  })

  it('honours the options: alpha and per-metric minimum changes', () => {
    const baseline = [98, 99, 100, 101, 102]
    const current = [113, 114, 115, 116, 117]
    expect(decide('p99', baseline, current).verdict).toBe('unchanged')
    expect(decide('p99', baseline, current, resolveGateOptions({ minChange: { p99: 0.1 } })).verdict).toBe('regression')
    // p = 2/252 ≈ 0.0079 is not below 0.005.
    expect(decide('p99', baseline, current, resolveGateOptions({ minChange: { p99: 0.1 }, alpha: 0.005 })).verdict).toBe('unchanged')
  })
})

describe('decideMetric: too few repeats for a test', () => {
  it('uses only the threshold (factor × minimum) without repeats', () => {
    const small = decide('p99', [100], [150])
    expect(small.verdict).toBe('unchanged')
    expect(small.pValue).toBeUndefined()
    expect(small.reason).toBe('+50.0% within 3 × 20% = 60%; no repeats: threshold only')
    const large = decide('p99', [100], [170])
    expect(large.verdict).toBe('regression')
    expect(large.reason).toBe('+70.0% beyond 3 × 20% = 60%; no repeats: threshold only')
  })

  it('says so when one side has fewer than the minimum repeats', () => {
    const d = decide('rps', [1000, 1010], [800, 790, 810, 805, 795])
    expect(d.verdict).toBe('regression')
    expect(d.pValue).toBeUndefined()
    expect(d.reason).toMatch(/2 vs 5 repeats, too few for a test: threshold only$/)
  })

  it('falls back to the threshold when even complete separation cannot reach alpha (3 vs 3)', () => {
    // Three a side: the smallest possible p is 2/C(6,3) = 0.1, so p < 0.05 is impossible.
    const d = decide('p99', [99, 100, 101], [129, 130, 131])
    expect(d.pValue).toBeCloseTo(0.1, 12)
    expect(d.verdict).toBe('unchanged')
    expect(d.reason).toMatch(/\+30\.0% within 3 × 20% = 60%; 3 vs 3 repeats cannot reach p < 0\.05: threshold only/)
    expect(decide('p99', [99, 100, 101], [169, 170, 171]).verdict).toBe('regression')
  })

  it('falls back to the threshold at alpha = 0.1 too: p = 0.1 is not below 0.1', () => {
    const options = resolveGateOptions({ alpha: 0.1 })
    const d = decide('p99', [99, 100, 101], [169, 170, 171], options)
    expect(d.verdict).toBe('regression')
    expect(d.reason).toMatch(/3 vs 3 repeats cannot reach p < 0\.1: threshold only/)
  })

  it('uses the test as soon as it can reject (4 vs 4: smallest p = 2/70)', () => {
    const d = decide('p99', [98, 99, 100, 101], [128, 129, 130, 131])
    expect(d.pValue).toBeCloseTo(2 / 70, 12)
    expect(d.verdict).toBe('regression')
    expect(d.reason).toMatch(/Mann-Whitney p = 0\.029 < 0\.05/)
  })
})

describe('decideMetric: noisy host', () => {
  it('turns a regression into inconclusive under heavy CPU steal, keeping the reason', () => {
    const d = decide('p99', [98, 99, 100, 101, 102], [148, 149, 150, 151, 152], defaultGateOptions, 2)
    expect(d.verdict).toBe('inconclusive')
    expect(d.reason).toMatch(/^inconclusive \(noisy host\): heavy CPU steal in 2 of 10 runs; otherwise a regression: \+50\.0% beyond/)
  })

  it('turns an improvement into inconclusive too', () => {
    const d = decide('rps', [980, 990, 1000, 1010, 1020], [1480, 1490, 1500, 1510, 1520], defaultGateOptions, 1)
    expect(d.verdict).toBe('inconclusive')
    expect(d.reason).toContain('otherwise an improvement')
  })

  it('leaves an unchanged metric unchanged', () => {
    expect(decide('p99', [98, 99, 100, 101, 102], [99, 100, 101, 102, 103], defaultGateOptions, 10).verdict).toBe('unchanged')
  })
})

describe('decideMetric: what the row carries', () => {
  it('gives the medians with their spread and a bootstrap interval of their ratio', () => {
    const d = decide('p99', [102, 98, 100, 101, 99], [150, 149, 151, 148, 152])
    expect(d.baseline).toMatchObject({ median: 100, min: 98, max: 102 })
    expect(d.current).toMatchObject({ median: 150, min: 148, max: 152 })
    // Every resampled ratio lies between 148/102 and 152/98.
    expect(d.ratioInterval!.lower).toBeGreaterThanOrEqual(148 / 102)
    expect(d.ratioInterval!.upper).toBeLessThanOrEqual(152 / 98)
    expect(d.ratioInterval!.confidence).toBe(0.95)
  })

  it('has no interval for the error rate (points) or for a single value a side', () => {
    expect(decide('errorRate', [0.01, 0.02], [0.01, 0.02]).ratioInterval).toBeUndefined()
    expect(decide('p99', [100], [120]).ratioInterval).toBeUndefined()
  })

  it('draws the interval from the seed in the options', () => {
    const baseline = [90, 95, 100, 104, 111]
    const current = [101, 117, 120, 126, 131]
    const a = decide('p99', baseline, current, resolveGateOptions({ seed: 1 }))
    expect(decide('p99', baseline, current, resolveGateOptions({ seed: 1 })).ratioInterval).toEqual(a.ratioInterval)
  })
})

describe('formatP', () => {
  it.each([
    [1, '1.0'],
    [0.42063, '0.42'],
    [2 / 252, '0.0079'],
    [0.001, '0.0010'],
    [0.00067, '6.7e-4'],
  ])('formats %f as %s', (p, text) => {
    expect(formatP(p)).toBe(text)
  })
})
