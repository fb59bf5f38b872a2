import { describe, expect, it } from 'vitest'
import { compareAssignments, KeyAssignments, membershipChanges, remapResult, withEffectTimes } from '../../../harness/runner/key-remap.js'

const map = (entries: Record<number, string>) => new Map(Object.entries(entries).map(([k, v]) => [Number(k), v]))
const removeC = { left: ['c'], joined: [], backendsBefore: 3, backendsAfter: 2 }
const addC = { left: [], joined: ['c'], backendsBefore: 2, backendsAfter: 3 }

describe('compareAssignments', () => {
  it.each([
    // A backend leaves: its keys must move; the others should stay.
    ['removal, minimal', { 1: 'a', 2: 'b', 3: 'c', 4: 'c' }, { 1: 'a', 2: 'b', 3: 'a', 4: 'b' }, removeC, { moved: 2, minimal: 2 }],
    ['removal, with keys moved between staying backends', { 1: 'a', 2: 'b', 3: 'c' }, { 1: 'b', 2: 'b', 3: 'a' }, removeC, { moved: 2, minimal: 1 }],
    // A backend joins: the keys it takes had to move; none other should.
    ['addition, minimal', { 1: 'a', 2: 'a', 3: 'b' }, { 1: 'a', 2: 'c', 3: 'b' }, addC, { moved: 1, minimal: 1 }],
    ['addition, with keys moved between staying backends', { 1: 'a', 2: 'a', 3: 'b' }, { 1: 'b', 2: 'c', 3: 'b' }, addC, { moved: 2, minimal: 1 }],
    ['addition the keys ignore (cookie stickiness)', { 1: 'a', 2: 'b' }, { 1: 'a', 2: 'b' }, addC, { moved: 0, minimal: 0 }],
  ])('%s', (_, before, after, change, expected) => {
    expect(compareAssignments(map(before), map(after), change)).toEqual({ keys: Object.keys(before).length, ...expected, backendsBefore: change.backendsBefore, backendsAfter: change.backendsAfter })
  })

  it('compares only keys answered on both sides', () => {
    expect(compareAssignments(map({ 1: 'a', 2: 'c' }), map({ 1: 'a', 3: 'b' }), removeC)).toMatchObject({ keys: 1, moved: 0, minimal: 0 })
  })

  it('remapResult gives shares of the keys and 1/N of the larger membership', () => {
    const r = remapResult({ atMs: 2500, change: 'remove-backend web[1]' }, { keys: 200, moved: 50, minimal: 40, backendsBefore: 5, backendsAfter: 4 })
    expect(r).toEqual({ atMs: 2500, change: 'remove-backend web[1]', keys: 200, moved: 50, minimal: 40, backendsBefore: 5, backendsAfter: 4, movedShare: 0.25, minimalShare: 0.2, idealShare: 0.2 })
    expect(remapResult({ atMs: 0, change: 'x' }, { keys: 0, moved: 0, minimal: 0, backendsBefore: 0, backendsAfter: 0 })).toMatchObject({ movedShare: 0, minimalShare: 0, idealShare: 0 })
  })
})

describe('membershipChanges', () => {
  const initial = ['web-0', 'web-1', 'web-2', 'cache-0']
  it.each([
    ['one backend out and back', [{ at: 5000, do: 'add-backend', target: 'web[1]' }, { at: 2500, do: 'remove-backend', target: 'web[1]' }], [
      { atMs: 2500, change: 'remove-backend web[1]', left: ['web-1'], joined: [], backendsBefore: 4, backendsAfter: 3 },
      { atMs: 5000, change: 'add-backend web[1]', left: [], joined: ['web-1'], backendsBefore: 3, backendsAfter: 4 },
    ]],
    ['a new instance of a group, then the whole group out', [{ at: 1000, do: 'add-backend', target: 'web' }, { at: 2000, do: 'remove-backend', target: 'web' }], [
      { atMs: 1000, change: 'add-backend web', left: [], joined: ['web-3'], backendsBefore: 4, backendsAfter: 5 },
      { atMs: 2000, change: 'remove-backend web', left: ['web-0', 'web-1', 'web-2', 'web-3'], joined: [], backendsBefore: 5, backendsAfter: 1 },
    ]],
    ['other actions are not membership changes', [{ at: 1000, do: 'kill', target: 'web[0]' }, { at: 1500, do: 'set-weight', target: 'web' }], []],
  ])('%s', (_, timeline, expected) => {
    expect(membershipChanges(timeline, initial)).toEqual(expected)
  })
})

