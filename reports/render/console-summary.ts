import { aggregateRuns } from '../result/aggregate.js'
import type { ResultFile } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs, textTable } from './format.js'

/**
 * A scenario's result for the console: per variant (median over repeats), throughput, latency,
 * errors and the balancer's CPU per request; then every expectation that failed, and warnings.
 */
export function renderConsoleSummary(result: ResultFile): string {
  const rows = aggregateRuns(result).map((a) => [
    a.key || 'default',
    a.skipped !== undefined ? 'skipped' : formatCount(a.rps.median),
    a.skipped !== undefined ? '' : formatUs(a.p50Us.median),
    a.skipped !== undefined ? '' : formatUs(a.p99Us.median),
    a.skipped !== undefined ? '' : formatPercent(a.errorRate.median),
    a.balancerCpuPerRequestUs === undefined ? '—' : formatUs(a.balancerCpuPerRequestUs.median),
    a.expectationsTotal === 0 ? '—' : `${a.expectationsPassed}/${a.expectationsTotal}`,
  ])
  const out = [
    `${result.scenario.name} — ${result.runs.length} run(s), ${result.environment.provider} provider${result.environment.quick ? ', quick' : ''}`,
    textTable(['variant', 'req/s', 'p50', 'p99', 'errors', 'LB CPU/req', 'expect'], rows),
  ]
  for (const r of result.runs) {
    for (const e of r.expectations.filter((x) => !x.pass)) out.push(`  ✗ ${r.id}: ${e.name} — expected ${e.expected}, got ${e.actual}`)
    if (r.skipped !== undefined) out.push(`  – ${r.id}: skipped: ${r.skipped}`)
  }
  const warnings = [...new Set(result.runs.flatMap((r) => r.warnings.filter((w) => !w.startsWith('skipped'))))]
  for (const w of warnings) out.push(`  ! ${w}`)
  return out.join('\n')
}
