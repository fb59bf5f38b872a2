import type { FailoverResult, IntervalResult, RunEvent } from '../../reports/result/result-model.js'

/** Timeline actions that injure a backend. */
const FAULTS = new Set(['kill', 'pause', 'set-health', 'set-behaviour', 'remove-backend'])
/** Timeline actions that end an injury. */
const CURES = new Set(['restart', 'resume', 'set-health', 'set-behaviour', 'add-backend'])
/** Balancer events that say it noticed a backend going away. */
const NOTICED = new Set(['backend-down', 'backend-ejected', 'backend-drained'])

/**
 * Failover metrics for each fault of a run's timeline, from the traffic time series and the
 * events (timeline actions and what the balancer reported):
 * - detection: when the balancer reported the fault (health down, ejection), else the last failed
 *   request the fault caused (for peers that report nothing: traffic left the backend then);
 * - failed requests: failures from the fault until recovery;
 * - recovery: the first time after the fault from which two consecutive intervals are error-free
 *   and at ≥ 90% of the pre-fault throughput.
 * Resolution is the time series interval (scenarios about failover use short intervals).
 */
export function deriveFailover(timeseries: readonly IntervalResult[], events: readonly RunEvent[]): FailoverResult[] {
  const out: FailoverResult[] = []
  const timeline = events.filter((e) => e.source === 'timeline')
  for (const fault of timeline) {
    if (!FAULTS.has(fault.type)) continue
    // set-health and set-behaviour injure only when they make the backend worse.
    if (fault.type === 'set-health' && !/healthy false/.test(fault.detail ?? '')) continue
    if (fault.type === 'set-behaviour' && !/errorRate|resetRate|latency/.test(fault.detail ?? '')) continue
    const target = fault.target ?? ''
    const at = fault.tMs
    const cure = timeline.find((e) => e.tMs > at && CURES.has(e.type) && sameTarget(e.target, target))
    const end = cure?.tMs ?? Infinity
    const noticed = events.find((e) => e.source === 'balancer' && e.tMs >= at && e.tMs <= end && NOTICED.has(e.type) && sameTarget(e.target, target))
    const before = timeseries.filter((s) => s.tMs + s.durationMs <= at)
    const baseline = before.length === 0 ? 0 : before.slice(-5).reduce((sum, s) => sum + s.rps, 0) / Math.min(5, before.length)
    let recoveryMs: number | null = null
    let lastFailureMs: number | null = null
    let failed = 0
    const after = timeseries.filter((s) => s.tMs + s.durationMs > at && s.tMs < end)
    for (let i = 0; i < after.length; i++) {
      const s = after[i]!
      const healthy = (x: IntervalResult | undefined) => x !== undefined && x.failed === 0 && x.rps >= 0.9 * baseline
      if (recoveryMs === null && healthy(s) && healthy(after[i + 1])) {
        recoveryMs = Math.max(0, s.tMs - at)
        break
      }
      failed += s.failed
      if (s.failed > 0) lastFailureMs = Math.max(0, s.tMs + s.durationMs - at)
    }
    const noticedMs = noticed === undefined ? null : noticed.tMs - at
    out.push({
      fault: fault.type,
      target,
      atMs: at,
      detectionMs: noticedMs ?? lastFailureMs ?? (failed === 0 && recoveryMs !== null ? 0 : null),
      failedRequests: failed,
      recoveryMs,
      balancerNoticedMs: noticedMs,
    })
  }
  return out
}

/** `stable[0]` and `stable-0` name the same backend; a group name covers its members. */
function sameTarget(a: string | undefined, b: string): boolean {
  if (a === undefined) return false
  const norm = (x: string) => x.replace(/\[(\d+)\]$/, '-$1')
  const na = norm(a)
  const nb = norm(b)
  return na === nb || na.startsWith(`${nb}-`) || nb.startsWith(`${na}-`)
}
