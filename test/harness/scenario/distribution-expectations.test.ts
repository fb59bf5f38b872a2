import { describe, expect, it } from 'vitest'
import { judgeExpectations, type JudgedRun } from '../../../harness/scenario/expectations.js'
import { expectationSchema } from '../../../harness/scenario/scenario-schema.js'
import type { IntervalResult } from '../../../reports/result/result-model.js'
import { EMPTY_SUMMARY } from '../../../engine/stats/latency-histogram.js'

const latency = EMPTY_SUMMARY
const interval = (tMs: number, byBackend: Record<string, number>, failed = 0): IntervalResult => {
  const ok = Object.values(byBackend).reduce((a, b) => a + b, 0)
  return { tMs, durationMs: 1000, rps: ok + failed, sent: ok + failed, ok, failed, latencyUs: latency, byBackend, byStatus: failed > 0 ? { '500': failed } : {} }
}
/** A canary step: 5 % of answers for 2 s, then 50 % with failures for 2 s. */
const run = (over: Partial<JudgedRun> = {}): JudgedRun => ({
  summary: { rps: 1000, requests: { sent: 4040, ok: 4000, failed: 40, failures: { byKind: { status: 40 }, byStatus: { '500': 40 } } }, latencyUs: latency },
  groups: { stable: { requests: 2900, share: 0.725 }, canary: { requests: 1100, share: 0.275 } },
  backends: { 's-0': { group: 'stable', requests: 2900 }, 'c-0': { group: 'canary', requests: 1100 } },
  failover: [],
  timeseries: [interval(0, { 's-0': 950, 'c-0': 50 }), interval(1000, { 's-0': 950, 'c-0': 50 }), interval(2000, { 's-0': 500, 'c-0': 500 }, 20), interval(3000, { 's-0': 500, 'c-0': 500 }, 20)],
  ...over,
})
const judge = (e: unknown, r = run(), label = {}) => judgeExpectations([expectationSchema.parse(e)], label, r)

describe('windowed share and error rate', () => {
  it('judges a share within a window from the time series', () => {
    expect(judge({ share: { groups: { stable: 95, canary: 5 }, window: { from: '0s', to: '2s' } } })[0]).toMatchObject({ pass: true, actual: expect.stringMatching(/canary 5% of 2000/), name: expect.stringMatching(/^group in 0–2 s shares/) })
    expect(judge({ share: { groups: { stable: 50, canary: 50 }, window: { from: '2s', to: '4s' } } })[0]!.pass).toBe(true)
    // The whole run is neither.
    expect(judge({ share: { groups: { stable: 95, canary: 5 } } })[0]!.pass).toBe(false)
    expect(judge({ share: { groups: { stable: 50, canary: 50 }, window: { from: '0s', to: '2s' } } })[0]!.pass).toBe(false)
  })

  it('an arm at zero weight must get nothing', () => {
    const r = run({ timeseries: [interval(0, { 'c-0': 1000 })] })
    expect(judge({ share: { groups: { stable: 0, canary: 100 }, tolerance: 0.005, window: { from: 0, to: 1000 } } }, r)[0]!.pass).toBe(true)
    expect(judge({ share: { groups: { stable: 0, canary: 100 }, tolerance: 0.005, window: { from: 0, to: 1000 } } })[0]!.pass).toBe(false)
  })

  it('judges an even spread over a group’s backends within a window', () => {
    const r = run({ backends: { 's-0': { group: 'stable', requests: 10 }, 's-1': { group: 'stable', requests: 990 } }, timeseries: [interval(0, { 's-0': 500, 's-1': 500 })] })
    expect(judge({ share: { backendsOf: 'stable', window: { from: 0, to: 1000 } } }, r)[0]!.pass).toBe(true)
    expect(judge({ share: { backendsOf: 'stable' } }, r)[0]!.pass).toBe(false)
  })

  it('judges the error rate of the requests completed within a window', () => {
    expect(judge({ errorRate: { max: 0 }, window: { from: '0s', to: '2s' } })[0]).toMatchObject({ pass: true, actual: '0 (0 of 2000)', name: 'error rate in 0–2 s' })
    expect(judge({ errorRate: { min: 0.015, max: 0.025 }, window: { from: '2s', to: '4s' } })[0]).toMatchObject({ pass: true, actual: '0.01961 (40 of 2040)' })
    expect(judge({ errorRate: { max: 0.1 }, window: { from: '10s', to: '12s' } })[0]).toMatchObject({ pass: false, actual: 'no requests completed in 10–12 s' })
  })
})

describe('groupShare', () => {
  it.each([
    [{ group: 'canary', max: 0.3 }, true, '27.50% (1100 of 4000)'],
    [{ group: 'canary', max: 0.25 }, false, '27.50% (1100 of 4000)'],
    [{ group: 'canary', min: 0.45, max: 0.55, window: { from: '2s', to: '4s' } }, true, '50.00% (1000 of 2000)'],
    [{ group: 'nobody', max: 0.1 }, true, '0.00% (0 of 4000)'],
    [{ group: 'canary', min: 0.1, window: { from: '9s', to: '10s' } }, false, 'no answers in 9–10 s'],
  ])('%j → %s', (groupShare, pass, actual) => {
    expect(judge({ groupShare })[0]).toMatchObject({ pass, actual })
  })

  it('needs a bound', () => {
    expect(expectationSchema.safeParse({ groupShare: { group: 'x' } }).success).toBe(false)
  })
})

describe('fairness', () => {
  it('judges the spread when measured', () => {
    const r = run({ fairness: { maxOverMean: 1.2, cv: 0.3 } })
    expect(judge({ fairness: { maxOverMean: { max: 1.25 } } }, r)[0]).toMatchObject({ pass: true, actual: 'max/mean 1.200' })
    expect(judge({ fairness: { maxOverMean: { max: 1.25 }, cv: { max: 0.2 } } }, r)[0]).toMatchObject({ pass: false, expected: 'max/mean ≤ 1.250, cv ≤ 0.200' })
    expect(judge({ fairness: { cv: { max: 1 } } })[0]).toMatchObject({ pass: false, actual: 'not measured' })
  })
})

describe('remap', () => {
  const change = (moved: number, minimal: number) => ({ atMs: 2500, change: 'remove-backend cache[2]', keys: 200, moved, minimal, backendsBefore: 5, backendsAfter: 4, movedShare: moved / 200, minimalShare: minimal / 200, idealShare: 0.2 })
  it('judges every membership change', () => {
    const r = run({ remap: [change(40, 40), change(60, 40)] })
    const out = judge({ name: 'minimal', remap: { moved: { max: 0.35 }, excess: { max: 0.05 } } }, r)
    expect(out.map((o) => o.pass)).toEqual([true, false])
    expect(out[1]!.actual).toBe('moved 30.00% (60 of 200 keys; had to: 20.00%, ideal 1/N 20.00%), without need 10.00%')
    expect(out[0]!.name).toBe('minimal: remove-backend cache[2]')
  })

  it('fails when nothing was measured', () => {
    expect(judge({ remap: { excess: { max: 0 } } })[0]).toMatchObject({ pass: false, actual: expect.stringMatching(/not measured/) })
  })
})
