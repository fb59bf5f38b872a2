import { describe, expect, it } from 'vitest'
import { configureAlgorithm } from '../../../engine/balancing/create-picker.js'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { buildMaglevTable, isPrime, maglev } from '../../../engine/balancing/maglev.js'
import { EngineError } from '../../../engine/errors.js'
import { many, weighted } from '../../helpers/backends.js'
import { runConformance } from './conformance.js'

runConformance('maglev')

const counts = (table: Int32Array, n: number) => {
  const c = new Array<number>(n).fill(0)
  for (const owner of table) c[owner]!++
  return c
}

describe('maglev: table (Eisenbud et al. 2016, Envoy weighting)', () => {
  it.each([10, 100, 1000])('gives each of %i equal backends ⌊M/N⌋ or ⌈M/N⌉ of the 65537 slots', (n) => {
    // Backends take turns claiming their next preferred free slot, so after the table fills no two
    // counts differ by more than one (paper §3.4).
    const table = buildMaglevTable(many(n), 65_537)
    expect(table.includes(-1)).toBe(false)
    for (const c of counts(table, n)) {
      expect(c).toBeGreaterThanOrEqual(Math.floor(65_537 / n))
      expect(c).toBeLessThanOrEqual(Math.ceil(65_537 / n))
    }
  })

  it('divides slots by weight, each within a turn’s worth of M·w/Σw', () => {
    // A backend of weight w/max claims a slot every max/w rounds; the last, partial round can
    // leave each count one claim away from its exact share.
    const weights = { a: 1, b: 2, c: 3, d: 4 }
    const table = buildMaglevTable(weighted(weights), 65_537)
    const c = counts(table, 4)
    Object.values(weights).forEach((w, i) => expect(Math.abs(c[i]! - (65_537 * w) / 10)).toBeLessThanOrEqual(2))
  })

  it('moves few keys beyond the departed backend’s own when one of 100 leaves', () => {
    // The ideal is 1/N = 1% of slots. Maglev trades a little extra disruption for perfect balance:
    // the paper's Figure 12 shows it small for M ≫ N; here with M = 65537 it is ≈ 1.5%.
    const backends = many(100)
    const before = buildMaglevTable(backends, 65_537)
    const after = buildMaglevTable(backends.filter((b) => b.id !== 'b42'), 65_537)
    let moved = 0
    let ownedByRemoved = 0
    for (let s = 0; s < 65_537; s++) {
      const was = backends[before[s]!]!.id
      const now = backends.filter((b) => b.id !== 'b42')[after[s]!]!.id
      if (was === 'b42') ownedByRemoved++
      if (was !== now) moved++
    }
    expect(ownedByRemoved / 65_537).toBeCloseTo(0.01, 3)
    expect(moved).toBeGreaterThanOrEqual(ownedByRemoved)
    expect(moved / 65_537).toBeLessThan(0.02)
  })

  it('rejects a table size that is not prime, with a clear message', () => {
    expect(isPrime(65_537)).toBe(true)
    expect(isPrime(65_536)).toBe(false)
    try {
      configureAlgorithm('maglev', { tableSize: 65_536 })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError)
      expect((e as EngineError).code).toBe('LB_ERR_INVALID_OPTIONS')
      expect((e as EngineError).issues[0]!.path).toBe('algorithm.options.tableSize')
      expect((e as EngineError).issues[0]!.message).toMatch(/prime/)
    }
  })

  it('on retry takes the next slot owned by an untried backend', () => {
    const backends = many(7)
    const table = buildMaglevTable(backends, 65_537)
    const picker = maglev.build(backends, { tableSize: 65_537 }, seededDeps(1))
    const hash = 987_654_321
    let slot = hash % 65_537
    const first = backends[table[slot]!]!.id
    expect(picker.pick({ hash })!.id).toBe(first)
    while (backends[table[slot]!]!.id === first) slot = (slot + 1) % 65_537
    expect(picker.pick({ hash, tried: new Set([first]) })!.id).toBe(backends[table[slot]!]!.id)
  })
})
