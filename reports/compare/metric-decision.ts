import { spread, type Spread } from '../result/aggregate.js'
import { bootstrapMedianRatio, type RatioInterval } from '../statistics/bootstrap.js'
import { mannWhitneyU, minimumPValue } from '../statistics/mann-whitney.js'
import type { ResolvedGateOptions, Verdict } from './comparison.js'
import type { MetricDefinition } from './metrics.js'

/** The gate's decision for one metric of one variant. */
export interface MetricDecision {
  readonly baseline: Spread
  readonly current: Spread
  readonly relativeChange: number | null
  readonly difference: number
  readonly pValue?: number
  readonly ratioInterval?: RatioInterval
  readonly verdict: Exclude<Verdict, 'missing' | 'new'>
  readonly reason: string
}

/** The two sides' per-repeat values of one metric, and whether the host was noisy for any of them. */
export interface MetricSamples {
  readonly baseline: readonly number[]
  readonly current: readonly number[]
  /** Runs (of either side) measured under heavy CPU steal. */
  readonly noisyRuns: number
  readonly totalRuns: number
}

/**
 * Decides whether a metric changed beyond the run-to-run noise.
 *
 * The effect is the change of the medians: relative for most metrics, in percentage points for the
 * error rate. With at least `minRepeats` values a side, a change counts when it exceeds the
 * metric's minimum AND the two-sided Mann-Whitney test rejects at `alpha`. With fewer values — or
 * sample sizes for which even complete separation cannot reach `alpha` (3 vs 3: p ≥ 0.1) — there
 * is no test, and a change counts when it exceeds `thresholdOnlyFactor` × the minimum. A change in
 * the bad direction is a regression, in the good one an improvement; either becomes inconclusive
 * when any run was measured under heavy CPU steal.
 */
export function decideMetric(metric: MetricDefinition, samples: MetricSamples, options: ResolvedGateOptions): MetricDecision {
  const baseline = spread(samples.baseline)
  const current = spread(samples.current)
  const difference = current.median - baseline.median
  const relativeChange = baseline.median === 0 ? (current.median === 0 ? 0 : null) : difference / Math.abs(baseline.median)
  const points = metric.change === 'points'
  // The effect in the unit of the minimum: a share, or percentage points.
  const effect = points ? difference * 100 : (relativeChange ?? Math.sign(difference) * Infinity)
  const minimum = points ? options.minErrorRatePoints : options.minChange[metric.id as keyof ResolvedGateOptions['minChange']]
  const worse = metric.better === 'higher' ? effect < 0 : effect > 0
  const change = points ? `${signed(difference * 100, 2)} pp` : relativeChange === null ? `from 0 to ${metric.format(current.median)}` : signed(relativeChange * 100, 1) + '%'
  const minText = points ? `${minimum} pp` : `${round(minimum * 100)}%`
  const common = {
    baseline,
    current,
    relativeChange,
    difference,
    ...(points ? {} : intervalOf(samples, options.seed)),
  }

  const nB = samples.baseline.length
  const nC = samples.current.length
  let changed: boolean
  let reason: string
  let pValue: number | undefined
  const testable = nB >= options.minRepeats && nC >= options.minRepeats
  if (testable) pValue = mannWhitneyU(samples.baseline, samples.current).pValue
  if (testable && minimumPValue(nB, nC) < options.alpha) {
    const p = pValue!
    const significant = p < options.alpha
    const beyond = Math.abs(effect) > minimum
    changed = significant && beyond
    // The reason names the test, so a reader of a CI log knows what the p-value is of.
    const pText = `Mann-Whitney p = ${formatP(p)}`
    if (changed) reason = `${change} beyond the ${minText} minimum and significant (${pText} < ${options.alpha})`
    else if (beyond) reason = `${change} but not significant (${pText} ≥ ${options.alpha}): within run-to-run noise`
    else reason = `${change} within the ${minText} minimum (${pText})`
  } else {
    const threshold = minimum * options.thresholdOnlyFactor
    const thresholdText = `${options.thresholdOnlyFactor} × ${minText} = ${points ? `${round(threshold)} pp` : `${round(threshold * 100)}%`}`
    changed = Math.abs(effect) > threshold
    const why = nB <= 1 && nC <= 1 ? 'no repeats' : testable ? `${nB} vs ${nC} repeats cannot reach p < ${options.alpha}` : `${nB} vs ${nC} repeats, too few for a test`
    reason = `${change} ${changed ? 'beyond' : 'within'} ${thresholdText}; ${why}: threshold only`
  }
  const withP = pValue === undefined ? common : { ...common, pValue }

  if (!changed) return { ...withP, verdict: 'unchanged', reason }
  const verdict = worse ? 'regression' : 'improvement'
  if (samples.noisyRuns > 0) {
    return {
      ...withP,
      verdict: 'inconclusive',
      reason: `inconclusive (noisy host): heavy CPU steal in ${samples.noisyRuns} of ${samples.totalRuns} runs; otherwise ${verdict === 'regression' ? 'a regression' : 'an improvement'}: ${reason}`,
    }
  }
  return { ...withP, verdict, reason }
}

function intervalOf(samples: MetricSamples, seed: number): { ratioInterval?: RatioInterval } {
  if (samples.baseline.length < 2 || samples.current.length < 2 || samples.baseline.some((v) => !(v > 0))) return {}
  return { ratioInterval: bootstrapMedianRatio(samples.baseline, samples.current, { seed }) }
}

function signed(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits)
  return Number(text) === 0 ? `±${text}` : `${x > 0 ? '+' : '-'}${text}`
}

function round(x: number): number {
  return Number(x.toPrecision(6))
}

/** A p-value with two significant digits; tiny ones in exponent notation. */
export function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(2)
}
