import { seededRandom } from '../../engine/balancing/random.js'
import { median, quantileSorted } from './quantile.js'

/** A percentile-bootstrap confidence interval for median(current) / median(baseline). */
export interface RatioInterval {
  /** The observed ratio of the medians. */
  readonly ratio: number
  readonly lower: number
  readonly upper: number
  /** Coverage of the interval, e.g. 0.95. */
  readonly confidence: number
}

/** Bootstrap settings; every default gives the same interval for the same samples. */
export interface BootstrapOptions {
  /** Seed of the resampling (default 1): the interval is a pure function of samples and seed. */
  readonly seed?: number
  /** Number of resamples (default 2000). */
  readonly resamples?: number
  /** Coverage (default 0.95). */
  readonly confidence?: number
}

/**
 * Percentile bootstrap (Efron & Tibshirani 1993, §13.3) of the ratio of medians of two
 * independent samples: each resample draws n₁ values of `baseline` and n₂ of `current` with
 * replacement, the ratio median(current*) / median(baseline*) is recorded, and the interval is
 * the (1 − c)/2 and (1 + c)/2 quantiles of the B recorded ratios. Baseline values must be
 * positive. With a handful of values a side the interval is coarse (a median can take only a few
 * values) and tends to be too narrow; read it as a description of the spread, not a test.
 */
export function bootstrapMedianRatio(baseline: readonly number[], current: readonly number[], options: BootstrapOptions = {}): RatioInterval {
  const { seed = 1, resamples = 2000, confidence = 0.95 } = options
  if (baseline.length === 0 || current.length === 0) throw new RangeError('bootstrap needs two non-empty samples')
  if (baseline.some((v) => !(v > 0) || !Number.isFinite(v))) throw new RangeError('a ratio of medians needs positive, finite baseline values')
  if (current.some((v) => !Number.isFinite(v))) throw new RangeError('bootstrap needs finite values')
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence ${confidence} is outside (0, 1)`)
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError('resamples must be a positive integer')
  const random = seededRandom(seed)
  const scratchB = new Float64Array(baseline.length)
  const scratchC = new Float64Array(current.length)
  const ratios = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    ratios[r] = resampledMedian(current, scratchC, random) / resampledMedian(baseline, scratchB, random)
  }
  ratios.sort()
  const tail = (1 - confidence) / 2
  return { ratio: median(current) / median(baseline), lower: quantileSorted(ratios, tail), upper: quantileSorted(ratios, 1 - tail), confidence }
}

function resampledMedian(values: readonly number[], scratch: Float64Array, random: () => number): number {
  for (let i = 0; i < scratch.length; i++) scratch[i] = values[Math.floor(random() * values.length)]!
  scratch.sort()
  return quantileSorted(scratch, 0.5)
}
