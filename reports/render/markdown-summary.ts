import type { Comparison, ComparisonRow } from '../compare/comparison.js'
import { metricDefinition } from '../compare/metrics.js'
import { verdictCounts } from '../compare/row-format.js'
import { aggregateRuns } from '../result/aggregate.js'
import type { EnvironmentResult, ResultFile } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs } from './format.js'
import { markdownCode, markdownTable } from './markdown-table.js'

/**
 * A suite's results as a compact GitHub-flavoured Markdown summary (for a CI job summary): the
 * environment, then per scenario a table of key figures per variant (medians over the repeats),
 * failed expectations, regressions, improvements and inconclusive changes against the baseline
 * with their reasons, and skipped runs with theirs.
 */
export function renderSummaryMarkdown(results: readonly ResultFile[], comparison?: Comparison): string {
  const runs = results.flatMap((r) => r.runs)
  const expectations = runs.flatMap((r) => r.expectations)
  const passed = expectations.filter((e) => e.pass).length
  const out = ['## layerbench results', '']
  // Hard line breaks: one line per distinct environment.
  out.push([...new Set(results.map((r) => environmentLine(r.environment)))].join('  \n'))
  const headline = `**${results.length} scenario${results.length === 1 ? '' : 's'}, ${runs.length} run${runs.length === 1 ? '' : 's'}: ${expectations.length === 0 ? 'no expectations' : `${passed}/${expectations.length} expectations passed ${passed === expectations.length ? '✓' : '✗'}`}**`
  out.push('', comparison === undefined ? headline : `${headline} · against the baseline: ${verdictCounts(comparison).replace(/^(\d+ regressions?)/, '**$1**')}`)

  for (const result of results) out.push('', ...scenarioSection(result, comparison?.rows.filter((r) => r.scenario === result.scenario.name) ?? []))

  const absent = comparison?.rows.filter((r) => r.variant === null && r.verdict === 'missing') ?? []
  if (absent.length > 0) out.push('', `Not run, but in the baseline: ${absent.map((r) => r.scenario).join(', ')}`)
  for (const note of comparison?.notes ?? []) out.push('', `> note: ${note}`)
  return out.join('\n') + '\n'
}

function scenarioSection(result: ResultFile, rows: readonly ComparisonRow[]): string[] {
  const out = [`### ${result.scenario.name}`, '']
  out.push(
    markdownTable(
      ['variant', 'req/s', 'p50', 'p99', 'errors', 'LB CPU/req', 'expectations'],
      aggregateRuns(result).map((a) => {
        const expect = a.expectationsTotal === 0 ? '—' : `${a.expectationsPassed === a.expectationsTotal ? '✓' : '✗'} ${a.expectationsPassed}/${a.expectationsTotal}`
        if (a.skipped !== undefined) return [a.key || 'default', 'skipped', '', '', '', '', expect]
        return [
          a.key || 'default',
          formatCount(a.rps.median),
          formatUs(a.p50Us.median),
          formatUs(a.p99Us.median),
          formatPercent(a.errorRate.median),
          formatUs(a.balancerCpuPerRequestUs?.median),
          expect,
        ]
      }),
      ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
  )
  const failed = result.runs.flatMap((run) => run.expectations.filter((e) => !e.pass).map((e) => `- ✗ ${markdownCode(run.id)}: ${e.name} — expected ${e.expected}, got ${e.actual}`))
  if (failed.length > 0) out.push('', '**Failed expectations**', '', ...failed)
  for (const [verdict, title] of [
    ['regression', 'Regressions'],
    ['improvement', 'Improvements'],
    ['inconclusive', 'Inconclusive'],
    ['new', 'New'],
    ['missing', 'Missing'],
  ] as const) {
    const listed = rows.filter((r) => r.verdict === verdict && r.variant !== null)
    if (listed.length > 0) out.push('', `**${title}**`, '', ...listed.map((r) => `- ${rowSubject(r)}: ${r.reason}`))
  }
  const skipped = result.runs.filter((r) => r.skipped !== undefined)
  if (skipped.length > 0) out.push('', '**Skipped**', '', ...skipped.map((r) => `- ${markdownCode(r.id)}: ${r.skipped}`))
  return out
}

function rowSubject(r: ComparisonRow): string {
  const variant = markdownCode(r.variant || 'default')
  return r.metric === null ? variant : `${metricDefinition(r.metric).label} of ${variant}`
}

function environmentLine(e: EnvironmentResult): string {
  const parts = [
    `Node ${e.node}`,
    `${e.platform} ${e.arch}`,
    `${e.cpus} × ${e.cpuModel}`,
    `${e.provider} provider`,
    ...(e.git === undefined ? [] : [`git ${markdownCode(e.git)}`]),
    `layerbench ${e.layerbench}`,
    ...(e.quick ? ['quick'] : []),
  ]
  return parts.join(' · ')
}