describe('withEffectTimes', () => {
  it('takes when each action had finished from its timeline event', () => {
    const changes = membershipChanges(
      [
        { at: 2500, do: 'remove-backend', target: 'web[1]' },
        { at: 5000, do: 'add-backend', target: 'web[1]' },
      ],
      ['web-0', 'web-1'],
    )
    const events = [
      { tMs: 2460, source: 'balancer', type: 'backend-removed', target: 'web-1' },
      { tMs: 2530, source: 'timeline', type: 'remove-backend', target: 'web[1]' },
      { tMs: 6400, source: 'timeline', type: 'add-backend', target: 'web[1]' },
    ]
    expect(withEffectTimes(changes, events).map((c) => [c.atMs, c.effectiveMs])).toEqual([
      [2500, 2530],
      [5000, 6400],
    ])
    expect(withEffectTimes(changes, [])[0]!.effectiveMs).toBeUndefined()
  })
})

describe('KeyAssignments', () => {
  const timeline = [
    { at: 2000, do: 'add-backend', target: 'web[1]' },
    { at: 1000, do: 'remove-backend', target: 'web[1]' },
  ]

  function recorded(answers: [number, number, string][]) {
    let now = 0
    const keys = new KeyAssignments(() => now)
    for (const [t, key, backend] of answers) {
      now = t
      keys.record(key, backend)
    }
    return keys
  }

  it("compares each key's last answer before a change with its last answer after it", () => {
    const keys = recorded([
      // Before: keys 1, 2 on web-1, key 3 on web-0.
      [100, 1, 'web-1'],
      [200, 2, 'web-1'],
      [300, 3, 'web-0'],
      // web-1 removed (done at 1050): an answer from web-1 in transition, then the new assignment.
      [1020, 1, 'web-1'],
      [1200, 1, 'web-0'],
      [1300, 2, 'web-2'],
      [1400, 3, 'web-0'],
      // web-1 back (done at 2600, after a restart): keys 1 and 2 return, key 3 stays.
      [2300, 1, 'web-0'],
      [2700, 1, 'web-1'],
      [2800, 2, 'web-1'],
      [2900, 3, 'web-0'],
    ])
    const changes = withEffectTimes(membershipChanges(timeline, ['web-0', 'web-1', 'web-2']), [
      { tMs: 1050, source: 'timeline', type: 'remove-backend', target: 'web[1]' },
      { tMs: 2600, source: 'timeline', type: 'add-backend', target: 'web[1]' },
    ])
    const [removal, addition] = keys.results(changes)
    expect(removal).toMatchObject({ atMs: 1050, change: 'remove-backend web[1]', keys: 3, moved: 2, minimal: 2, backendsBefore: 3, backendsAfter: 2, idealShare: 1 / 3 })
    expect(addition).toMatchObject({ atMs: 2600, change: 'add-backend web[1]', keys: 3, moved: 2, minimal: 2, backendsBefore: 2, backendsAfter: 3 })
  })

  it('a change that took effect after the last answers compares no keys', () => {
    const keys = recorded([
      [100, 1, 'web-1'],
      [1500, 1, 'web-0'],
    ])
    const changes = withEffectTimes(membershipChanges(timeline, ['web-0', 'web-1']), [
      { tMs: 1010, source: 'timeline', type: 'remove-backend', target: 'web[1]' },
      { tMs: 4000, source: 'timeline', type: 'add-backend', target: 'web[1]' },
    ])
    expect(keys.results(changes).map((r) => r.keys)).toEqual([1, 0])
  })

  it('without changes has nothing to report', () => {
    const keys = recorded([[0, 1, 'a']])
    expect(keys.results([])).toEqual([])
  })
})
