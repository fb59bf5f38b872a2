/**
 * What a suite reports while it runs, as plain events: the runner emits them, a display (a live
 * terminal, plain lines for CI) reduces them to what it shows. Times are ms on one monotonic
 * clock chosen by whoever emits them.
 */
export type ProgressEvent =
  /** The whole suite, before anything runs: how many runs and how long their load lasts in all. */
  | { readonly type: 'suite'; readonly runs: number; readonly plannedMs: number }
  /** A run begins: backends and balancer start, then the warm-up. */
  | { readonly type: 'run-start'; readonly scenario: string; readonly run: string; readonly warmupMs: number; readonly durationMs: number; readonly atMs: number }
  /** The measured phase of the current run begins. */
  | { readonly type: 'measuring'; readonly atMs: number }
  /** One interval of the measured phase: requests sent and failed in it. */
  | { readonly type: 'sample'; readonly sent: number; readonly failed: number; readonly untilMs: number; readonly atMs: number }
  /** The current run ended (or could not run). */
  | { readonly type: 'run-end'; readonly run: FinishedRun; readonly atMs: number }

/** The figures of a finished run that a progress line shows. */
export interface FinishedRun {
  readonly scenario: string
  readonly run: string
  readonly skipped?: string
  readonly rps: number
  readonly p99Us: number
  readonly failed: number
  readonly expectationsFailed: number
}

/** Where a runner sends its progress. */
export type ProgressSink = (event: ProgressEvent) => void
