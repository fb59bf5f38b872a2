import type { IntervalResult } from '../../reports/result/result-model.js'

/** A span of the measured phase, ms after its start. */
export interface TimeWindow {
  readonly from: number
  readonly to: number
}

/** Intervals that start and end within 1 µs of a window's edges still count as inside it. */
const EDGE_MS = 0.001

/** The time series intervals that lie wholly inside a window. */
export function intervalsIn(timeseries: readonly IntervalResult[], w: TimeWindow): IntervalResult[] {
  return timeseries.filter((s) => s.tMs >= w.from - EDGE_MS && s.tMs + s.durationMs <= w.to + EDGE_MS)
}

/** Successful answers per backend within a window (the intervals' `byBackend`). */
export function backendCountsIn(timeseries: readonly IntervalResult[], w: TimeWindow): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of intervalsIn(timeseries, w)) for (const [id, n] of Object.entries(s.byBackend)) out[id] = (out[id] ?? 0) + n
  return out
}

/** Successful answers per group within a window; backends of unknown group count as `unknown`. */
export function groupCountsIn(timeseries: readonly IntervalResult[], w: TimeWindow, groupOf: (backend: string) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [id, n] of Object.entries(backendCountsIn(timeseries, w))) {
    const g = groupOf(id) ?? 'unknown'
    out[g] = (out[g] ?? 0) + n
  }
  return out
}

/**
 * Requests completed within a window, and how many of them failed. Completions, not sends: a
 * failure counts where it was noticed, as the time series records it.
 */
export function completionsIn(timeseries: readonly IntervalResult[], w: TimeWindow): { completed: number; failed: number; intervals: number } {
  const inside = intervalsIn(timeseries, w)
  let ok = 0
  let failed = 0
  for (const s of inside) {
    ok += s.ok
    failed += s.failed
  }
  return { completed: ok + failed, failed, intervals: inside.length }
}

/** `2–4.5 s` */
export function windowText(w: TimeWindow): string {
  const s = (ms: number) => String(Math.round(ms) / 1000)
  return `${s(w.from)}–${s(w.to)} s`
}
