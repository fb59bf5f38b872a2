import { describe, expect, it } from 'vitest'
import { compareResults, gateFails, hasFailure, hasRegression, type Comparison, type ComparisonRow, type GateOptions } from '../../../reports/compare/index.js'
import type { Metric } from '../../../reports/compare/metrics.js'
import { syntheticResult, syntheticValues, type SyntheticVariant } from '../../helpers/synthetic-results.js'

/** The middle value of an odd count: the median both sides of the comparison report. */
function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[(sorted.length - 1) / 2]!
}

/** One scenario with one variant on each side. */
function compareVariant(baseline: SyntheticVariant, current: SyntheticVariant, options?: GateOptions): Comparison {
  return compareResults([syntheticResult({ name: 'steady', variants: [baseline] })], [syntheticResult({ name: 'steady', variants: [current] })], options)
}

function rowOf(c: Comparison, metric: Metric, variant = ''): ComparisonRow {
  const row = c.rows.find((r) => r.metric === metric && r.variant === variant)
  if (row === undefined) throw new Error(`no ${metric} row for variant '${variant}'`)
  return row
}

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1)
// Seeds of the two sides never coincide: the same seed would draw the same noise.
const sides = (seed: number) => ({ baseline: 1000 + seed, current: 2000 + seed })

describe('compareResults on synthetic results: known effect, known noise', () => {
  it('finds a 20% p99 increase with 2% noise a regression, naming the test and p', () => {
    const { baseline, current } = sides(1)
    const before: SyntheticVariant = { seed: baseline, p99Us: 4000 }
    const after: SyntheticVariant = { seed: current, p99Us: 4800 }
    // The default p99 minimum is itself 20 %, which a true +20 % straddles; 10 % asks the question cleanly.
    const c = compareVariant(before, after, { minChange: { p99: 0.1 } })
    const row = rowOf(c, 'p99')
    const b = syntheticValues(before, 'p99Us')
    const a = syntheticValues(after, 'p99Us')
    // With 2 % noise the two sides do not overlap, so the exact test gives its smallest p, 2/252.
    expect(Math.max(...b)).toBeLessThan(Math.min(...a))
    expect(row.verdict).toBe('regression')
    expect(row.pValue).toBeCloseTo(2 / 252, 12)
    expect(row.relativeChange).toBeCloseTo(middle(a) / middle(b) - 1, 12)
    expect(row.reason).toContain('Mann-Whitney p = 0.0079 < 0.05')
    expect(row.reason).toContain(`+${((middle(a) / middle(b) - 1) * 100).toFixed(1)}%`)
    expect(row.ratioInterval!.lower).toBeGreaterThan(1)
    expect(hasRegression(c)).toBe(true)
  })

  it('finds it whatever the noise draw: a regression for every one of 40 seeds', () => {
    for (const seed of SEEDS) {
      const { baseline, current } = sides(seed)
      const c = compareVariant({ seed: baseline, p99Us: 4000 }, { seed: current, p99Us: 4800 }, { minChange: { p99: 0.1 } })
      expect(rowOf(c, 'p99').verdict, `seed ${seed}`).toBe('regression')
    }
  })

  it('leaves a 3% change with 2% noise unchanged for every seed', () => {
    // The median ratio wanders by about 2 % · 1.25/√5 · √2 ≈ 1.6 % around +3 %: far from the 10 % minimum of p50.
    for (const seed of SEEDS) {
      const { baseline, current } = sides(seed)
      const c = compareVariant({ seed: baseline, p50Us: 1000, p99Us: 4000 }, { seed: current, p50Us: 1030, p99Us: 4120 })
      for (const metric of ['p50', 'p99'] as const) {
        const row = rowOf(c, metric)
        expect(row.verdict, `seed ${seed} ${metric}`).toBe('unchanged')
        expect(row.reason).toMatch(/within the (10|20)% minimum/)
      }
    }
  })

  it('does not call a 20% change with 30% noise a regression unless the test says so', () => {
    // With five runs a side and d = ln 1.2 / 0.3 ≈ 0.6, Noether's approximation puts the test's power
    // near 15 %: most draws must stay unchanged, and a draw flagged must be significant.
    let flagged = 0
    let noise = 0
    for (const seed of SEEDS) {
      const { baseline, current } = sides(seed)
      const row = rowOf(compareVariant({ seed: baseline, noise: 0.3, p99Us: 4000 }, { seed: current, noise: 0.3, p99Us: 4800 }, { minChange: { p99: 0.1 } }), 'p99')
      expect(['regression', 'unchanged', 'improvement']).toContain(row.verdict)
      if (row.verdict === 'regression') {
        flagged++
        expect(row.pValue!).toBeLessThan(0.05)
      }
      if (/but not significant/.test(row.reason)) noise++
    }
    expect(flagged / SEEDS.length).toBeLessThan(1 / 3)
    // The median moved beyond the minimum in many draws: only the test kept them from being flagged.
    expect(noise).toBeGreaterThan(flagged)
  })

  it('finds no regressions at all between two draws of the same thing', () => {
    for (const seed of SEEDS) {
      const { baseline, current } = sides(seed)
      expect(hasRegression(compareVariant({ seed: baseline }, { seed: current })), `seed ${seed}`).toBe(false)
    }
  })

  it('calls a throughput increase an improvement, not a regression', () => {
    const { baseline, current } = sides(2)
    const c = compareVariant({ seed: baseline, rps: 10_000 }, { seed: current, rps: 12_000 })
    const row = rowOf(c, 'rps')
    expect(row.verdict).toBe('improvement')
    expect(row.relativeChange).toBeGreaterThan(0.05)
    expect(hasRegression(c)).toBe(false)
  })

  it('calls a throughput drop a regression', () => {
    const { baseline, current } = sides(3)
    expect(rowOf(compareVariant({ seed: baseline, rps: 10_000 }, { seed: current, rps: 8_000 }), 'rps').verdict).toBe('regression')
  })

  it('measures an error-rate change in percentage points', () => {
    const { baseline, current } = sides(4)
    const before: SyntheticVariant = { seed: baseline, errorRate: 0.001 }
    const after: SyntheticVariant = { seed: current, errorRate: 0.03 }
    const row = rowOf(compareVariant(before, after), 'errorRate')
    // The runs' own rates are failed/sent of whole request counts: read them from the runs.
    const rate = (v: SyntheticVariant) => syntheticResult({ name: 'steady', variants: [v] }).runs.map((r) => r.summary.requests.failed / r.summary.requests.sent)
    const points = (middle(rate(after)) - middle(rate(before))) * 100
    expect(points).toBeGreaterThan(2.5)
    expect(row.verdict).toBe('regression')
    expect(row.difference! * 100).toBeCloseTo(points, 9)
    expect(row.reason).toMatch(new RegExp(`^\\+${points.toFixed(2).replace('.', '\\.')} pp beyond the 1 pp minimum`))
    // Half a point is below the 1 pp minimum however significant.
    expect(rowOf(compareVariant(before, { seed: current, errorRate: 0.006 }), 'errorRate').verdict).toBe('unchanged')
  })

  it('makes a change measured under heavy CPU steal inconclusive', () => {
    const { baseline, current } = sides(5)
    const c = compareVariant({ seed: baseline }, { seed: current, p99Us: 8000, rps: 15_000, heavySteal: 2 })
    expect(rowOf(c, 'p99').verdict).toBe('inconclusive')
    expect(rowOf(c, 'p99').reason).toContain('heavy CPU steal in 2 of 10 runs; otherwise a regression')
    expect(rowOf(c, 'rps').verdict).toBe('inconclusive')
    expect(rowOf(c, 'rps').reason).toContain('otherwise an improvement')
    expect(hasRegression(c)).toBe(false)
  })

  it('judges by the threshold alone with one run a side', () => {
    const { baseline, current } = sides(6)
    const modest = compareVariant({ seed: baseline, repeats: 1 }, { seed: current, repeats: 1, p99Us: 4800 })
    expect(rowOf(modest, 'p99').verdict).toBe('unchanged')
    expect(rowOf(modest, 'p99').pValue).toBeUndefined()
    expect(rowOf(modest, 'p99').reason).toMatch(/within 3 × 20% = 60%; no repeats: threshold only$/)
    const large = compareVariant({ seed: baseline, repeats: 1 }, { seed: current, repeats: 1, p99Us: 8000 })
    expect(rowOf(large, 'p99').verdict).toBe('regression')
    expect(rowOf(large, 'p99').reason).toMatch(/beyond 3 × 20% = 60%; no repeats: threshold only$/)
  })

  it('leaves out a metric one side did not measure', () => {
    const { baseline, current } = sides(7)
    const c = compareVariant({ seed: baseline }, { seed: current, balancerCpuUs: null })
    expect(c.rows.map((r) => r.metric)).toEqual(['rps', 'p50', 'p99', 'p999', 'errorRate'])
  })
})

