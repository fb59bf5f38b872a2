import { formatCount, formatUs } from '../../../reports/render/format.js'
import type { FinishedRun } from '../../runner/run-progress.js'
import { currentRps, etaMs, measuredElapsedMs, type ProgressState } from './progress-state.js'

/** A duration for people: `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** A text bar of `width` cells for a fraction in [0, 1]. */
export function textBar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}

/** The live line of the current run: variant, elapsed / duration, req/s, errors so far. */
export function runLine(state: ProgressState, nowMs: number): string {
  const c = state.current
  if (c === undefined) return state.done < state.total ? 'next run: starting' : 'runs finished'
  const name = `${c.scenario} ${c.run}`
  if (c.measuringSinceMs === undefined) return `${name}  starting backends and balancer, warming up`
  const elapsed = measuredElapsedMs(c, nowMs)
  return `${name}  ${textBar(elapsed / c.durationMs)} ${(elapsed / 1000).toFixed(1)}/${(c.durationMs / 1000).toFixed(1)} s  ${formatCount(currentRps(c))} req/s  ${formatCount(c.failed)} error(s)`
}

/** The suite line: runs done / total and the estimated time left. */
export function suiteLine(state: ProgressState, nowMs: number): string {
  const failed = state.expectationsFailed > 0 ? `  ${state.expectationsFailed} expectation(s) failed` : ''
  const eta = state.done >= state.total ? 'done' : `ETA ${formatDuration(etaMs(state, nowMs))}`
  return `suite ${textBar(state.total === 0 ? 0 : state.done / state.total)} ${state.done}/${state.total} runs  ${eta}${failed}`
}

/** The one line a finished run leaves behind, numbered in the suite. */
export function finishedLine(run: FinishedRun, done: number, total: number): string {
  const figures =
    run.skipped !== undefined
      ? `skipped (${run.skipped})`
      : `${run.rps.toFixed(0)} req/s, p99 ${formatUs(run.p99Us)}, ${run.failed} failed${run.expectationsFailed > 0 ? `, ${run.expectationsFailed} expectation(s) failed` : ''}`
  return `[${done}/${total}] ${run.scenario} ${run.run}: ${figures}`
}
