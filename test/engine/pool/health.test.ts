import { describe, expect, it } from 'vitest'
import { initialHealth, observeHealth, type HealthState } from '../../../engine/pool/health.js'

/** Feeds a string of results ('+' pass, '-' fail) and returns the state after each, 'U' or 'D'. */
function run(start: boolean, results: string, rise: number, fall: number): string {
  let state: HealthState = initialHealth(start)
  let out = ''
  for (const r of results) {
    state = observeHealth(state, r === '+', { rise, fall }).state
    out += state.healthy ? 'U' : 'D'
  }
  return out
}

describe('health: rise/fall state machine', () => {
  it.each([
    // start, results, rise, fall, states after each result
    [true, '---', 2, 3, 'UUD'],
    [true, '--+--', 2, 3, 'UUUUU'],
    [true, '--+---', 2, 3, 'UUUUUD'],
    [false, '+', 2, 3, 'D'],
    [false, '++', 2, 3, 'DU'],
    [false, '+-++', 2, 3, 'DDDU'],
    [true, '-', 1, 1, 'D'],
    [false, '+', 1, 1, 'U'],
    [true, '---++-', 2, 3, 'UUDDUU'],
    [true, '+++---+++', 3, 3, 'UUUUUDDDU'],
  ])('from %s, %s with rise %i fall %i → %s', (start, results, rise, fall, expected) => {
    expect(run(start, results, rise, fall)).toBe(expected)
  })

  it('reports the transition on the result that flips the state, and only then', () => {
    let state = initialHealth(true)
    const changes: (string | undefined)[] = []
    for (const ok of [false, false, false, true, true, true]) {
      const step = observeHealth(state, ok, { rise: 2, fall: 3 })
      state = step.state
      changes.push(step.changed)
    }
    expect(changes).toEqual([undefined, undefined, 'down', undefined, 'up', undefined])
  })
})
