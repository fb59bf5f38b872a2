import { describe, expect, it } from 'vitest'
import { finishedLine, formatDuration, runLine, suiteLine } from '../../../harness/cli/progress/progress-lines.js'
import { currentRps, etaMs, initialProgress, measuredElapsedMs, reduceProgress, type ProgressState } from '../../../harness/cli/progress/progress-state.js'
import type { FinishedRun, ProgressEvent } from '../../../harness/runner/run-progress.js'

const finished = (run: string, extra: Partial<FinishedRun> = {}): FinishedRun => ({ scenario: 's', run, rps: 100, p99Us: 2500, failed: 0, expectationsFailed: 0, ...extra })
const replay = (events: readonly ProgressEvent[]): ProgressState => events.reduce(reduceProgress, initialProgress)

// Three runs of 1 s warm-up + 4 s load each: 15 s of planned load.
const suite: ProgressEvent = { type: 'suite', runs: 3, plannedMs: 15_000 }
const start = (run: string, atMs: number): ProgressEvent => ({ type: 'run-start', scenario: 's', run, warmupMs: 1000, durationMs: 4000, atMs })

describe('progress state from run events', () => {
  it('counts the current run’s requests and errors interval by interval', () => {
    const s = replay([
      suite,
      start('a #1', 0),
      { type: 'measuring', atMs: 2000 },
      { type: 'sample', sent: 100, failed: 0, untilMs: 500, atMs: 2500 },
      { type: 'sample', sent: 100, failed: 7, untilMs: 1000, atMs: 3000 },
    ])
    expect(s.current).toMatchObject({ run: 'a #1', sent: 200, failed: 7, countedMs: 1000, measuringSinceMs: 2000 })
    expect(currentRps(s.current!)).toBe(200)
    expect(measuredElapsedMs(s.current!, 3250)).toBe(1250)
    // Elapsed never passes the duration, whatever the clock says.
    expect(measuredElapsedMs(s.current!, 60_000)).toBe(4000)
    expect(runLine(s, 3250)).toBe('s a #1  [######--------------] 1.3/4.0 s  200 req/s  7 error(s)')
  })

  it('a finished run moves the suite on and leaves one line', () => {
    const s = replay([suite, start('a #1', 0), { type: 'measuring', atMs: 2000 }, { type: 'run-end', run: finished('a #1', { expectationsFailed: 2, failed: 39 }), atMs: 10_000 }])
    expect(s).toMatchObject({ done: 1, total: 3, plannedDoneMs: 5000, wallDoneMs: 10_000, expectationsFailed: 2 })
    expect(s.current).toBeUndefined()
    expect(finishedLine(s.last!, s.done, s.total)).toBe('[1/3] s a #1: 100 req/s, p99 2500 µs, 39 failed, 2 expectation(s) failed')
    expect(finishedLine(finished('b #1', { skipped: 'nginx is not available' }), 2, 3)).toBe('[2/3] s b #1: skipped (nginx is not available)')
    expect(suiteLine(s, 10_000)).toBe('suite [#######-------------] 1/3 runs  ETA 20 s  2 expectation(s) failed')
  })

  it.each<[string, ProgressEvent[], number, number]>([
    // Nothing finished: the planned load time, less what the current run has spent.
    ['before any run', [suite], 0, 15_000],
    ['during the first run', [suite, start('a #1', 0)], 3000, 12_000],
    // The first run took twice its planned 5 s: the 10 s still planned will take 20 s.
    ['after a slow run', [suite, start('a #1', 0), { type: 'run-end', run: finished('a #1'), atMs: 10_000 }], 10_000, 20_000],
    ['during the second run', [suite, start('a #1', 0), { type: 'run-end', run: finished('a #1'), atMs: 10_000 }, start('a #2', 10_000)], 14_000, 16_000],
    // A run slower than the estimate does not make the time left negative.
    ['a run far over its estimate', [suite, start('a #1', 0)], 60_000, 0],
  ])('ETA %s', (_, events, nowMs, expected) => {
    expect(etaMs(replay(events), nowMs)).toBe(expected)
  })

  it('ignores samples with no run to count them against', () => {
    expect(replay([suite, { type: 'sample', sent: 5, failed: 5, untilMs: 250, atMs: 1 }])).toEqual(replay([suite]))
  })

  it.each([
    [400, '0 s'],
    [42_000, '42 s'],
    [185_000, '3 min 05 s'],
    [3_720_000, '1 h 02 min'],
  ])('formats %d ms as %s', (ms, text) => expect(formatDuration(ms)).toBe(text))
})
