/** Backend weights as a peer's integer weights. */
export interface IntegerWeights {
  readonly weights: readonly number[]
  /** Multiply an engine weight by this (then round) to get the peer's weight. */
  readonly scale: number
  /** False when rounding changed the ratios. */
  readonly exact: boolean
}

const DECIMALS = 1000

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/**
 * Maps weights (≥ 0, any real) onto integers in 0…`max` keeping their ratios: as they are when they
 * already fit, scaled up exactly when they have at most three decimals and still fit, otherwise
 * scaled down to `max` and rounded. A positive weight never rounds to 0 (that would take the
 * backend out).
 */
export function integerWeights(weights: readonly number[], max: number): IntegerWeights {
  const top = Math.max(0, ...weights)
  if (weights.every((w) => Number.isInteger(w) && w <= max)) return { weights, scale: 1, exact: true }
  const milli = weights.map((w) => Math.round(w * DECIMALS))
  if (milli.every((m, i) => Math.abs(m - weights[i]! * DECIMALS) < 1e-6)) {
    const g = milli.reduce((a, b) => gcd(a, b), 0) || 1
    const scaled = milli.map((m) => m / g)
    if (scaled.every((w) => w <= max)) return { weights: scaled, scale: DECIMALS / g, exact: true }
  }
  const scale = max / top
  const out = weights.map((w) => toInteger(w, scale, max))
  return { weights: out, scale, exact: out.every((w, i) => Math.abs(w - weights[i]! * scale) < 1e-9) }
}

/** One weight under a scale from {@link integerWeights}. */
export function toInteger(weight: number, scale: number, max: number): number {
  if (weight <= 0) return 0
  return Math.min(max, Math.max(1, Math.round(weight * scale)))
}