describe('compareResults: matching scenarios and variants', () => {
  const engine = { variant: { balancer: 'engine', fault: 'dead' } }
  const haproxy = { variant: { balancer: 'haproxy', fault: 'dead' } }

  it('reports variants and scenarios on one side only as new or missing, never as regressions', () => {
    const before = [syntheticResult({ name: 'failover', variants: [{ ...engine, seed: 1 }, { ...haproxy, seed: 2 }] }), syntheticResult({ name: 'retired', variants: [{ seed: 3 }] })]
    // The new variant and scenario are ten times slower: with nothing to compare them with, that is no regression.
    const after = [
      syntheticResult({ name: 'failover', variants: [{ ...engine, seed: 4 }, { variant: { balancer: 'nginx', fault: 'dead' }, seed: 5, p99Us: 40_000 }] }),
      syntheticResult({ name: 'fresh', variants: [{ seed: 6, p99Us: 40_000 }] }),
    ]
    const c = compareResults(before, after)
    const whole = c.rows.filter((r) => r.metric === null)
    expect(whole).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scenario: 'failover', variant: 'balancer=nginx fault=dead', verdict: 'new' }),
        expect.objectContaining({ scenario: 'failover', variant: 'balancer=haproxy fault=dead', verdict: 'missing' }),
        expect.objectContaining({ scenario: 'fresh', variant: null, verdict: 'new' }),
        expect.objectContaining({ scenario: 'retired', variant: null, verdict: 'missing' }),
      ]),
    )
    expect(whole).toHaveLength(4)
    // Only the variant on both sides is compared metric by metric.
    expect(new Set(c.rows.filter((r) => r.metric !== null).map((r) => `${r.scenario}/${r.variant}`))).toEqual(new Set(['failover/balancer=engine fault=dead']))
    expect(hasRegression(c)).toBe(false)
  })

  it('matches variants whatever the order of their labels', () => {
    const before = syntheticResult({ name: 'failover', variants: [{ variant: { balancer: 'engine', fault: 'dead' }, seed: 1 }] })
    const after = syntheticResult({ name: 'failover', variants: [{ variant: { fault: 'dead', balancer: 'engine' }, seed: 2 }] })
    const c = compareResults([before], [after])
    expect(c.rows.filter((r) => r.verdict === 'new' || r.verdict === 'missing')).toEqual([])
    expect(c.rows).toHaveLength(6)
    // The key shown is the current results' own.
    expect(new Set(c.rows.map((r) => r.variant))).toEqual(new Set(['fault=dead balancer=engine']))
  })

  it('tells a variant skipped now, skipped in the baseline, and skipped on both sides apart', () => {
    const before = syntheticResult({ name: 's', variants: [{ variant: { peer: 'a' }, seed: 1 }, { variant: { peer: 'b' }, skipped: 'b lacks TLS' }, { variant: { peer: 'c' }, skipped: 'c lacks UDP' }] })
    const after = syntheticResult({ name: 's', variants: [{ variant: { peer: 'a' }, skipped: 'a is not installed' }, { variant: { peer: 'b' }, seed: 2 }, { variant: { peer: 'c' }, skipped: 'c lacks UDP' }] })
    const c = compareResults([before], [after])
    expect(c.rows).toEqual([
      { scenario: 's', variant: 'peer=a', metric: null, verdict: 'missing', reason: 'skipped now: a is not installed' },
      { scenario: 's', variant: 'peer=b', metric: null, verdict: 'new', reason: 'skipped in the baseline: b lacks TLS' },
      { scenario: 's', variant: 'peer=c', metric: null, verdict: 'unchanged', reason: 'skipped on both sides: c lacks UDP' },
    ])
  })

  it('merges several files of one scenario on a side', () => {
    const before = syntheticResult({ name: 's', variants: [engine, haproxy].map((v, i) => ({ ...v, seed: i + 1 })) })
    const after = [syntheticResult({ name: 's', variants: [{ ...engine, seed: 3 }] }), syntheticResult({ name: 's', variants: [{ ...haproxy, seed: 4 }] })]
    const c = compareResults([before], after)
    expect(c.rows.filter((r) => r.metric === null)).toEqual([])
    expect(c.rows).toHaveLength(12)
  })

  it('notes what makes the comparison less meaningful', () => {
    const before = syntheticResult({ name: 's', variants: [{ seed: 1 }], hash: 'h1', quick: false, provider: 'process', cpuModel: 'A', cpus: 2 })
    const after = syntheticResult({ name: 's', variants: [{ seed: 2 }], hash: 'h2', quick: true, provider: 'docker', cpuModel: 'B', cpus: 4 })
    const notes = compareResults([before], [after]).notes
    expect(notes).toHaveLength(4)
    expect(notes.join('\n')).toMatch(/s: the scenario file changed since the baseline/)
    expect(notes.join('\n')).toMatch(/baseline full, current quick/)
    expect(notes.join('\n')).toMatch(/baseline on the process provider, current on docker/)
    expect(notes.join('\n')).toMatch(/another machine \(baseline 2 × A, current 4 × B\)/)
    expect(compareResults([before], [before]).notes).toEqual([])
  })
})

