import { describe, expect, it } from 'vitest'
import { throwBalls } from '../../harness/simulator/balls-into-bins.js'
import { dChoiceMaxLoad, oneChoiceMaxLoad } from '../../harness/simulator/queueing-theory.js'

/*
 * n balls into n bins, thrown by the engine's own pickers. The maximum load concentrates on one or
 * two values with high probability, so the bands below are wide enough for any seed:
 * - one choice (weighted-random, equal weights): Gonnet (JACM 1981) gives the expectation
 *   Γ⁻¹(n) − 3/2 + o(1) ~ ln n / ln ln n; the maximum is within ±2 of it (its spread at these n is
 *   about one ball), and between 1 and 2.5 times the leading term ln n / ln ln n;
 * - d choices (p2c, choiceCount d): Azar, Broder, Karlin & Upfal (1999): ln ln n / ln d + O(1);
 *   observed constants here are 0–1, so the band is [ln ln n / ln d − 1, ln ln n / ln d + 2].
 */
describe('balls into bins', () => {
  it.each([1e4, 1e5, 3e5])('n = %d: one choice ~ ln n / ln ln n, two choices ~ ln ln n / ln 2', (n) => {
    const one = throwBalls('weighted-random', {}, n, n, 1).max
    const two = throwBalls('p2c', {}, n, n, 1).max
    const three = throwBalls('p2c', { choiceCount: 3 }, n, n, 1).max
    const lead = Math.log(n) / Math.log(Math.log(n))
    expect(Math.abs(one - oneChoiceMaxLoad(n)), `one choice: ${one}`).toBeLessThanOrEqual(2)
    expect(one / lead).toBeGreaterThanOrEqual(1)
    expect(one / lead).toBeLessThanOrEqual(2.5)
    expect(two, `two choices: ${two}`).toBeGreaterThanOrEqual(dChoiceMaxLoad(n, 2) - 1)
    expect(two).toBeLessThanOrEqual(dChoiceMaxLoad(n, 2) + 2)
    expect(three, `three choices: ${three}`).toBeGreaterThanOrEqual(dChoiceMaxLoad(n, 3) - 1)
    expect(three).toBeLessThanOrEqual(dChoiceMaxLoad(n, 3) + 2)
    // The exponential improvement: two choices beat one by a wide margin, three at least match two.
    expect(two).toBeLessThan(one - 2)
    expect(three).toBeLessThanOrEqual(two)
  }, 60_000)

  it('every ball lands: the load histogram accounts for n balls', () => {
    const r = throwBalls('p2c', {}, 1000, 5000, 2)
    expect(r.histogram.reduce((sum, bins, load) => sum + bins * load, 0)).toBe(5000)
    expect(r.histogram.reduce((a, b) => a + b, 0)).toBe(1000)
    // Five balls per bin on average: two choices keep every bin within a couple of balls of it.
    expect(r.max).toBeLessThanOrEqual(8)
  })
})
