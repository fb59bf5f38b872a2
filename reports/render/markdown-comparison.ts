import type { Comparison, ComparisonRow } from '../compare/comparison.js'
import { metrics } from '../compare/metrics.js'
import { rowCells, verdictCounts } from '../compare/row-format.js'
import { markdownCode, markdownTable } from './markdown-table.js'

/**
 * A comparison as GitHub-flavoured Markdown: the counts and the rule in one line, a table of the
 * rows that are not `unchanged`, failed expectations, notes, and every row in a collapsed table.
 */
export function renderComparisonMarkdown(c: Comparison): string {
  const changed = c.rows.filter((r) => r.verdict !== 'unchanged')
  const out = ['### Comparison with the baseline', '', `${emphasiseRegressions(verdictCounts(c))} · ${ruleText(c)}`]
  if (changed.length > 0) out.push('', comparisonTable(changed))
  if (c.expectationFailures.length > 0) {
    out.push('', `**Failed expectations** (${c.expectationFailures.length})`, '')
    for (const f of c.expectationFailures) out.push(`- ✗ ${markdownCode(f.run)}: ${f.name} — expected ${f.expected}, got ${f.actual}`)
  }
  if (c.notes.length > 0) out.push('', ...c.notes.map((n) => `> note: ${n}`))
  if (changed.length < c.rows.length) {
    out.push('', `<details><summary>All ${c.rows.length} comparisons</summary>`, '', comparisonTable(c.rows), '', '</details>')
  }
  return out.join('\n') + '\n'
}

/** The decision rule in one line: the test, its level and the minimum changes. */
export function ruleText(c: Comparison): string {
  const o = c.options
  const minimums = metrics.map((m) => `${m.label} ${m.change === 'points' ? `${o.minErrorRatePoints} pp` : `${Math.round(o.minChange[m.id as keyof typeof o.minChange] * 1000) / 10}%`}`)
  return `Mann-Whitney p < ${o.alpha} with ≥ ${o.minRepeats} repeats a side, else ${o.thresholdOnlyFactor} × the minimum; minimum changes: ${minimums.join(', ')}`
}

function comparisonTable(rows: readonly ComparisonRow[]): string {
  return markdownTable(
    ['scenario', 'variant', 'metric', 'baseline', 'current', 'change', 'p', 'ratio 95% CI', 'verdict', 'reason'],
    rows.map((r) => {
      const x = rowCells(r)
      return [x.scenario, x.variant, x.metric, x.baseline, x.current, x.change, x.p, x.interval, r.verdict === 'regression' ? '**regression**' : x.verdict, x.reason]
    }),
    ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
  )
}

function emphasiseRegressions(counts: string): string {
  return counts.replace(/^(\d+ regressions?)/, '**$1**')
}
