/**
 * Service-time distributions for injected latency, as pure functions of a uniform random source
 * in [0, 1). Shared by the backend application and the simulator so both draw the same way.
 */

/** A latency distribution, in milliseconds. */
export type LatencySpec =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'exponential'; readonly meanMs: number }
  /** exp(N(ln medianMs, sigma²)): the median is `medianMs`, the mean `medianMs·e^(σ²/2)`. */
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly sigma: number }
  /** `slowMs` with probability `slowFraction`, else `fastMs`: the two-point service of queueing studies. */
  | { readonly kind: 'bimodal'; readonly fastMs: number; readonly slowMs: number; readonly slowFraction: number }

/**
 * One draw from `spec`. Fixed: `ms`. Uniform: `min + (max − min)·U`. Exponential: inverse CDF,
 * `−mean·ln(1 − U)`. Log-normal: `median·exp(σ·Z)` with Z standard normal by Box–Muller (one of
 * the pair is used, so every draw takes exactly two uniforms and the stream stays reproducible).
 * Bimodal: one uniform chooses the mode.
 */
export function drawLatencyMs(spec: LatencySpec, random: () => number): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.ms
    case 'uniform':
      return spec.minMs + (spec.maxMs - spec.minMs) * random()
    case 'exponential':
      // 1 − U lies in (0, 1], so the logarithm is finite.
      return -spec.meanMs * Math.log(1 - random())
    case 'lognormal':
      return spec.medianMs * Math.exp(spec.sigma * standardNormal(random))
    case 'bimodal':
      return random() < spec.slowFraction ? spec.slowMs : spec.fastMs
  }
}

/** The distribution's mean in milliseconds, for models that need the expected service time. */
export function latencyMeanMs(spec: LatencySpec): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.ms
    case 'uniform':
      return (spec.minMs + spec.maxMs) / 2
    case 'exponential':
      return spec.meanMs
    case 'lognormal':
      return spec.medianMs * Math.exp((spec.sigma * spec.sigma) / 2)
    case 'bimodal':
      return spec.fastMs + spec.slowFraction * (spec.slowMs - spec.fastMs)
  }
}

/** A standard normal variate by the Box–Muller transform. */
export function standardNormal(random: () => number): number {
  const u1 = 1 - random() // (0, 1]: ln(u1) is finite
  const u2 = random()
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}
