import { describe, expect, it } from 'vitest'
import { dChoiceMaxLoad, ekm1Sigma, ekm1Sojourn, erlangC, mm1Sojourn, mmcSojourn, oneChoiceMaxLoad, supermarketSojourn, supermarketTail } from '../../harness/simulator/queueing-theory.js'

// The closed forms themselves, checked against identities and published values before the
// simulator is checked against them.
describe('queueing closed forms', () => {
  it('M/M/1: W = 1/(μ − λ)', () => {
    expect(mm1Sojourn(0.5, 1)).toBe(2)
    expect(mm1Sojourn(900, 1000)).toBeCloseTo(0.01, 12)
    expect(() => mm1Sojourn(1, 1)).toThrow(RangeError)
  })

  it("Erlang C: c = 1 is ρ; the textbook value C(2, 1) = 1/3; M/M/1 as M/M/c with c = 1", () => {
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 12)
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12)
    // Kleinrock's Table: c = 10, a = 9 (ρ = 0.9) waits with probability ≈ 0.6687.
    expect(erlangC(10, 9)).toBeCloseTo(0.6687, 3)
    expect(mmcSojourn(0.5, 1, 1)).toBeCloseTo(mm1Sojourn(0.5, 1), 12)
    // No overflow for large c.
    expect(erlangC(10_000, 9_000)).toBeGreaterThan(0)
    expect(erlangC(10_000, 9_000)).toBeLessThan(1e-6)
  })

  it('E_k/M/1: k = 1 is M/M/1 (σ = ρ); σ solves its fixed point; more phases, shorter queues', () => {
    expect(ekm1Sigma(1, 0.8, 1)).toBeCloseTo(0.8, 12)
    expect(ekm1Sojourn(1, 0.8, 1)).toBeCloseTo(5, 9)
    const sigma = ekm1Sigma(4, 0.8, 1)
    expect(sigma).toBeCloseTo((3.2 / (3.2 + (1 - sigma))) ** 4, 12)
    expect(ekm1Sojourn(4, 0.8, 1)).toBeLessThan(ekm1Sojourn(2, 0.8, 1))
    expect(ekm1Sojourn(2, 0.8, 1)).toBeLessThan(mm1Sojourn(0.8, 1))
  })

  it('supermarket model: d = 1 is M/M/1; d = 2 at λ = 0.9 is Σ 0.9^(2^i − 2) ≈ 2.6141 (Mitzenmacher 2001)', () => {
    expect(supermarketSojourn(0.8, 1, 1)).toBeCloseTo(5, 12)
    expect(supermarketSojourn(0.9, 1, 2)).toBeCloseTo(1 + 0.9 ** 2 + 0.9 ** 6 + 0.9 ** 14 + 0.9 ** 30 + 0.9 ** 62 + 0.9 ** 126 + 0.9 ** 254, 9)
    expect(supermarketSojourn(0.9, 1, 2)).toBeCloseTo(2.6141, 4)
    expect(supermarketTail(0.9, 2, 2)).toBeCloseTo(0.9 ** 3, 12)
    // The mean is the sum of the tails over λ (Little): T = Σ_{i≥1} s_i / λ.
    let tails = 0
    for (let i = 1; i < 20; i++) tails += supermarketTail(0.9, 2, i)
    expect(tails / 0.9).toBeCloseTo(supermarketSojourn(0.9, 1, 2), 9)
  })

  it('balls into bins: Γ⁻¹(n) − 3/2 and ln ln n / ln d', () => {
    // Γ(10) = 362880 < 10^6 < Γ(11): Γ⁻¹(10^6) ≈ 10.45.
    expect(oneChoiceMaxLoad(1e6)).toBeGreaterThan(8.5)
    expect(oneChoiceMaxLoad(1e6)).toBeLessThan(9.5)
    expect(oneChoiceMaxLoad(120 + 1e-9)).toBeCloseTo(6 - 1.5, 6)
    expect(dChoiceMaxLoad(1e6, 2)).toBeCloseTo(Math.log(Math.log(1e6)) / Math.LN2, 12)
  })
})
