import { EMPTY_SUMMARY } from '../../engine/stats/latency-histogram.js'
import type { RunResult } from './result-model.js'

/** What identifies a run that could not happen: everything but measurements. */
export type SkippedRunIdentity = Pick<RunResult, 'id' | 'variant' | 'repeat' | 'balancer' | 'provider' | 'load' | 'startedAt'>

/**
 * A run that could not happen (a peer lacks a feature, rejected its configuration): the reason,
 * zero measurements, and a warning saying so — the one shape the runner writes and reports read.
 */
export function skippedRun(identity: SkippedRunIdentity, reason: string, expectations: RunResult['expectations'] = []): RunResult {
  return {
    ...identity,
    durationMs: 0,
    skipped: reason,
    summary: { rps: 0, requests: { sent: 0, ok: 0, failed: 0, failures: { byKind: {}, byStatus: {} } }, latencyUs: EMPTY_SUMMARY },
    backends: {},
    groups: {},
    timeseries: [],
    events: [],
    failover: [],
    cpu: { balancerUs: null, backendsUs: null, generatorUs: 0, perRequestUs: { balancer: null, backends: null, generator: 0 } },
    machine: { steal: 0, busy: 0, heavySteal: false },
    expectations,
    warnings: [`skipped: ${reason}`],
    histograms: {},
  }
}
