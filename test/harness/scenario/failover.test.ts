import { describe, expect, it } from 'vitest'
import type { IntervalResult, RunEvent } from '../../../reports/result/result-model.js'
import { deriveFailover } from '../../../harness/scenario/failover.js'
import { EMPTY_SUMMARY } from '../../../engine/stats/latency-histogram.js'

const empty = EMPTY_SUMMARY
/** 250 ms intervals at 100 req/s with the given failures per interval. */
const series = (failed: number[]): IntervalResult[] =>
  failed.map((f, i) => ({ tMs: i * 250, durationMs: 250, rps: 100, sent: 25, ok: 25 - f, failed: f, latencyUs: empty, byBackend: {}, byStatus: {} }))

describe('failover metrics', () => {
  const kill: RunEvent = { tMs: 1000, source: 'timeline', type: 'kill', target: 'web[0]' }
  const restart: RunEvent = { tMs: 3000, source: 'timeline', type: 'restart', target: 'web[0]' }

  it('takes detection from the balancer’s report when there is one', () => {
    const events: RunEvent[] = [kill, { tMs: 1300, source: 'balancer', type: 'backend-down', target: 'web-0' }, restart]
    const [f] = deriveFailover(series([0, 0, 0, 0, 5, 3, 0, 0, 0, 0, 0, 0, 0]), events)
    expect(f).toMatchObject({ fault: 'kill', target: 'web[0]', atMs: 1000, detectionMs: 300, balancerNoticedMs: 300, failedRequests: 8, recoveryMs: 500 })
  })

  it('falls back to the end of the failure burst when the balancer says nothing (peers)', () => {
    const [f] = deriveFailover(series([0, 0, 0, 0, 5, 3, 1, 0, 0, 0, 0, 0, 0]), [kill, restart])
    expect(f).toMatchObject({ detectionMs: 750, balancerNoticedMs: null, failedRequests: 9, recoveryMs: 750 })
  })

  it('counts a fault hidden by retries as detected at once with no failures', () => {
    const [f] = deriveFailover(series([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), [kill, restart])
    expect(f).toMatchObject({ detectionMs: 0, failedRequests: 0, recoveryMs: 0 })
  })

  it('reports no recovery when errors last until the end', () => {
    const [f] = deriveFailover(series([0, 0, 0, 0, 5, 5, 5, 5]), [kill])
    expect(f).toMatchObject({ recoveryMs: null, failedRequests: 20 })
  })

  it('ignores actions that do not injure, and behaviour changes that only help', () => {
    const events: RunEvent[] = [
      { tMs: 500, source: 'timeline', type: 'set-weight', target: 'web', detail: 'weight 5' },
      { tMs: 600, source: 'timeline', type: 'set-health', target: 'web[1]', detail: 'healthy true' },
      { tMs: 700, source: 'timeline', type: 'set-behaviour', target: 'web[1]', detail: 'responseBytes=10' },
    ]
    expect(deriveFailover(series([0, 0, 0, 0]), events)).toEqual([])
  })
})
