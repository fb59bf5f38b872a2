import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { leastConnections } from '../../../engine/balancing/least-connections.js'
import { roundRobin } from '../../../engine/balancing/round-robin.js'
import { many, weighted } from '../../helpers/backends.js'
import { runClosedLoop } from '../../helpers/closed-loop.js'
import { runConformance } from './conformance.js'

runConformance('least-connections')

describe('least-connections: behaviour', () => {
  it('picks the backend with the fewest requests in flight', () => {
    const [a, b, c] = weighted({ a: 1, b: 1, c: 1 })
    const picker = leastConnections.build([a!, b!, c!], {}, seededDeps(1))
    picker.onStart!(a!)
    picker.onStart!(a!)
    picker.onStart!(b!)
    expect(picker.pick()).toBe(c)
    picker.onStart!(c!)
    picker.onStart!(c!)
    expect(picker.pick()).toBe(b)
    picker.onDone!(a!, { ok: true, latencyUs: 1 })
    picker.onDone!(a!, { ok: true, latencyUs: 1 })
    expect(picker.pick()).toBe(a)
  })

  it('compares in-flight requests per unit of weight (nginx: conns·w_best < best_conns·w)', () => {
    const [heavy, light] = weighted({ heavy: 4, light: 1 })
    const picker = leastConnections.build([heavy!, light!], {}, seededDeps(1))
    for (let i = 0; i < 3; i++) picker.onStart!(heavy!)
    expect(picker.pick()).toBe(light) // 3/4 against 0/1
    picker.onStart!(light!)
    expect(picker.pick()).toBe(heavy) // 3/4 against 1/1
    picker.onStart!(heavy!)
    picker.onStart!(heavy!)
    expect(picker.pick()).toBe(light) // 5/4 against 1/1
  })

  it('shares an idle pool by weight, interleaved', () => {
    const picker = leastConnections.build(weighted({ a: 5, b: 1, c: 1 }), {}, seededDeps(1))
    const ids = Array.from({ length: 70 }, () => {
      const b = picker.pick()!
      picker.onStart!(b)
      picker.onDone!(b, { ok: true, latencyUs: 10 })
      return b.id
    }).join('')
    // Ties go to the backend furthest behind its weighted share (Webster order): 5:1:1 in every 7.
    for (let w = 0; w < 70; w += 7) {
      const window = ids.slice(w, w + 7)
      expect([...window].filter((x) => x === 'a')).toHaveLength(5)
      expect(window).toContain('b')
      expect(window).toContain('c')
    }
  })

  it('sends a 3× slower backend a third of a fast one’s load in a closed loop (in-flight equalised)', () => {
    // 16 clients over 4 backends: least connections keeps ~4 in flight everywhere, so by Little's
    // law each backend completes in-flight/latency: the slow one 4/3 against 4 → share (1/3)/(3+1/3) = 0.10.
    // Round robin ignores speed and gives it 1/4 of the requests.
    const backends = many(4)
    const slow = (b: { id: string }) => (b.id === 'b0' ? 3000 : 1000)
    const lc = runClosedLoop(leastConnections.build(backends, {}, seededDeps(1)), slow, 16, 40_000, seededDeps(1))
    const rr = runClosedLoop(roundRobin.build(backends, {}, seededDeps(1)), slow, 16, 40_000, seededDeps(1))
    expect(lc.get('b0')! / 40_000).toBeCloseTo(0.1, 2)
    expect(rr.get('b0')! / 40_000).toBeCloseTo(0.25, 2)
  })
})
