import { z } from 'zod'
import { EngineError, formatPath } from '../../engine/errors.js'
import type { Spread } from '../result/aggregate.js'
import type { RatioInterval } from '../statistics/bootstrap.js'
import type { Metric, RelativeMetric } from './metrics.js'

/**
 * What the gate concluded for one metric of one variant:
 * `regression`/`improvement` — changed beyond the noise, in the bad/good direction;
 * `unchanged` — within the noise or below the minimum change;
 * `inconclusive` — would have been a change, but runs were measured under heavy CPU steal;
 * `missing` — in the baseline, not measured now; `new` — measured now, not in the baseline.
 */
export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'inconclusive' | 'missing' | 'new'

/** One line of a comparison. */
export interface ComparisonRow {
  readonly scenario: string
  /** The variant's key (`balancer=engine fault=dead`; '' for a scenario without variants); null: the whole scenario. */
  readonly variant: string | null
  /** null for a row about a whole variant or scenario (missing, new, skipped). */
  readonly metric: Metric | null
  readonly baseline?: Spread
  readonly current?: Spread
  /** (current − baseline) / baseline of the medians; null when the baseline median is 0. */
  readonly relativeChange?: number | null
  /** current − baseline of the medians, in the metric's unit (a fraction for the error rate). */
  readonly difference?: number
  /** Two-sided Mann-Whitney p-value, when both sides had enough repeats for the test. */
  readonly pValue?: number
  /** Bootstrap interval of the ratio of medians, when both sides have two values or more. */
  readonly ratioInterval?: RatioInterval
  readonly verdict: Verdict
  /** One line saying why. */
  readonly reason: string
}

/** An expectation that failed in the current results: a failure whatever the baseline says. */
export interface ExpectationFailure {
  readonly scenario: string
  readonly variant: string
  readonly run: string
  readonly name: string
  readonly expected: string
  readonly actual: string
}

/** The regression gate's thresholds. Every field has a default. */
export interface GateOptions {
  /** Significance level of the two-sided Mann-Whitney test (default 0.05). */
  readonly alpha?: number
  /**
   * Smallest relative change of the medians that counts, per metric (defaults: rps 0.05,
   * p50 0.10, p99 0.20, p999 0.20, balancerCpu 0.05 — tails are noisier).
   */
  readonly minChange?: Partial<Record<RelativeMetric, number>>
  /** Smallest change of the error rate that counts, in percentage points (default 1). */
  readonly minErrorRatePoints?: number
  /** Repeats needed on both sides for the test (default 3). */
  readonly minRepeats?: number
  /** Without a test the minimum change is multiplied by this (default 3). */
  readonly thresholdOnlyFactor?: number
  /** Seed of the bootstrap intervals (default 1). */
  readonly seed?: number
}

/** Gate options with every default filled in. */
export interface ResolvedGateOptions {
  readonly alpha: number
  readonly minChange: Readonly<Record<RelativeMetric, number>>
  readonly minErrorRatePoints: number
  readonly minRepeats: number
  readonly thresholdOnlyFactor: number
  readonly seed: number
}

/** The result of comparing current results with a baseline. */
export interface Comparison {
  readonly rows: readonly ComparisonRow[]
  readonly expectationFailures: readonly ExpectationFailure[]
  /** Things that make the comparison less meaningful: a changed scenario file, another CPU, quick vs full. */
  readonly notes: readonly string[]
  readonly options: ResolvedGateOptions
}

export const defaultGateOptions: ResolvedGateOptions = {
  alpha: 0.05,
  minChange: { rps: 0.05, p50: 0.1, p99: 0.2, p999: 0.2, balancerCpu: 0.05 },
  minErrorRatePoints: 1,
  minRepeats: 3,
  thresholdOnlyFactor: 3,
  seed: 1,
}

const share = z.number().positive().finite()
const gateOptionsSchema = z.strictObject({
  alpha: z.number().gt(0).lt(1).optional(),
  minChange: z.strictObject({ rps: share.optional(), p50: share.optional(), p99: share.optional(), p999: share.optional(), balancerCpu: share.optional() }).optional(),
  minErrorRatePoints: share.optional(),
  minRepeats: z.number().int().min(2).optional(),
  thresholdOnlyFactor: z.number().min(1).finite().optional(),
  seed: z.number().int().optional(),
})

/** Fills in the defaults; throws `LB_ERR_INVALID_OPTIONS` listing every bad option. */
export function resolveGateOptions(options: GateOptions = {}): ResolvedGateOptions {
  const parsed = gateOptionsSchema.safeParse(options)
  if (!parsed.success) {
    throw new EngineError(
      'LB_ERR_INVALID_OPTIONS',
      'invalid gate options',
      parsed.error.issues.map((i) => ({ path: formatPath(i.path) || '(root)', message: i.message })),
    )
  }
  const o = parsed.data
  return {
    alpha: o.alpha ?? defaultGateOptions.alpha,
    minChange: { ...defaultGateOptions.minChange, ...Object.fromEntries(Object.entries(o.minChange ?? {}).filter(([, v]) => v !== undefined)) },
    minErrorRatePoints: o.minErrorRatePoints ?? defaultGateOptions.minErrorRatePoints,
    minRepeats: o.minRepeats ?? defaultGateOptions.minRepeats,
    thresholdOnlyFactor: o.thresholdOnlyFactor ?? defaultGateOptions.thresholdOnlyFactor,
    seed: o.seed ?? defaultGateOptions.seed,
  }
}

/** True when some metric regressed beyond the noise. */
export function hasRegression(c: Comparison): boolean {
  return c.rows.some((r) => r.verdict === 'regression')
}

/** True when something in the baseline was not measured now (a variant or a whole scenario). */
export function hasMissing(c: Comparison): boolean {
  return c.rows.some((r) => r.verdict === 'missing')
}

/**
 * The regression gate's decision: it fails on a regression, and on anything in the baseline that
 * was not measured now — a gate that passes when nothing was measured proves nothing — unless the
 * user accepts missing variants (`--allow-missing`).
 */
export function gateFails(c: Comparison, options: { allowMissing?: boolean } = {}): boolean {
  return hasRegression(c) || (options.allowMissing !== true && hasMissing(c))
}

/** True when the gate fails: a regression, or an expectation of the current results that failed. */
export function hasFailure(c: Comparison): boolean {
  return hasRegression(c) || c.expectationFailures.length > 0
}

/** How many rows have each verdict. */
export function countVerdicts(c: Comparison): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { regression: 0, improvement: 0, unchanged: 0, inconclusive: 0, missing: 0, new: 0 }
  for (const r of c.rows) counts[r.verdict]++
  return counts
}
