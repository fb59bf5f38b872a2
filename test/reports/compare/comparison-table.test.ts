import { describe, expect, it } from 'vitest'
import { compareResults, renderComparisonTable } from '../../../reports/compare/index.js'
import { syntheticResult, type SyntheticScenario } from '../../helpers/synthetic-results.js'

const scenario = (s: Omit<SyntheticScenario, 'name'>): SyntheticScenario => ({ name: 'spread', ...s })

// Two variants regress (p99 of one, throughput of the other), one stays as it was, one is new.
const before = syntheticResult(
  scenario({
    variants: [
      { variant: { algorithm: 'maglev' }, seed: 1 },
      { variant: { algorithm: 'p2c' }, seed: 2 },
      { variant: { algorithm: 'random' }, seed: 3 },
    ],
  }),
)
const after = syntheticResult(
  scenario({
    hash: 'hash-2',
    variants: [
      { variant: { algorithm: 'maglev' }, seed: 4, p99Us: 8000 },
      { variant: { algorithm: 'p2c' }, seed: 5, rps: 6000 },
      { variant: { algorithm: 'random' }, seed: 6 },
      { variant: { algorithm: 'ring-hash' }, seed: 7, expectations: [{ name: 'no errors', expected: '0 failed', actual: '3 failed', pass: false }], repeats: 1 },
    ],
  }),
)
const comparison = compareResults([before], [after])
const regressions = comparison.rows.filter((r) => r.verdict === 'regression')

describe('renderComparisonTable', () => {
  it('puts each regression on a line with its scenario, variant, metric and reason', () => {
    expect(regressions.map((r) => `${r.variant} ${r.metric}`).sort()).toEqual(['algorithm=maglev p99', 'algorithm=p2c rps'])
    const lines = renderComparisonTable(comparison).split('\n')
    for (const [variant, label, r] of [
      ['algorithm=maglev', 'p99', regressions.find((x) => x.metric === 'p99')!],
      ['algorithm=p2c', 'req/s', regressions.find((x) => x.metric === 'rps')!],
    ] as const) {
      const line = lines.find((l) => l.includes(variant) && l.includes('regression'))
      expect(line, variant).toBeDefined()
      expect(line).toContain('spread')
      expect(line).toContain(label)
      expect(line).toContain(r.reason)
      expect(line).toContain('Mann-Whitney p = ')
    }
  })

  it('hides unchanged rows unless asked, and says how many it hid', () => {
    const text = renderComparisonTable(comparison)
    const unchanged = comparison.rows.filter((r) => r.verdict === 'unchanged').length
    expect(unchanged).toBeGreaterThan(0)
    expect(text).not.toMatch(/ unchanged {2}/)
    expect(text).toContain(`${comparison.rows.length} compared: 2 regressions, ${unchanged} unchanged, 1 new (${unchanged} unchanged not shown)`)
    const all = renderComparisonTable(comparison, { all: true })
    expect(all.split('\n').filter((l) => l.includes(' unchanged '))).toHaveLength(unchanged)
    expect(all).not.toContain('not shown')
  })

  it('aligns the reason column after the table', () => {
    const lines = renderComparisonTable(comparison).split('\n')
    const header = lines[0]!
    const column = header.indexOf('reason')
    const tableLines = lines.slice(0, 2 + comparison.rows.filter((r) => r.verdict !== 'unchanged').length)
    for (const line of tableLines.slice(2)) expect(line.length).toBeGreaterThan(column)
    // The reason of every shown row starts where the header's does.
    for (const r of comparison.rows.filter((x) => x.verdict !== 'unchanged')) {
      expect(tableLines.some((l) => l.slice(column) === r.reason)).toBe(true)
    }
  })

  it('lists failed expectations of the current results and the notes', () => {
    const text = renderComparisonTable(comparison)
    expect(text).toContain('✗ algorithm=ring-hash #1: no errors — expected 0 failed, got 3 failed')
    expect(text).toContain('note: spread: the scenario file changed since the baseline')
  })

  it('says when there was nothing to compare', () => {
    expect(renderComparisonTable(compareResults([], []))).toBe('0 compared: nothing to compare')
  })
})
