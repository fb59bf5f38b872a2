import { describe, expect, it } from 'vitest'
import { disturbance, disturbanceNote, pairedByRepeat } from '../../../reports/claims/paired-repeats.js'
import type { RunResult } from '../../../reports/result/result-model.js'
import { syntheticResult } from '../../helpers/synthetic-results.js'

/** Runs of one variant whose p50 is given per repeat; `disturbed` repeats ran with other processes taking 45% of the CPU. */
function runs(p50: readonly number[], disturbed: readonly number[] = []): RunResult[] {
  const r = syntheticResult({ name: 's', variants: [{ repeats: p50.length, noise: 0 }] })
  return r.runs.map((run, i) => ({
    ...run,
    summary: { ...run.summary, latencyUs: { ...run.summary.latencyUs, p50: p50[i]! } },
    machine: disturbed.includes(run.repeat) ? { steal: 0, busy: 0.9, foreign: 0.45, heavySteal: false } : { steal: 0, busy: 0.5, foreign: 0.05, heavySteal: false },
  }))
}
const diff = (a: RunResult, b: RunResult) => a.summary.latencyUs.p50 - b.summary.latencyUs.p50

describe('pairing interleaved repeats', () => {
  it('pairs by repeat number, not by position', () => {
    const a = runs([110, 120, 130])
    const b = runs([100, 100, 100]).reverse()
    expect(pairedByRepeat(a, b, diff).values).toEqual([10, 20, 30])
    expect(pairedByRepeat(a, b.slice(0, 2), diff).values).toEqual([20, 30])
  })

  it('says why a run was disturbed', () => {
    expect(disturbance(runs([1], [1])[0]!)).toBe('other processes 45% of the CPU')
    expect(disturbance({ ...runs([1])[0]!, machine: { steal: 0.15, busy: 0.8, heavySteal: true } })).toBe('steal 15%')
    expect(disturbance(runs([1])[0]!)).toBeUndefined()
  })

  it('leaves disturbed pairs out while five quiet ones remain; otherwise keeps them all and says so', () => {
    const seven = pairedByRepeat(runs([1, 2, 3, 4, 5, 6, 7], [2]), runs([0, 0, 0, 0, 0, 0, 0], [5]), diff)
    expect(seven.values).toEqual([1, 3, 4, 6, 7])
    expect(seven.excluded).toEqual([
      { repeat: 2, foreign: 0.45 },
      { repeat: 5, foreign: 0.45 },
    ])
    expect(disturbanceNote(seven)).toBe('excluded as disturbed: repeat 2 (other processes 45% of the CPU), repeat 5 (other processes 45% of the CPU)')
    const five = pairedByRepeat(runs([1, 2, 3, 4, 5], [2]), runs([0, 0, 0, 0, 0]), diff)
    expect(five.values).toEqual([1, 2, 3, 4, 5])
    expect(five.keptDisturbed).toEqual([{ repeat: 2, foreign: 0.45 }])
    // Two comparisons of the same repeats: one line per repeat, the worst of each.
    const steal = pairedByRepeat(runs([1, 2, 3, 4, 5]).map((r) => (r.repeat === 2 ? { ...r, machine: { steal: 0.2, busy: 0.9, heavySteal: true } } : r)), runs([0, 0, 0, 0, 0]), diff)
    expect(disturbanceNote(five, steal)).toBe('1 disturbed repeat(s) kept (too few quiet ones), so the interval is the full range: steal up to 20%, other processes up to 45% of the CPU')
    expect(disturbanceNote(pairedByRepeat(runs([1, 2]), runs([0, 0]), diff))).toBe('')
  })
})
