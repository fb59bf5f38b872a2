import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareResults, type Comparison } from '../../../reports/compare/index.js'
import { formatCount } from '../../../reports/render/format.js'
import { renderComparisonMarkdown } from '../../../reports/render/markdown-comparison.js'
import { resultFileSchema, type ResultFile } from '../../../reports/result/result-model.js'
import { syntheticResult } from '../../helpers/synthetic-results.js'
import { cells } from '../../helpers/markdown-cells.js'

const fixture = (name: string): ResultFile => resultFileSchema.parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'results', `${name}.json`), 'utf8')))
const fixtures = (): ResultFile[] => ['canary-split', 'failover', 'algorithm-spread'].map(fixture)


/** Every table of a text: its body rows as cells. */
function tables(text: string): string[][][] {
  const out: string[][][] = []
  let current: string[] | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('|')) (current ??= []).push(line)
    else if (current !== undefined) {
      out.push(current.slice(2).map(cells))
      current = undefined
    }
  }
  if (current !== undefined) out.push(current.slice(2).map(cells))
  return out
}

const HEADER = ['scenario', 'variant', 'metric', 'baseline', 'current', 'change', 'p', 'ratio 95% CI', 'verdict', 'reason']

/** The fixtures against a copy where peak-ewma lost 30 % throughput, one variant is gone and one run failed an expectation. */
function fixtureComparison(): { comparison: Comparison; markdown: string } {
  const baseline = fixtures()
  const current = fixtures()
  for (const run of current[2]!.runs) if (run.variant.algorithm === 'peak-ewma') run.summary.rps *= 0.7
  current[1]!.runs = current[1]!.runs.filter((r) => !(r.variant.balancer === 'haproxy' && r.variant.fault === 'dead' && r.variant.detection === 'active'))
  const failing = current[0]!.runs[0]!
  failing.expectations[0] = { ...failing.expectations[0]!, actual: '71 % to the canary', pass: false }
  const comparison = compareResults(baseline, current)
  return { comparison, markdown: renderComparisonMarkdown(comparison) }
}

describe('renderComparisonMarkdown: the fixtures', () => {
  const { comparison, markdown } = fixtureComparison()
  const changed = comparison.rows.filter((r) => r.verdict !== 'unchanged')

  it('opens with the counts, the regressions in bold, and the decision rule', () => {
    const lines = markdown.split('\n')
    expect(lines[0]).toBe('### Comparison with the baseline')
    const unchanged = comparison.rows.length - changed.length
    expect(lines[2]).toMatch(new RegExp(`^\\*\\*1 regression\\*\\*, ${unchanged} unchanged, 1 missing · `))
    // The rule names the test, its level, the repeats it needs and every metric's minimum.
    expect(lines[2]).toContain('Mann-Whitney p < 0.05 with ≥ 3 repeats a side, else 3 × the minimum')
    for (const part of ['req/s 5%', 'p50 10%', 'p99 20%', 'p99.9 20%', 'errors 1 pp', 'LB CPU/req 5%']) expect(lines[2]).toContain(part)
  })

  it('tables the rows that are not unchanged, each with its reason', () => {
    const [first] = tables(markdown)
    expect(markdown.split('\n').find((l) => l.startsWith('|'))).toBe(`| ${HEADER.join(' | ')} |`)
    expect(first).toHaveLength(changed.length)
    expect(changed.map((r) => r.verdict).sort()).toEqual(['missing', 'regression'])
    for (const row of first!) expect(row).toHaveLength(HEADER.length)
    const regression = first!.find((r) => r[8] === '**regression**')!
    const expected = changed.find((r) => r.verdict === 'regression')!
    expect(regression.slice(0, 3)).toEqual(['algorithm-spread', 'algorithm=peak-ewma', 'req/s'])
    expect(regression[9]).toBe(expected.reason)
    // With three repeats a side the test cannot reject: the reason says the threshold decided.
    expect(expected.reason).toMatch(/3 vs 3 repeats cannot reach p < 0\.05: threshold only$/)
    const missing = first!.find((r) => r[8] === 'missing')!
    expect(missing.slice(0, 3)).toEqual(['failover', 'balancer=haproxy fault=dead detection=active', '—'])
  })

  it('shows the change as the relative change of the medians over the repeats', () => {
    const regression = tables(markdown)[0]!.find((r) => r[8] === '**regression**')!
    const runs = fixture('algorithm-spread').runs.filter((r) => r.variant.algorithm === 'peak-ewma')
    const median = runs.map((r) => r.summary.rps).sort((a, b) => a - b)[1]!
    // Every run lost 30 %, so the median did too.
    expect(regression[5]).toBe('-30.0%')
    expect(regression[3]!.startsWith(`${formatCount(median)} (`)).toBe(true)
    expect(regression[4]!.startsWith(`${formatCount(median * 0.7)} (`)).toBe(true)
  })

  it('lists the failed expectations of the current results', () => {
    const run = fixture('canary-split').runs[0]!
    expect(markdown).toContain(`**Failed expectations** (1)\n\n- ✗ \`${run.id}\`: ${run.expectations[0]!.name} — expected ${run.expectations[0]!.expected}, got 71 % to the canary`)
  })

  it('puts every row in a collapsed table', () => {
    expect(markdown).toContain(`<details><summary>All ${comparison.rows.length} comparisons</summary>`)
    const all = tables(markdown)[1]!
    expect(all).toHaveLength(comparison.rows.length)
    expect(all.map((r) => r[9])).toEqual(comparison.rows.map((r) => r.reason))
    expect(markdown.trimEnd().endsWith('</details>')).toBe(true)
  })
})

