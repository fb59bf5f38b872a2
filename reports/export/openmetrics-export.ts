import { Exposition, type Labels } from '../../engine/admin/exposition.js'
import type { ResultFile, RunResult } from '../result/result-model.js'
import type { ExportGrain } from './export-rows.js'

const PERCENTILES = ['p50', 'p90', 'p99', 'p999', 'max'] as const

/** The labels of a run's series: scenario, run, repeat, balancer, and one `variant_<dim>` per dimension. */
function runLabels(result: ResultFile, run: RunResult): Labels {
  const labels: Record<string, string> = {
    scenario: result.scenario.name,
    run: run.id,
    repeat: String(run.repeat),
    implementation: run.balancer.implementation,
    layer: String(run.balancer.layer),
  }
  for (const [dim, v] of Object.entries(run.variant)) labels[`variant_${dim.replace(/[^a-zA-Z0-9_]/g, '_')}`] = String(v)
  return labels
}

/**
 * Saved results as OpenMetrics text with timestamps, for a Prometheus TSDB (`promtool tsdb
 * create-blocks-from openmetrics`) or any OpenMetrics reader. Per run: one sample of each series,
 * stamped at the run's end. Per interval: one sample per interval, stamped at the run's start plus
 * the interval's end in the measured phase (the start-up before that phase is not recorded to the
 * millisecond, so a series sits up to a few seconds early in absolute time; its spacing is exact).
 * Latency in seconds, as the conventions want; skipped runs have no samples.
 */
export function resultsToOpenMetrics(results: readonly ResultFile[], grain: ExportGrain): string {
  const x = new Exposition('openmetrics')
  for (const result of results) {
    for (const run of result.runs) {
      if (run.skipped !== undefined) continue
      const labels = runLabels(result, run)
      const startMs = Date.parse(run.startedAt)
      if (grain === 'run') {
        const at = startMs + run.durationMs
        const s = run.summary
        x.gauge('layerbench_run_throughput_requests_per_second', 'Requests sent per second over the measured phase', labels, s.rps, at)
        x.counter('layerbench_run_requests_total', 'Requests of the measured phase by outcome (sent = ok + failed)', { ...labels, outcome: 'ok' }, s.requests.ok, at)
        x.counter('layerbench_run_requests_total', 'Requests of the measured phase by outcome (sent = ok + failed)', { ...labels, outcome: 'failed' }, s.requests.failed, at)
        for (const p of PERCENTILES) x.gauge('layerbench_run_latency_seconds', 'Latency percentiles of the run', { ...labels, percentile: p }, s.latencyUs[p] / 1e6, at)
        const cpu = run.cpu.perRequestUs.balancer
        if (cpu !== null) x.gauge('layerbench_run_balancer_cpu_per_request_seconds', 'Balancer CPU time per request', labels, cpu / 1e6, at)
        x.gauge('layerbench_run_expectations_failed', 'Expectations of the scenario the run did not meet', labels, run.expectations.filter((e) => !e.pass).length, at)
        continue
      }
      // Series by series, so that each one's samples are consecutive and in time order.
      const at = (i: RunResult['timeseries'][number]) => startMs + i.tMs + i.durationMs
      for (const i of run.timeseries) x.gauge('layerbench_interval_throughput_requests_per_second', 'Requests sent per second in the interval', labels, i.rps, at(i))
      for (const outcome of ['ok', 'failed'] as const) for (const i of run.timeseries) x.gauge('layerbench_interval_requests', 'Requests completed in the interval by outcome', { ...labels, outcome }, i[outcome], at(i))
      for (const p of PERCENTILES) for (const i of run.timeseries) x.gauge('layerbench_interval_latency_seconds', 'Latency percentiles of the interval', { ...labels, percentile: p }, i.latencyUs[p] / 1e6, at(i))
      const backends = [...new Set(run.timeseries.flatMap((i) => Object.keys(i.byBackend)))].sort()
      for (const backend of backends) for (const i of run.timeseries) x.gauge('layerbench_interval_backend_requests', 'Answers from each backend in the interval', { ...labels, backend }, i.byBackend[backend] ?? 0, at(i))
    }
  }
  return x.text()
}
