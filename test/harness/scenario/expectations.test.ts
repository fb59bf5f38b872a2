import { describe, expect, it } from 'vitest'
import { judgeExpectations, type JudgedRun } from '../../../harness/scenario/expectations.js'
import { expectationSchema } from '../../../harness/scenario/scenario-schema.js'

const latency = { count: 100, min: 10, mean: 50, p50: 40, p90: 80, p99: 200, p999: 900, max: 1000 }
const run = (over: Partial<JudgedRun> = {}): JudgedRun => ({
  summary: { rps: 1000, requests: { sent: 1000, ok: 990, failed: 10, failures: { byKind: { status: 10 }, byStatus: { '503': 10 } } }, latencyUs: latency },
  groups: { stable: { requests: 940, share: 0.949 }, canary: { requests: 50, share: 0.051 } },
  backends: { 's-0': { group: 'stable', requests: 470 }, 's-1': { group: 'stable', requests: 470 }, 'c-0': { group: 'canary', requests: 50 } },
  failover: [],
  ...over,
})
const judge = (e: unknown, r = run(), label = {}) => judgeExpectations([expectationSchema.parse(e)], label, r)

describe('expectations', () => {
  it.each([
    [{ errorRate: { max: 0.02 } }, true, '0.01000 (10 of 1000)'],
    [{ errorRate: { max: 0.005 } }, false, '0.01000 (10 of 1000)'],
    [{ rps: { min: 900 } }, true, '1000 req/s'],
    [{ rps: { min: 500, max: 800 } }, false, '1000 req/s'],
    [{ latency: { percentile: 'p99', maxUs: 250 } }, true, '200 µs'],
    [{ latency: { percentile: 'p999', maxUs: 250 } }, false, '900 µs'],
    [{ latency: { percentile: 'p99', maxUs: 250, corrected: true } }, false, 'not measured'],
  ])('%j → pass %s, actual %s', (e, pass, actual) => {
    const [o] = judge(e)
    expect(o!.pass).toBe(pass)
    expect(o!.actual).toBe(actual)
  })

  it('checks group shares with tolerance and χ²', () => {
    expect(judge({ share: { groups: { stable: 95, canary: 5 }, tolerance: 0.01 } })[0]!.pass).toBe(true)
    expect(judge({ share: { groups: { stable: 80, canary: 20 }, tolerance: 0.01 } })[0]!.pass).toBe(false)
    // Within tolerance but clearly off by χ² over many requests.
    const big = run({ groups: { stable: { requests: 94_000, share: 0.94 }, canary: { requests: 6000, share: 0.06 } } })
    const o = judge({ share: { groups: { stable: 95, canary: 5 }, tolerance: 0.02 } }, big)[0]!
    expect(o.pass).toBe(false)
    expect(o.actual).toMatch(/χ² p = /)
  })

  it('checks an even share among the backends of a group', () => {
    expect(judge({ share: { backendsOf: 'stable' } })[0]!.pass).toBe(true)
    const skewed = run({ backends: { 's-0': { group: 'stable', requests: 700 }, 's-1': { group: 'stable', requests: 240 } } })
    expect(judge({ share: { backendsOf: 'stable' } }, skewed)[0]!.pass).toBe(false)
  })

  it('judges failover per fault, and fails when no fault was measured', () => {
    const fo = { fault: 'kill', target: 'web[0]', atMs: 3000, detectionMs: 400, failedRequests: 30, recoveryMs: 900, balancerNoticedMs: 400 }
    const out = judge({ failover: { detectionMs: { max: 500 }, failedRequests: { max: 10 } } }, run({ failover: [fo] }))
    expect(out.map((o) => o.pass)).toEqual([true, false])
    expect(judge({ failover: { detectionMs: { max: 500 } } }, run({ failover: [{ ...fo, detectionMs: null }] }))[0]).toMatchObject({ pass: false, actual: 'never' })
    expect(judge({ failover: { detectionMs: { max: 500 } } })[0]).toMatchObject({ pass: false, actual: 'no fault measured' })
  })

  it('judges stickiness and routing only when measured', () => {
    expect(judge({ stickyViolations: { max: 0.01 } })[0]!.pass).toBe(false)
    expect(judge({ stickyViolations: { max: 0.01 } }, run({ sticky: { sessions: 10, requests: 1000, violations: 5, violationRate: 0.005, imbalance: 1.2 } }))[0]!.pass).toBe(true)
    expect(judge({ misrouted: { max: 0 } }, run({ routing: { checked: 100, misrouted: 0 } }))[0]!.pass).toBe(true)
    expect(judge({ misrouted: { max: 0 } }, run({ routing: { checked: 0, misrouted: 0 } }))[0]!.pass).toBe(false)
  })

  it('applies an expectation only to the variants its `when` selects', () => {
    const e = { errorRate: { max: 0 }, when: { layer: [4, 'L4'] } }
    expect(judge(e, run(), { layer: 7 })).toHaveLength(0)
    expect(judge(e, run(), { layer: 'L4' })).toHaveLength(1)
  })
})