describe('renderComparisonMarkdown: edge cases', () => {
  it('has no changed table when nothing changed, and no collapsed one when everything did', () => {
    const same = fixtures()
    const quiet = renderComparisonMarkdown(compareResults(same, fixtures()))
    expect(quiet).toMatch(/^### Comparison with the baseline\n\n\d+ unchanged · /)
    expect(tables(quiet)).toHaveLength(1)
    expect(quiet).toContain('<details>')
    const fresh = renderComparisonMarkdown(compareResults([], same))
    expect(tables(fresh)).toHaveLength(1)
    expect(fresh).not.toContain('<details>')
    expect(fresh).toContain('3 new')
  })

  it('quotes the notes', () => {
    const current = fixtures()
    current[0]!.environment.quick = false
    expect(renderComparisonMarkdown(compareResults(fixtures(), current))).toContain('> note: canary-split: baseline quick, current full')
  })

  it('keeps the tables intact when values contain pipes, backslashes and line breaks', () => {
    const variant = { header: 'x-a|b', path: '\\\\share\\dir' }
    const before = syntheticResult({ name: 'a|b', variants: [{ variant, seed: 1 }, { variant: { header: 'gone' }, seed: 2 }] })
    const after = syntheticResult({ name: 'a|b', variants: [{ variant, seed: 3, p99Us: 40_000 }, { variant: { header: 'new' }, skipped: 'peer lacks\nheader | matching' }] })
    const markdown = renderComparisonMarkdown(compareResults([before], [after]))
    for (const table of tables(markdown)) {
      for (const row of table) {
        expect(row).toHaveLength(HEADER.length)
        expect(row[0]).toBe('a|b')
      }
    }
    const rows = tables(markdown)[1]!
    expect(rows.filter((r) => r[1] === 'header=x-a|b path=\\\\share\\dir')).toHaveLength(6)
    expect(rows.find((r) => r[1] === 'header=new')![9]).toBe('variant not in the baseline')
    expect(rows.find((r) => r[8] === '**regression**')![1]).toBe('header=x-a|b path=\\\\share\\dir')
  })

  it('turns a line break in a cell into a space', () => {
    const before = syntheticResult({ name: 's', variants: [{ variant: { v: 'a' }, skipped: 'first' }] })
    const after = syntheticResult({ name: 's', variants: [{ variant: { v: 'a' }, seed: 1 }] })
    const c = compareResults([before], [after])
    const edited: Comparison = { ...c, rows: c.rows.map((r) => ({ ...r, reason: 'line one\nline two\r\nline three\rline four' })) }
    const rows = tables(renderComparisonMarkdown(edited))[0]!
    expect(rows.map((r) => r[9])).toEqual(['line one line two line three line four'])
  })
})
