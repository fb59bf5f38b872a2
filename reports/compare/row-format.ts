import type { Spread } from '../result/aggregate.js'
import type { Comparison, ComparisonRow } from './comparison.js'
import { countVerdicts } from './comparison.js'
import { formatP } from './metric-decision.js'
import { metricDefinition } from './metrics.js'

/** Cell texts of one comparison row, shared by the console and Markdown renderers. */
export interface RowCells {
  readonly scenario: string
  readonly variant: string
  readonly metric: string
  readonly baseline: string
  readonly current: string
  readonly change: string
  readonly p: string
  readonly interval: string
  readonly verdict: string
  readonly reason: string
}

/** A row as text: medians with their range over the repeats, the change, p and the ratio interval. */
export function rowCells(row: ComparisonRow): RowCells {
  const metric = row.metric === null ? undefined : metricDefinition(row.metric)
  const value = (s: Spread | undefined) => (s === undefined || metric === undefined ? '—' : spreadText(s, metric.format))
  let change = '—'
  if (metric !== undefined && row.difference !== undefined) {
    if (metric.change === 'points') change = `${sign(row.difference * 100)}${Math.abs(row.difference * 100).toFixed(2)} pp`
    else if (row.relativeChange === null || row.relativeChange === undefined) change = 'from 0'
    else change = `${sign(row.relativeChange)}${Math.abs(row.relativeChange * 100).toFixed(1)}%`
  }
  const i = row.ratioInterval
  return {
    scenario: row.scenario,
    variant: row.variant === null ? '(all)' : row.variant || 'default',
    metric: metric?.label ?? '—',
    baseline: value(row.baseline),
    current: value(row.current),
    change,
    p: row.pValue === undefined ? '—' : formatP(row.pValue),
    interval: i === undefined ? '—' : `${i.lower.toFixed(2)}–${i.upper.toFixed(2)}`,
    verdict: row.verdict,
    reason: row.reason,
  }
}

/** The median, and the range over the repeats when there are several. */
export function spreadText(s: Spread, format: (v: number) => string): string {
  return s.values.length > 1 ? `${format(s.median)} (${format(s.min)}–${format(s.max)})` : format(s.median)
}

/** `3 regressions, 1 improvement, 40 unchanged, …` — verdicts with a zero count are left out. */
export function verdictCounts(c: Comparison): string {
  const counts = countVerdicts(c)
  const words: [keyof typeof counts, string, string][] = [
    ['regression', 'regression', 'regressions'],
    ['improvement', 'improvement', 'improvements'],
    ['inconclusive', 'inconclusive', 'inconclusive'],
    ['unchanged', 'unchanged', 'unchanged'],
    ['missing', 'missing', 'missing'],
    ['new', 'new', 'new'],
  ]
  const parts = words.filter(([k]) => counts[k] > 0).map(([k, one, many]) => `${counts[k]} ${counts[k] === 1 ? one : many}`)
  return parts.length === 0 ? 'nothing to compare' : parts.join(', ')
}

function sign(x: number): string {
  return x > 0 ? '+' : x < 0 ? '-' : '±'
}
