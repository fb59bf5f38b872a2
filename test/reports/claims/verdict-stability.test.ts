import { describe, expect, it } from 'vitest'
import type { ClaimOutcome, ClaimVerdict } from '../../../reports/claims/claims.js'
import { compareVerdicts, stabilityMarkdown, verdictRelation } from '../../../reports/claims/verdict-stability.js'

const outcome = (id: string, verdict: ClaimVerdict): ClaimOutcome => ({ id, claim: `claim ${id}`, scenario: 's', verdict, measured: '', why: '' })

describe('verdict stability over two runs', () => {
  it.each([
    ['holds', 'holds', 'identical'],
    ['holds', 'inconclusive', 'one inconclusive'],
    ['inconclusive', 'does not hold here', 'one inconclusive'],
    ['holds', 'holds with nuance', 'nuance'],
    ['holds', 'not measured', 'one unmeasured'],
    ['holds', 'does not hold here', 'contradictory'],
    ['does not hold here', 'holds with nuance', 'contradictory'],
  ] as const)('%s vs %s: %s', (a, b, kind) => {
    expect(verdictRelation(a, b)).toBe(kind)
    expect(verdictRelation(b, a)).toBe(kind)
  })

  it('is stable unless some claim contradicts itself, and names each claim in the table', () => {
    const first = [outcome('a', 'holds'), outcome('b', 'inconclusive'), outcome('c', 'does not hold here')]
    const stable = compareVerdicts(first, [outcome('a', 'holds'), outcome('b', 'holds'), outcome('c', 'inconclusive')])
    expect(stable.stable).toBe(true)
    expect(stable.pairs.map((p) => p.kind)).toEqual(['identical', 'one inconclusive', 'one inconclusive'])
    const flipped = compareVerdicts(first, [outcome('c', 'holds'), outcome('a', 'holds'), outcome('b', 'inconclusive')])
    expect(flipped.stable).toBe(false)
    expect(flipped.pairs.find((p) => p.id === 'c')).toMatchObject({ first: 'does not hold here', second: 'holds', kind: 'contradictory' })
    expect(stabilityMarkdown(flipped)).toContain('**Unstable**: 1 claim(s)')
    expect(stabilityMarkdown(stable)).toContain('| a | holds | holds | identical |')
  })

  it('a claim judged in only one run is compared with "not measured"', () => {
    const s = compareVerdicts([outcome('a', 'holds')], [outcome('a', 'holds'), outcome('new', 'holds')])
    expect(s.pairs.map((p) => [p.id, p.kind])).toEqual([['a', 'identical'], ['new', 'one unmeasured']])
  })
})
