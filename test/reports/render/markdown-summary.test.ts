import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareResults } from '../../../reports/compare/index.js'
import { formatCount, formatUs } from '../../../reports/render/format.js'
import { renderSummaryMarkdown } from '../../../reports/render/markdown-summary.js'
import { variantKey } from '../../../reports/result/aggregate.js'
import { resultFileSchema, type ResultFile, type RunResult } from '../../../reports/result/result-model.js'
import { syntheticResult } from '../../helpers/synthetic-results.js'
import { cells } from '../../helpers/markdown-cells.js'
import { EMPTY_SUMMARY } from '../../../engine/stats/latency-histogram.js'

const fixture = (name: string): ResultFile => resultFileSchema.parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'results', `${name}.json`), 'utf8')))
const fixtures = (): ResultFile[] => ['canary-split', 'failover', 'algorithm-spread'].map(fixture)

/** Turns a run into one that could not happen, as the runner writes it: no measurements, a reason. */
function skip(run: RunResult, reason: string): void {
  const empty = EMPTY_SUMMARY
  run.skipped = reason
  run.summary = { rps: 0, requests: { sent: 0, ok: 0, failed: 0, failures: { byKind: {}, byStatus: {} } }, latencyUs: empty }
  run.cpu = { balancerUs: null, backendsUs: null, generatorUs: 0, perRequestUs: { balancer: null, backends: null, generator: 0 } }
  run.expectations = []
  run.warnings = [`skipped: ${reason}`]
}


/** The section of a scenario: from its heading to the next heading. */
function section(markdown: string, scenario: string): string {
  const lines = markdown.split('\n')
  const start = lines.indexOf(`### ${scenario}`)
  expect(start, `section ${scenario}`).toBeGreaterThanOrEqual(0)
  const end = lines.findIndex((l, i) => i > start && l.startsWith('### '))
  return lines.slice(start, end === -1 ? undefined : end).join('\n')
}

/** The body rows of the first table of a text, as cells. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n').filter((l) => l.startsWith('|'))
  return lines.slice(2).map(cells)
}

/**
 * The content of a text that is exactly one CommonMark code span (§6.1): a backtick run, then
 * content with no backtick run of the same length, then the same run; one space a side is
 * stripped when both are present. Fails the test when the span would end early.
 */
function codeSpan(text: string): string {
  const fence = /^`+/.exec(text)![0]
  expect(text.endsWith(fence)).toBe(true)
  const inner = text.slice(fence.length, -fence.length)
  expect((inner.match(/`+/g) ?? []).every((run) => run.length !== fence.length)).toBe(true)
  return inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner
}

const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!

describe('renderSummaryMarkdown: the fixtures', () => {
  const results = fixtures()
  const markdown = renderSummaryMarkdown(results)

  it('has a section per scenario, in order', () => {
    const headings = markdown.split('\n').filter((l) => l.startsWith('### '))
    expect(headings).toEqual(results.map((r) => `### ${r.scenario.name}`))
    expect(markdown.startsWith('## layerbench results\n')).toBe(true)
  })

  it('gives the counts of scenarios, runs and expectations in the headline', () => {
    const expectations = results.flatMap((r) => r.runs.flatMap((run) => run.expectations))
    const runs = results.reduce((n, r) => n + r.runs.length, 0)
    expect(expectations.every((e) => e.pass)).toBe(true)
    expect(markdown).toContain(`**3 scenarios, ${runs} runs: ${expectations.length}/${expectations.length} expectations passed ✓**`)
    expect(markdown).not.toContain('against the baseline')
  })

  it('writes one line per distinct environment', () => {
    // What the line shows: the fixtures differ in it only by quick (two of them) vs full.
    const shown = (e: ResultFile['environment']) => [e.node, e.platform, e.arch, e.cpus, e.cpuModel, e.provider, e.git, e.layerbench, e.quick].join()
    const distinct = new Set(results.map((r) => shown(r.environment)))
    const lines = markdown.split('\n').filter((l) => l.startsWith('Node '))
    expect(lines).toHaveLength(distinct.size)
    expect(lines).toHaveLength(2)
    for (const r of results) expect(lines.some((l) => l.includes(`${r.environment.cpus} × ${r.environment.cpuModel}`))).toBe(true)
    // Every line but the last ends in a hard break, so GitHub shows them on separate lines.
    expect(lines[0]!.endsWith('  ')).toBe(true)
    expect(lines.filter((l) => l.endsWith(' quick') || l.includes(' quick  '))).toHaveLength(1)
  })

  it('tables each variant once with its medians over the repeats', () => {
    for (const result of results) {
      const rows = tableRows(section(markdown, result.scenario.name))
      const keys = [...new Set(result.runs.map((r) => variantKey(r.variant) || 'default'))]
      expect(rows.map((r) => r[0])).toEqual(keys)
      for (const row of rows) expect(row).toHaveLength(7)
    }
    // algorithm-spread has three repeats per variant: the cells are the medians of their values.
    const spread = results[2]!
    const rows = tableRows(section(markdown, 'algorithm-spread'))
    for (const row of rows) {
      const runs = spread.runs.filter((r) => variantKey(r.variant) === row[0])
      expect(runs).toHaveLength(3)
      expect(row[1]).toBe(formatCount(medianOf(runs.map((r) => r.summary.rps))))
      expect(row[3]).toBe(formatUs(medianOf(runs.map((r) => r.summary.latencyUs.p99))))
      const total = runs.reduce((n, r) => n + r.expectations.length, 0)
      expect(row[6]).toBe(`✓ ${total}/${total}`)
    }
  })

  it('shows ✗ and the failed expectations with their run, expected and actual values', () => {
    const changed = fixtures()
    const run = changed[1]!.runs.find((r) => r.expectations.length === 3)!
    run.expectations[2] = { ...run.expectations[2]!, actual: '7 failed', pass: false }
    const text = renderSummaryMarkdown(changed)
    const total = changed.flatMap((r) => r.runs.flatMap((x) => x.expectations)).length
    expect(text).toContain(`${total - 1}/${total} expectations passed ✗`)
    const failover = section(text, 'failover')
    const row = tableRows(failover).find((r) => r[0] === variantKey(run.variant))!
    expect(row[6]).toBe('✗ 2/3')
    expect(failover).toContain(`**Failed expectations**\n\n- ✗ \`${run.id}\`: ${run.expectations[2]!.name} — expected ${run.expectations[2]!.expected}, got 7 failed`)
    // Other scenarios are untouched.
    expect(section(text, 'canary-split')).not.toContain('Failed expectations')
  })

  it('lists skipped runs with their reasons and marks a variant with no measured run as skipped', () => {
    const changed = fixtures()
    const haproxy = changed[1]!.runs.filter((r) => r.variant.balancer === 'haproxy')
    for (const run of haproxy) skip(run, 'haproxy is not available: not installed')
    const failover = section(renderSummaryMarkdown(changed), 'failover')
    for (const run of haproxy) {
      expect(tableRows(failover).find((r) => r[0] === variantKey(run.variant))!.slice(1)).toEqual(['skipped', '', '', '', '', '—'])
      expect(failover).toContain(`- \`${run.id}\`: haproxy is not available: not installed`)
    }
    expect(failover).toContain('**Skipped**')
    expect(section(renderSummaryMarkdown(fixtures()), 'failover')).not.toContain('Skipped')
  })
})

