import type { ResultFile, RunResult } from '../result/result-model.js'

/** One flat record of an export: column name to a number, a string, or nothing. */
export type ExportRow = Record<string, string | number | boolean | null>

/** What one row stands for: a run, or one interval of a run's time series. */
export type ExportGrain = 'run' | 'interval'

/** The columns that say which run a row belongs to: scenario, run, repeat, balancer, variant (one column per dimension). */
function runKey(result: ResultFile, run: RunResult): ExportRow {
  const row: ExportRow = {
    scenario: result.scenario.name,
    run: run.id,
    repeat: run.repeat,
    implementation: run.balancer.implementation,
    layer: run.balancer.layer,
    provider: run.provider,
  }
  for (const [dim, v] of Object.entries(run.variant)) row[`variant.${dim}`] = v
  return row
}

/** One row per run: its key, then throughput, accounting, latency (µs), CPU per request and expectations. */
export function runRows(results: readonly ResultFile[]): ExportRow[] {
  return results.flatMap((result) =>
    result.runs.map((run) => {
      const s = run.summary
      return {
        ...runKey(result, run),
        startedAt: run.startedAt,
        skipped: run.skipped ?? null,
        rps: s.rps,
        sent: s.requests.sent,
        ok: s.requests.ok,
        failed: s.requests.failed,
        latencyP50Us: s.latencyUs.p50,
        latencyP90Us: s.latencyUs.p90,
        latencyP99Us: s.latencyUs.p99,
        latencyP999Us: s.latencyUs.p999,
        latencyMaxUs: s.latencyUs.max,
        latencyMeanUs: s.latencyUs.mean,
        balancerCpuPerRequestUs: run.cpu.perRequestUs.balancer,
        expectationsPassed: run.expectations.filter((e) => e.pass).length,
        expectationsTotal: run.expectations.length,
      }
    }),
  )
}

/** One row per interval of every run's time series: its key, offset and figures, then requests per backend. */
export function intervalRows(results: readonly ResultFile[]): ExportRow[] {
  return results.flatMap((result) =>
    result.runs.flatMap((run) => {
      const key = runKey(result, run)
      return run.timeseries.map((i) => {
        const row: ExportRow = {
          ...key,
          tMs: i.tMs,
          durationMs: i.durationMs,
          rps: i.rps,
          sent: i.sent,
          ok: i.ok,
          failed: i.failed,
          latencyP50Us: i.latencyUs.p50,
          latencyP90Us: i.latencyUs.p90,
          latencyP99Us: i.latencyUs.p99,
          latencyMaxUs: i.latencyUs.max,
        }
        for (const [backend, n] of Object.entries(i.byBackend)) row[`backend.${backend}`] = n
        return row
      })
    }),
  )
}

/** The rows of a grain. */
export function exportRows(results: readonly ResultFile[], grain: ExportGrain): ExportRow[] {
  return grain === 'run' ? runRows(results) : intervalRows(results)
}
