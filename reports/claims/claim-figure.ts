import { formatCount } from '../render/format.js'
import { medianInterval, repeatsForCoverage, repeatsToResolve } from '../statistics/median-interval.js'

/** Coverage asked of every interval on the claims page. */
export const CLAIM_CONFIDENCE = 0.95
/**
 * The least coverage a decisive verdict accepts. Five repeats are the fewest whose range covers
 * the median with at least this probability (1 − 2/2⁵ = 93.75%); fewer leave the verdict inconclusive.
 */
export const DECISIVE_COVERAGE = 0.9
/** Repeats a decisive verdict needs: {@link DECISIVE_COVERAGE} reached by the range alone. */
export const DECISIVE_REPEATS = repeatsForCoverage(DECISIVE_COVERAGE)

/** One compared figure of a claim: the median of per-repeat values and its interval. */
export interface ClaimFigure {
  readonly label: string
  /** `added-µs`: a difference (always signed); the others are shown plain. */
  readonly unit: 'added-µs' | 'µs' | 'ratio' | 'req/s' | 'usd'
  readonly median: number
  readonly lower: number
  readonly upper: number
  /** Coverage the interval achieves. */
  readonly confidence: number
  /** Repeats it comes from. */
  readonly n: number
}

/**
 * A figure from per-repeat values: the median and its sign-test interval, or — when the values
 * include disturbed repeats that had to be kept — the full range, the widest interval they give.
 */
export function claimFigure(label: string, unit: ClaimFigure['unit'], values: readonly number[], widen = false): ClaimFigure {
  const i = medianInterval(values, widen ? 1 : CLAIM_CONFIDENCE)
  return { label, unit, median: i.median, lower: i.lower, upper: i.upper, confidence: i.confidence, n: i.n }
}

/** Where a figure lies against a threshold. */
export type Side = 'above' | 'below' | 'straddles'

/** How a figure's interval relates to a threshold, and the repeats that might settle a straddle. */
export interface FigureJudgement {
  readonly side: Side
  /** Set when the interval straddles the threshold or has too little coverage. */
  readonly repeatsNeeded?: number
}

/**
 * Above or below only when the whole interval is, and only with at least {@link DECISIVE_COVERAGE};
 * otherwise `straddles`, with the repeats that would narrow the interval (as 1/√n) to clear it.
 */
export function judgeFigure(f: ClaimFigure, threshold: number): FigureJudgement {
  const decisive = f.confidence >= DECISIVE_COVERAGE
  if (decisive && f.lower > threshold) return { side: 'above' }
  if (decisive && f.upper < threshold) return { side: 'below' }
  const halfWidth = f.median >= threshold ? f.median - f.lower : f.upper - f.median
  return { side: 'straddles', repeatsNeeded: repeatsToResolve(f.n, halfWidth, Math.abs(f.median - threshold), DECISIVE_REPEATS) }
}

/** The most repeats any of the straddling judgements asks for (undefined when none straddles). */
export function repeatsNeeded(judgements: readonly FigureJudgement[]): number | undefined {
  const asked = judgements.flatMap((j) => (j.repeatsNeeded === undefined ? [] : [j.repeatsNeeded]))
  return asked.length === 0 ? undefined : Math.max(...asked)
}

/** A signed figure: a difference never reads as a bare (possibly negative) number. */
function signed(x: number): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(Math.abs(x) < 100 ? 1 : 0)}`
}

function plain(x: number, unit: ClaimFigure['unit']): string {
  if (unit === 'ratio') return `×${x.toFixed(2)}`
  if (unit === 'usd') return `$${x.toFixed(4)}`
  if (unit === 'req/s') return `${formatCount(x)} req/s`
  return `${x.toFixed(Math.abs(x) < 100 ? 1 : 0)} µs`
}

/**
 * A figure with its interval: `L4 added p50 +369 µs [+120, +610] (93.7%, 5 repeats)`. Added
 * latencies are differences and carry their sign; CPU times, ratios, rates and prices are plain.
 */
export function formatFigure(f: ClaimFigure): string {
  const isDifference = f.unit === 'added-µs'
  const show = (x: number) => (isDifference ? signed(x) : plain(x, f.unit).replace(/ req\/s$| µs$/, ''))
  const centre = isDifference ? `${signed(f.median)} µs` : plain(f.median, f.unit)
  const coverage = f.n <= 1 ? 'one repeat, no interval' : `${Math.floor(f.confidence * 1000) / 10}%, ${f.n} repeats`
  return `${f.label} ${centre} [${show(f.lower)}, ${show(f.upper)}] (${coverage})`
}
