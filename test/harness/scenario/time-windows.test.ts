import { describe, expect, it } from 'vitest'
import type { IntervalResult } from '../../../reports/result/result-model.js'
import { backendCountsIn, completionsIn, groupCountsIn, intervalsIn, windowText } from '../../../harness/scenario/time-windows.js'
import { EMPTY_SUMMARY } from '../../../engine/stats/latency-histogram.js'

const latency = EMPTY_SUMMARY
/** Four 500 ms intervals: a on its own, then a and b, then b with failures. */
const series: IntervalResult[] = [
  { tMs: 0, durationMs: 500, rps: 200, sent: 100, ok: 100, failed: 0, latencyUs: latency, byBackend: { 'a-0': 100 }, byStatus: {} },
  { tMs: 500, durationMs: 500, rps: 200, sent: 100, ok: 100, failed: 0, latencyUs: latency, byBackend: { 'a-0': 50, 'b-0': 50 }, byStatus: {} },
  { tMs: 1000, durationMs: 500, rps: 200, sent: 100, ok: 90, failed: 10, latencyUs: latency, byBackend: { 'b-0': 90 }, byStatus: { '500': 10 } },
  { tMs: 1500, durationMs: 500, rps: 200, sent: 100, ok: 80, failed: 20, latencyUs: latency, byBackend: { 'b-0': 80 }, byStatus: { '500': 20 } },
]

describe('time windows', () => {
  it.each([
    [{ from: 0, to: 2000 }, [0, 500, 1000, 1500]],
    [{ from: 500, to: 1500 }, [500, 1000]],
    // Partly covered intervals are left out.
    [{ from: 250, to: 1750 }, [500, 1000]],
    [{ from: 600, to: 900 }, []],
  ])('%j holds the intervals starting at %j', (w, starts) => {
    expect(intervalsIn(series, w).map((s) => s.tMs)).toEqual(starts)
  })

  it('counts answers per backend and per group within a window', () => {
    expect(backendCountsIn(series, { from: 0, to: 1000 })).toEqual({ 'a-0': 150, 'b-0': 50 })
    expect(groupCountsIn(series, { from: 500, to: 2000 }, (id) => (id === 'a-0' ? 'stable' : id === 'b-0' ? 'canary' : undefined))).toEqual({ stable: 50, canary: 220 })
    expect(groupCountsIn(series, { from: 0, to: 500 }, () => undefined)).toEqual({ unknown: 100 })
  })

  it('counts completions and failures within a window', () => {
    expect(completionsIn(series, { from: 1000, to: 2000 })).toEqual({ completed: 200, failed: 30, intervals: 2 })
    expect(completionsIn(series, { from: 3000, to: 4000 })).toEqual({ completed: 0, failed: 0, intervals: 0 })
  })

  it('prints a window in seconds', () => {
    expect(windowText({ from: 500, to: 3000 })).toBe('0.5–3 s')
  })
})
