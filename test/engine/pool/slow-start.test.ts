import { describe, expect, it } from 'vitest'
import { slowStartFactor } from '../../../engine/pool/slow-start.js'

describe('slow start (Envoy curve)', () => {
  const window = 10_000_000
  it.each([
    // age µs, aggression, min fraction, factor = max(min, (age/window)^(1/aggression))
    [0, 1, 0.1, 0.1],
    [2_500_000, 1, 0.1, 0.25],
    [5_000_000, 1, 0.1, 0.5],
    [9_999_999, 1, 0.1, 0.9999999],
    [10_000_000, 1, 0.1, 1],
    [50_000_000, 1, 0.1, 1],
    [2_500_000, 2, 0.1, 0.5],
    [500_000, 1, 0.1, 0.1],
    [-5, 1, 0.1, 0.1],
  ])('%i µs into a 10 s window with aggression %f and floor %f → %f', (age, aggression, minFraction, expected) => {
    expect(slowStartFactor(age, { windowUs: window, aggression, minFraction })).toBeCloseTo(expected, 9)
  })
})