describe('compareResults: expectations and the gate', () => {
  const failing = { name: 'no errors', expected: '0 failed', actual: '12 failed', pass: false }
  const passing = { name: 'even spread', expected: 'share 0.5 ± 0.05', actual: '0.49', pass: true }

  it('carries the failed expectations of the current results along, and only those', () => {
    const before = syntheticResult({ name: 's', variants: [{ variant: { lb: 'x' }, seed: 1, expectations: [failing] }] })
    const after = syntheticResult({ name: 's', variants: [{ variant: { lb: 'x' }, seed: 2, repeats: 3, expectations: [passing, failing] }] })
    const c = compareResults([before], [after])
    expect(c.expectationFailures).toEqual([1, 2, 3].map((n) => ({ scenario: 's', variant: 'lb=x', run: `lb=x #${n}`, name: 'no errors', expected: '0 failed', actual: '12 failed' })))
    // A failed expectation fails the gate without any regression.
    expect(hasRegression(c)).toBe(false)
    expect(hasFailure(c)).toBe(true)
    expect(hasFailure(compareResults([after], [before]))).toBe(true)
    expect(hasFailure(compareResults([after], [syntheticResult({ name: 's', variants: [{ variant: { lb: 'x' }, seed: 3, expectations: [passing] }] })]))).toBe(false)
  })

  it('has a regression exactly when some row is one', () => {
    const base = compareResults([], [])
    const withRows = (...verdicts: ComparisonRow['verdict'][]): Comparison => ({
      ...base,
      rows: verdicts.map((verdict) => ({ scenario: 's', variant: '', metric: 'p99', verdict, reason: '' })),
    })
    expect(hasRegression(withRows())).toBe(false)
    expect(hasRegression(withRows('improvement', 'unchanged', 'inconclusive', 'missing', 'new'))).toBe(false)
    expect(hasRegression(withRows('unchanged', 'regression'))).toBe(true)
    expect(hasFailure(withRows('inconclusive', 'missing'))).toBe(false)
    expect(hasFailure(withRows('regression'))).toBe(true)
  })

  it('fails the gate on a regression, and on a missing variant unless missing ones are allowed', () => {
    const base = compareResults([], [])
    const withRows = (...verdicts: ComparisonRow['verdict'][]): Comparison => ({ ...base, rows: verdicts.map((verdict) => ({ scenario: 's', variant: '', metric: null, verdict, reason: '' })) })
    expect(gateFails(withRows('unchanged', 'new', 'inconclusive'))).toBe(false)
    expect(gateFails(withRows('unchanged', 'missing'))).toBe(true)
    expect(gateFails(withRows('unchanged', 'missing'), { allowMissing: true })).toBe(false)
    expect(gateFails(withRows('regression'), { allowMissing: true })).toBe(true)
  })
})
