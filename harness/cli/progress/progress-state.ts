import type { FinishedRun, ProgressEvent } from '../../runner/run-progress.js'

/** The run being measured now, as far as the events tell. */
export interface CurrentRun {
  readonly scenario: string
  readonly run: string
  readonly startedAtMs: number
  /** Load time the run plans: warm-up plus measured duration. */
  readonly plannedMs: number
  readonly durationMs: number
  /** When the measured phase began; undefined while backends start and the load warms up. */
  readonly measuringSinceMs?: number
  readonly sent: number
  readonly failed: number
  /** End of the last interval counted, ms into the measured phase. */
  readonly countedMs: number
}

/** What a progress display knows: a pure function of the events so far. */
export interface ProgressState {
  readonly total: number
  readonly done: number
  readonly plannedTotalMs: number
  readonly plannedDoneMs: number
  /** Wall time the finished runs took, start-up and tear-down included. */
  readonly wallDoneMs: number
  readonly expectationsFailed: number
  readonly current?: CurrentRun
  readonly last?: FinishedRun
}

/** The state before the first event. */
export const initialProgress: ProgressState = { total: 0, done: 0, plannedTotalMs: 0, plannedDoneMs: 0, wallDoneMs: 0, expectationsFailed: 0 }

/** The reducer: the state after one more event. Events that do not fit the state are ignored. */
export function reduceProgress(state: ProgressState, event: ProgressEvent): ProgressState {
  switch (event.type) {
    case 'suite':
      return { ...state, total: state.total + event.runs, plannedTotalMs: state.plannedTotalMs + event.plannedMs }
    case 'run-start':
      return {
        ...state,
        current: { scenario: event.scenario, run: event.run, startedAtMs: event.atMs, plannedMs: event.warmupMs + event.durationMs, durationMs: event.durationMs, sent: 0, failed: 0, countedMs: 0 },
      }
    case 'measuring':
      return state.current === undefined ? state : { ...state, current: { ...state.current, measuringSinceMs: event.atMs } }
    case 'sample': {
      const c = state.current
      if (c === undefined) return state
      return { ...state, current: { ...c, sent: c.sent + event.sent, failed: c.failed + event.failed, countedMs: Math.max(c.countedMs, event.untilMs) } }
    }
    case 'run-end': {
      const c = state.current
      const { current: _, ...rest } = state
      return {
        ...rest,
        done: state.done + 1,
        plannedDoneMs: state.plannedDoneMs + (c?.plannedMs ?? 0),
        wallDoneMs: state.wallDoneMs + (c === undefined ? 0 : event.atMs - c.startedAtMs),
        expectationsFailed: state.expectationsFailed + event.run.expectationsFailed,
        last: event.run,
      }
    }
  }
}

/** ms of the current run's measured phase elapsed at `nowMs`, capped at its duration. */
export function measuredElapsedMs(c: CurrentRun, nowMs: number): number {
  return c.measuringSinceMs === undefined ? 0 : Math.min(c.durationMs, Math.max(0, nowMs - c.measuringSinceMs))
}

/** Requests per second of the current run over the intervals counted so far. */
export function currentRps(c: CurrentRun): number {
  return c.countedMs > 0 ? c.sent / (c.countedMs / 1000) : 0
}

/**
 * ms until the suite ends, estimated at `nowMs`: the load time still planned, scaled by how much
 * longer than their load the finished runs took (start-up, warm-up, tear-down), less what the
 * current run has already spent. Before any run has finished the scale is 1, an underestimate.
 */
export function etaMs(state: ProgressState, nowMs: number): number {
  const scale = state.plannedDoneMs > 0 ? state.wallDoneMs / state.plannedDoneMs : 1
  const remaining = Math.max(0, state.plannedTotalMs - state.plannedDoneMs) * scale
  const spent = state.current === undefined ? 0 : nowMs - state.current.startedAtMs
  return Math.max(0, remaining - spent)
}
