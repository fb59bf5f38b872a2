import { describe, expect, it } from 'vitest'
import { StickinessTracker } from '../../../harness/runner/stickiness.js'

describe('StickinessTracker', () => {
  it("counts a violation for each answer from another backend than the client's previous one", () => {
    const t = new StickinessTracker<string>()
    // Client 1: a, a, b, b, a → 4 answers with a previous one, 2 moves. Client 2: c once.
    for (const b of ['a', 'a', 'b', 'b', 'a']) t.answer(1, b)
    t.answer(2, 'c')
    expect(t.result(['a', 'b', 'c', 'd'], (id) => id)).toEqual({ sessions: 2, requests: 4, violations: 2, violationRate: 0.5, imbalance: 1 / (2 / 4) })
  })

  it('names tracked backends through idOf and counts backends no client ended on', () => {
    const t = new StickinessTracker<number>()
    for (let client = 0; client < 6; client++) t.answer(client, client < 4 ? 0 : 2)
    const ids = ['web-0', 'web-1', 'web-2']
    // Last answers: 4 clients on web-0, none on web-1, 2 on web-2; mean 2, busiest 4.
    expect(t.result(ids, (b) => ids[b]!)).toEqual({ sessions: 6, requests: 0, violations: 0, violationRate: 0, imbalance: 2 })
  })

  it('reports nothing for a run without answers', () => {
    expect(new StickinessTracker<string>().result([], (id) => id)).toEqual({ sessions: 0, requests: 0, violations: 0, violationRate: 0, imbalance: 0 })
  })
})
