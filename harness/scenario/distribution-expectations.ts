/**
 * Expectations about how traffic spread — a group's share in a time window, fairness over
 * backends, keys remapped at membership changes — and error rates within a window. Pure: judged
 * from a run's saved result (time series, `fairness`, `remap`), so result.json can be judged again.
 */
import type { RunResult } from '../../reports/result/result-model.js'
import { completionsIn, groupCountsIn, windowText, type TimeWindow } from './time-windows.js'

type Range = { readonly min?: number | undefined; readonly max?: number | undefined }

/** Judged outcome, as `ExpectationOutcome`. */
export interface Outcome {
  readonly name: string
  readonly expected: string
  readonly actual: string
  readonly pass: boolean
}

/** The parts of a run these judgements read (all optional in older results). */
export interface DistributionRun {
  readonly groups: RunResult['groups']
  readonly backends: RunResult['backends']
  readonly timeseries?: RunResult['timeseries'] | undefined
  readonly fairness?: RunResult['fairness'] | undefined
  readonly remap?: RunResult['remap'] | undefined
}

const fmt = (x: number, digits = 3) => (Number.isInteger(x) ? String(x) : x.toFixed(digits))
const pct = (x: number) => `${(x * 100).toFixed(2)}%`
const inRange = (x: number, r: Range) => (r.min === undefined || x >= r.min) && (r.max === undefined || x <= r.max)
function rangeText(r: Range, show: (x: number) => string = (x) => fmt(x)): string {
  if (r.min !== undefined && r.max !== undefined) return `${show(r.min)}–${show(r.max)}`
  return r.min !== undefined ? `≥ ${show(r.min)}` : `≤ ${show(r.max!)}`
}

/** Successful answers per group, over the run or within a window. */
export function groupCounts(run: DistributionRun, window: TimeWindow | undefined): Record<string, number> {
  if (window === undefined) return Object.fromEntries(Object.entries(run.groups).map(([g, v]) => [g, v.requests]))
  return groupCountsIn(run.timeseries ?? [], window, (id) => run.backends[id]?.group)
}

/** `groupShare`: one group's share of the successful answers, within bounds. */
export function judgeGroupShare(name: string | undefined, want: Range & { readonly group: string; readonly window?: TimeWindow | undefined }, run: DistributionRun): Outcome {
  const counts = groupCounts(run, want.window)
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  const mine = counts[want.group] ?? 0
  const share = total === 0 ? 0 : mine / total
  const where = want.window === undefined ? '' : ` in ${windowText(want.window)}`
  return {
    name: name ?? `${want.group} share${where}`,
    expected: rangeText(want, pct),
    actual: total === 0 ? `no answers${where}` : `${pct(share)} (${mine} of ${total})`,
    pass: total > 0 && inRange(share, want),
  }
}

/** `errorRate` with a window: failed / completed of the requests completed within it. */
export function judgeWindowedErrorRate(name: string | undefined, range: Range, window: TimeWindow, run: DistributionRun): Outcome {
  const c = completionsIn(run.timeseries ?? [], window)
  const rate = c.completed === 0 ? 0 : c.failed / c.completed
  return {
    name: name ?? `error rate in ${windowText(window)}`,
    expected: rangeText(range),
    actual: c.completed === 0 ? `no requests completed in ${windowText(window)}` : `${fmt(rate, 5)} (${c.failed} of ${c.completed})`,
    pass: c.completed > 0 && inRange(rate, range),
  }
}

/** `fairness`: the spread of requests over backends. */
export function judgeFairness(name: string | undefined, want: { readonly maxOverMean?: Range | undefined; readonly cv?: Range | undefined }, run: DistributionRun): Outcome {
  const f = run.fairness
  const parts: [string, Range | undefined, number | undefined][] = [
    ['max/mean', want.maxOverMean, f?.maxOverMean],
    ['cv', want.cv, f?.cv],
  ]
  const asked = parts.filter(([, r]) => r !== undefined)
  return {
    name: name ?? 'fairness over backends',
    expected: asked.map(([what, r]) => `${what} ${rangeText(r!)}`).join(', '),
    actual: f === undefined ? 'not measured' : asked.map(([what, , v]) => `${what} ${fmt(v!)}`).join(', '),
    pass: f !== undefined && asked.every(([, r, v]) => inRange(v!, r!)),
  }
}

/** `remap`: at every membership change, the share of keys moved and moved without need. */
export function judgeRemap(name: string | undefined, want: { readonly moved?: Range | undefined; readonly excess?: Range | undefined }, run: DistributionRun): Outcome[] {
  const changes = run.remap ?? []
  const expected = [want.moved === undefined ? undefined : `moved ${rangeText(want.moved, pct)}`, want.excess === undefined ? undefined : `moved without need ${rangeText(want.excess, pct)}`].filter(Boolean).join(', ')
  if (changes.length === 0) return [{ name: name ?? 'keys remapped', expected, actual: 'not measured (a membership change and load.clients > 1 needed)', pass: false }]
  return changes.map((c) => {
    const excess = c.keys === 0 ? 0 : (c.moved - c.minimal) / c.keys
    return {
      name: name === undefined ? `keys remapped at ${c.change}` : `${name}: ${c.change}`,
      expected,
      actual: `moved ${pct(c.movedShare)} (${c.moved} of ${c.keys} keys; had to: ${pct(c.minimalShare)}, ideal 1/N ${pct(c.idealShare)}), without need ${pct(excess)}`,
      pass: c.keys > 0 && (want.moved === undefined || inRange(c.movedShare, want.moved)) && (want.excess === undefined || inRange(excess, want.excess)),
    }
  })
}
