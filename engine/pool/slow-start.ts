/** Slow start: a backend that becomes ready takes load gradually over a window. */
export interface SlowStartConfig {
  /** Length of the ramp, µs. */
  readonly windowUs: number
  /** Curve of the ramp: 1 is linear, larger values ramp faster at first (Envoy `aggression`). */
  readonly aggression: number
  /** Floor of the ramp as a fraction of the weight, so a new backend is never starved (0..1]. */
  readonly minFraction: number
}

/**
 * Fraction of its weight a backend gets `ageUs` after becoming ready, with Envoy's curve:
 * max(minFraction, (age / window)^(1 / aggression)), and 1 once the window has passed.
 */
export function slowStartFactor(ageUs: number, c: SlowStartConfig): number {
  if (ageUs >= c.windowUs) return 1
  const time = Math.max(ageUs, 0) / c.windowUs
  return Math.max(c.minFraction, c.aggression === 1 ? time : Math.pow(time, 1 / c.aggression))
}
