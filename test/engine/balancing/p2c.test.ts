import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { powerOfTwoChoices } from '../../../engine/balancing/power-of-two-choices.js'
import { many, tally, weighted } from '../../helpers/backends.js'
import { runClosedLoop } from '../../helpers/closed-loop.js'
import { runConformance } from './conformance.js'

runConformance('p2c')

describe('p2c: behaviour (Envoy least request)', () => {
  // With replacement, a loaded backend wins only when every one of the k draws lands on it:
  // P = (1/n)^k. Over 200,000 picks the binomial standard deviation is at most √(p(1−p)/2·10⁵) ≤ 0.001.
  it.each([
    [2, 2, 1 / 4],
    [4, 2, 1 / 16],
    [2, 3, 1 / 8],
    [4, 3, 1 / 64],
    [2, 5, 1 / 32],
  ])('with %i backends and %i choices, the one loaded backend gets (1/n)^k of picks', (n, k, p) => {
    const backends = many(n)
    const picker = powerOfTwoChoices.build(backends, { choiceCount: k, activeRequestBias: 1 }, seededDeps(31))
    for (let i = 0; i < 5; i++) picker.onStart!(backends[0]!)
    const picks = 200_000
    const counts = tally(Array.from({ length: picks }, () => picker.pick()!.id))
    const sd = Math.sqrt((p * (1 - p)) / picks)
    expect(Math.abs((counts.get('b0') ?? 0) / picks - p)).toBeLessThan(5 * sd)
  })

  it('schedules unequal weights earliest-deadline-first, exactly by weight when idle', () => {
    const picker = powerOfTwoChoices.build(weighted({ a: 3, b: 1 }), { choiceCount: 2, activeRequestBias: 1 }, seededDeps(4))
    const ids = Array.from({ length: 400 }, () => picker.pick()!.id)
    for (let w = 0; w < 400; w += 4) expect(ids.slice(w, w + 4).filter((x) => x === 'a')).toHaveLength(3)
  })

  it.each([
    [1, 0.5],
    [0, 0.75],
  ])('divides weight by (active + 1)^bias: bias %f, a (w 3) with 2 in flight takes %f', (bias, share) => {
    // Effective weights a: 3 / 3^bias, b: 1 — so 1:1 at bias 1 and 3:1 at bias 0.
    const [a, b] = weighted({ a: 3, b: 1 })
    const picker = powerOfTwoChoices.build([a!, b!], { choiceCount: 2, activeRequestBias: bias }, seededDeps(4))
    picker.onStart!(a!)
    picker.onStart!(a!)
    const counts = tally(Array.from({ length: 10_000 }, () => picker.pick()!.id))
    expect(counts.get('a')! / 10_000).toBeCloseTo(share, 2)
  })

  it('sends a 3× slower backend clearly less than round robin’s 1/4 in a closed loop', () => {
    // Two random choices approximate join-the-shortest-queue: the slow backend's in-flight count
    // rises until it loses most comparisons. Its share lies between JSQ's 0.10 (least connections,
    // in-flight fully equalised) and round robin's 0.25; measured here ≈ 0.15 (seed 8).
    const served = runClosedLoop(
      powerOfTwoChoices.build(many(4), { choiceCount: 2, activeRequestBias: 1 }, seededDeps(8)),
      (b) => (b.id === 'b0' ? 3000 : 1000),
      16,
      40_000,
      seededDeps(8),
    )
    const share = served.get('b0')! / 40_000
    expect(share).toBeGreaterThan(0.1)
    expect(share).toBeLessThan(0.2)
  })
})
