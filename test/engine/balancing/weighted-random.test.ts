import { describe, expect, it } from 'vitest'
import { buildAliasTable } from '../../../engine/balancing/alias-table.js'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { weightedRandom } from '../../../engine/balancing/weighted-random.js'
import { chiSquareTest } from '../../../reports/statistics/chi-square.js'
import { tally, weighted } from '../../helpers/backends.js'
import { runConformance } from './conformance.js'

runConformance('weighted-random')

describe('weighted-random: distribution', () => {
  it('gives each index exactly its weight share over the unit interval (alias table is exact)', () => {
    const weights = [1, 2, 3, 4, 0.5, 7]
    const table = buildAliasTable(weights)
    const steps = weights.length * 100_000
    const counts = new Array<number>(weights.length).fill(0)
    for (let k = 0; k < steps; k++) counts[table.sample((k + 0.5) / steps)]!++
    const sum = weights.reduce((a, b) => a + b, 0)
    weights.forEach((w, i) => expect(Math.abs(counts[i]! / steps - w / sum)).toBeLessThan(1e-4))
  })

  // Pearson's χ² goodness of fit: with a correct sampler the p-value is uniform on (0, 1), so a
  // fixed seed landing below 0.001 would be a 1-in-1000 accident; a biased sampler lands near 0.
  it.each([
    [{ a: 1, b: 2, c: 3, d: 4 }],
    [{ a: 1, b: 1, c: 1, d: 1, e: 1 }],
    [{ a: 100, b: 1 }],
  ])('passes a χ² test against weights %j over 50,000 picks', (weights) => {
    const backends = weighted(weights)
    const picker = weightedRandom.build(backends, {}, seededDeps(2024))
    const counts = tally(Array.from({ length: 50_000 }, () => picker.pick()!.id))
    const result = chiSquareTest(
      backends.map((b) => counts.get(b.id) ?? 0),
      backends.map((b) => b.weight),
    )
    expect(result.pValue).toBeGreaterThan(0.001)
  })

  it('detects a wrong distribution with the same χ² test (the test has power)', () => {
    const backends = weighted({ a: 1, b: 1 })
    const picker = weightedRandom.build(backends, {}, seededDeps(2024))
    const counts = tally(Array.from({ length: 50_000 }, () => picker.pick()!.id))
    expect(chiSquareTest([counts.get('a')!, counts.get('b')!], [0.52, 0.48]).pValue).toBeLessThan(1e-6)
  })

  it('draws retries by weight among the untried backends', () => {
    const backends = weighted({ a: 1, b: 1, c: 2 })
    const picker = weightedRandom.build(backends, {}, seededDeps(9))
    const counts = tally(Array.from({ length: 30_000 }, () => picker.pick({ tried: new Set(['a']) })!.id))
    expect(counts.get('a')).toBeUndefined()
    expect(Math.abs(counts.get('c')! / 30_000 - 2 / 3)).toBeLessThan(0.015)
  })
})
