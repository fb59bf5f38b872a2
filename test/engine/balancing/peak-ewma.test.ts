import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { ewmaCost, peakEwma } from '../../../engine/balancing/peak-ewma.js'
import { many, tally, weighted } from '../../helpers/backends.js'
import { runClosedLoop } from '../../helpers/closed-loop.js'
import { runConformance } from './conformance.js'

runConformance('peak-ewma')

const TAU = 10_000_000

describe('peak-ewma: cost (Finagle PeakEwma)', () => {
  it.each([
    // cost, rtt, elapsed µs, expected — cost·e^(−Δt/τ) + rtt·(1 − e^(−Δt/τ)), or the peak at once
    [1000, 5000, 0, 5000],
    [1000, 5000, TAU, 5000],
    [1000, 0, TAU, 1000 / Math.E],
    [1000, 0, 2 * TAU, 1000 / Math.E ** 2],
    [1000, 500, 0, 1000],
    [1000, 500, TAU, 1000 / Math.E + 500 * (1 - 1 / Math.E)],
    [1000, 0, 100, 1000 * Math.exp(-100 / TAU)],
  ])('cost %f, observed %f after %f µs → %f', (cost, rtt, elapsed, expected) => {
    expect(ewmaCost(cost, rtt, elapsed, TAU)).toBeCloseTo(expected, 9)
  })

  it('decays like e^(−x) to 1e-12 relative across the series/exp switch', () => {
    for (const x of [1e-9, 1e-6, 9.99e-4, 1e-3, 1.01e-3, 0.5, 3]) {
      expect(Math.abs(ewmaCost(1, 0, x * TAU, TAU) / Math.exp(-x) - 1)).toBeLessThan(1e-10)
    }
  })
})

describe('peak-ewma: picks', () => {
  const complete = (picker: ReturnType<typeof peakEwma.build>, b: { id: string }, latencyUs: number) => {
    const backend = picker.backends.find((x) => x.id === b.id)!
    picker.onStart!(backend)
    picker.onDone!(backend, { ok: true, latencyUs })
  }

  it('prefers the backend with the lower latency', () => {
    const deps = seededDeps(1)
    const picker = peakEwma.build(weighted({ a: 1, b: 1 }), { decayTimeMs: 10_000, choiceCount: 2, initialCostUs: 0 }, deps)
    complete(picker, { id: 'a' }, 10_000)
    complete(picker, { id: 'b' }, 1_000)
    deps.advanceUs(1000)
    expect(tally(Array.from({ length: 100 }, () => picker.pick()!.id)).get('b')).toBe(100)
  })

  it('penalises a backend with requests pending and no latency yet, and favours it while idle', () => {
    const deps = seededDeps(1)
    const picker = peakEwma.build(weighted({ a: 1, b: 1, fresh: 1 }), { decayTimeMs: 10_000, choiceCount: 2, initialCostUs: 0 }, deps)
    complete(picker, { id: 'a' }, 1000)
    complete(picker, { id: 'b' }, 1000)
    // Idle and unmeasured: load 0, so it wins every comparison it is drawn into (2 of 3 pairs).
    const idle = tally(Array.from({ length: 3000 }, () => picker.pick()!.id))
    expect(idle.get('fresh')! / 3000).toBeCloseTo(2 / 3, 1)
    // One request in flight and still no latency: Finagle's penalty, it loses every comparison.
    picker.onStart!(picker.backends[2]!)
    const pending = tally(Array.from({ length: 3000 }, () => picker.pick()!.id))
    expect(pending.get('fresh')).toBeUndefined()
  })

  it('forgives a latency spike after ln(spike/normal)·τ of decay', () => {
    // a spiked to 100 ms, b keeps answering in 1 ms: a's cost 100ms·e^(−t/τ) falls under 1 ms
    // after τ·ln 100 ≈ 4.6 τ. With τ = 1 s: still avoided at 4.4 s, chosen again at 4.8 s.
    const deps = seededDeps(1)
    const picker = peakEwma.build(weighted({ a: 1, b: 1 }), { decayTimeMs: 1000, choiceCount: 2, initialCostUs: 0 }, deps)
    complete(picker, { id: 'a' }, 100_000)
    const at = (us: number) => {
      while (deps.nowUs() < us) {
        deps.advanceUs(100_000)
        complete(picker, { id: 'b' }, 1000)
      }
      return picker.pick()!.id
    }
    expect(at(4_400_000)).toBe('b')
    expect(at(4_800_000)).toBe('a')
  })

  it.each([
    [0, 'fresh'],
    [50_000, 'a'],
  ])('a backend added later, with initialCostUs %i, is preferred over a measured one: %s', (initialCostUs, winner) => {
    // Finagle (0): an unmeasured idle backend has load 0 and wins. Linkerd's default_rtt (50 ms):
    // it starts at 50 ms and loses to a backend measured at 1 ms until observations pull it down.
    const deps = seededDeps(1)
    const opts = { decayTimeMs: 1000, choiceCount: 2, initialCostUs }
    const before = peakEwma.build(weighted({ a: 1 }), opts, deps)
    for (let t = 0; t < 100; t++) {
      deps.advanceUs(100_000)
      complete(before, { id: 'a' }, 1000)
    }
    const after = peakEwma.build(weighted({ a: 1, fresh: 1 }), opts, deps, before)
    expect(tally(Array.from({ length: 100 }, () => after.pick()!.id)).get(winner)).toBe(100)
  })

  it('keeps learned latency across a rebuild', () => {
    const deps = seededDeps(1)
    const opts = { decayTimeMs: 10_000, choiceCount: 2, initialCostUs: 0 }
    const before = peakEwma.build(weighted({ a: 1, b: 1 }), opts, deps)
    complete(before, { id: 'a' }, 20_000)
    complete(before, { id: 'b' }, 1000)
    const fresh = peakEwma.build(weighted({ a: 1, b: 1 }), opts, deps)
    const after = peakEwma.build(weighted({ a: 1, b: 1 }), opts, deps, before)
    expect(tally(Array.from({ length: 200 }, () => after.pick()!.id)).get('b')).toBe(200)
    // Without the previous picker both are unmeasured and tie: the first draw wins, about half.
    expect(tally(Array.from({ length: 200 }, () => fresh.pick()!.id)).get('b')).toBeLessThan(150)
  })

  it('sends a 3× slower backend less than least connections would in a closed loop', () => {
    // Load = latency × (pending + 1): the slow backend is chosen only while its pending count is a
    // third of the others', so its share falls below least connections' 0.10; measured ≈ 0.045.
    const served = runClosedLoop(
      peakEwma.build(many(4), { decayTimeMs: 10_000, choiceCount: 2, initialCostUs: 0 }, seededDeps(3)),
      (b) => (b.id === 'b0' ? 3000 : 1000),
      16,
      40_000,
      seededDeps(3),
    )
    expect(served.get('b0')! / 40_000).toBeLessThan(0.1)
    expect(served.get('b0')! / 40_000).toBeGreaterThan(0.01)
  })
})
