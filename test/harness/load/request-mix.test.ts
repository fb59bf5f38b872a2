import { describe, expect, it } from 'vitest'
import { mergeMixAnswers, mixPicker, mixShare } from '../../../harness/load/request-mix.js'
import { requestPlan } from '../../../harness/runner/request-mix.js'
import { loadSectionSchema } from '../../../harness/scenario/scenario-schema.js'

describe('request mix as data', () => {
  const mix = { seed: 42, weights: [9, 1], shapes: [{ path: '/shop' }, { path: '/shop', headers: { 'X-Canary': 'true' } }] }

  it('N agents’ shares send exactly the sequence of one generator, whatever N', () => {
    const pick = mixPicker(mix)
    const one = Array.from({ length: 600 }, (_, i) => mix.shapes[pick(i)])
    for (const n of [1, 2, 3, 7]) {
      const shares = Array.from({ length: n }, (_, a) => mixShare(mix, { stride: n, offset: a }))
      // Agent a's i-th request is global request i·n + a.
      const merged = one.map((_, g) => shares[g % n]!.requestFor(Math.floor(g / n)))
      expect(merged).toEqual(one)
    }
  })

  it('tallies replies by entry and backend, and tallies add across agents', () => {
    const a = mixShare(mix, { stride: 2, offset: 0 })
    const b = mixShare(mix, { stride: 2, offset: 1 })
    const pick = mixPicker(mix)
    for (let i = 0; i < 100; i++) {
      a.count(i, pick(2 * i) === 0 ? 'stable-0' : 'canary-0')
      b.count(i, 'stable-1')
    }
    const merged = mergeMixAnswers([a.answers(), b.answers()])
    expect(merged.reduce((n, x) => n + x.count, 0)).toBe(200)
    const byEntry = (k: number) => merged.filter((x) => x.entry === k).reduce((n, x) => n + x.count, 0)
    const globals = Array.from({ length: 200 }, (_, g) => g)
    expect(byEntry(1)).toBe(globals.filter((g) => pick(g) === 1).length)
    expect(merged.find((x) => x.entry === 1 && x.backend === 'canary-0')?.count).toBe(globals.filter((g) => g % 2 === 0 && pick(g) === 1).length)
    expect(mergeMixAnswers([])).toEqual([])
  })

  it('the scenario’s mix and its data pick the same entries', () => {
    const load = loadSectionSchema.parse({ mix: [{ weight: 3, path: '/a' }, { weight: 1, path: '/b', expect: { group: 'web' } }] })
    const plan = requestPlan(load, 5)
    const pick = mixPicker(plan.mix!)
    for (let i = 0; i < 200; i++) {
      expect(plan.requestFor!(i)).toEqual(plan.mix!.shapes[pick(i)])
      expect(plan.expectedGroups!(i)).toEqual(plan.expectedOfEntry!(pick(i)))
    }
    expect(plan.expectedOfEntry!(1)).toEqual(['web'])
    expect(plan.expectedOfEntry!(0)).toBeUndefined()
  })
})