describe('renderSummaryMarkdown: with a comparison', () => {
  it('lists regressions, improvements and missing variants under their scenario, with reasons', () => {
    const baseline = fixtures()
    const current = fixtures()
    // Threshold-only with three repeats a side (3 × 5 % = 15 %): −30 % throughput is a regression,
    // +30 % throughput an improvement; the 20 % p99 minimum × 3 leaves +50 % p99 unchanged.
    for (const run of current[2]!.runs) {
      if (run.variant.algorithm === 'peak-ewma') run.summary.rps *= 0.7
      if (run.variant.algorithm === 'round-robin') run.summary.rps *= 1.3
      if (run.variant.algorithm === 'least-connections') run.summary.latencyUs.p99 *= 1.5
    }
    current[1]!.runs = current[1]!.runs.filter((r) => !(r.variant.balancer === 'haproxy' && r.variant.fault === 'hung'))
    const comparison = compareResults(baseline, current)
    const text = renderSummaryMarkdown(current, comparison)

    const regression = comparison.rows.find((r) => r.verdict === 'regression')!
    const improvement = comparison.rows.find((r) => r.verdict === 'improvement')!
    expect(comparison.rows.filter((r) => r.verdict === 'regression')).toEqual([regression])
    expect(regression).toMatchObject({ scenario: 'algorithm-spread', variant: 'algorithm=peak-ewma', metric: 'rps' })
    expect(improvement).toMatchObject({ scenario: 'algorithm-spread', variant: 'algorithm=round-robin', metric: 'rps' })

    const spread = section(text, 'algorithm-spread')
    expect(spread).toContain(`**Regressions**\n\n- req/s of \`algorithm=peak-ewma\`: ${regression.reason}`)
    expect(spread).toContain(`**Improvements**\n\n- req/s of \`algorithm=round-robin\`: ${improvement.reason}`)
    expect(spread).not.toContain('least-connections`:')
    const failover = section(text, 'failover')
    expect(failover).toContain('**Missing**')
    expect(failover).toContain('- `balancer=haproxy fault=hung detection=active`: variant not in the current results')
    expect(text).toContain('against the baseline: **1 regression**, 1 improvement')
    expect(section(text, 'canary-split')).not.toMatch(/Regressions|Improvements|Missing/)
  })

  it('names scenarios that were not run and carries the notes', () => {
    const baseline = fixtures()
    const current = fixtures().slice(0, 2)
    current[0]!.scenario.hash = 'changed'
    const text = renderSummaryMarkdown(current, compareResults(baseline, current))
    expect(text).toContain('Not run, but in the baseline: algorithm-spread')
    expect(text).toContain('> note: canary-split: the scenario file changed since the baseline')
    expect(text).not.toContain('### algorithm-spread')
  })
})

describe('renderSummaryMarkdown: escaping', () => {
  it('keeps the table intact when values contain pipes and backslashes', () => {
    const result = syntheticResult({
      name: 'routes',
      variants: [
        { variant: { match: 'a|b', path: 'C:\\tmp' }, seed: 1, repeats: 1 },
        { variant: { match: 'x||y\\|' }, seed: 2, repeats: 1 },
      ],
    })
    const rows = tableRows(section(renderSummaryMarkdown([result]), 'routes'))
    expect(rows.map((r) => r.length)).toEqual([7, 7])
    expect(rows.map((r) => r[0])).toEqual(['match=a|b path=C:\\tmp', 'match=x||y\\|'])
  })

  it.each([['a`b'], ['a``b'], ['`edge`']])('keeps a run id with backticks (%s) whole inside one code span', (value) => {
    const result = syntheticResult({ name: 'odd', variants: [{ variant: { name: value }, skipped: 'no' }] })
    const item = renderSummaryMarkdown([result])
      .split('\n')
      .find((l) => l.startsWith('- `') && l.endsWith(': no'))!
    expect(codeSpan(item.slice(2, -': no'.length))).toBe(`name=${value} #1`)
  })
})
