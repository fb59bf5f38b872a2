import { describe, expect, it } from 'vitest'
import { configureAlgorithm } from '../../../engine/balancing/create-picker.js'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { seededRandom } from '../../../engine/balancing/random.js'
import { algorithms, type AlgorithmName } from '../../../engine/balancing/registry.js'
import type { Backend, PickContext, Picker } from '../../../engine/balancing/types.js'
import { clientKeys, tally, weighted } from '../../helpers/backends.js'

/** How one algorithm takes part in the shared suite. */
export interface ConformanceOptions {
  /** Algorithm options for every test (defaults otherwise). */
  readonly options?: Record<string, unknown>
  /**
   * Largest absolute gap between a backend's measured share and its configured share over 100,000
   * picks. Default 0.01: binomial sampling noise is at most √(¼·¾/10⁵) ≈ 0.0014, so 0.01 is ~7σ.
   */
  readonly shareTolerance?: number
}

const FIVE = weighted({ a: 1, b: 2, c: 3, d: 4, e: 5 })

/**
 * The shared conformance suite. Every algorithm's test file runs it; it checks what any picker owes
 * its caller, whatever the algorithm: never an absent or tried backend, sane empty and single-backend
 * snapshots, exact replay under a seed, long-run shares that follow the weights, and rebuilds.
 */
export function runConformance(name: AlgorithmName, conf: ConformanceOptions = {}): void {
  const algorithm = algorithms[name]
  const configured = configureAlgorithm(name, conf.options ?? {})
  const build = (backends: readonly Backend[], seed = 1, previous?: Picker) => {
    const deps = seededDeps(seed)
    return { picker: configured.build(backends, deps, previous), deps }
  }
  const keys = clientKeys(100_000)
  /** One pick with a key and, for feedback algorithms, a request that completes at once. */
  const pickAndComplete = (picker: Picker, deps: ReturnType<typeof seededDeps>, ctx: PickContext) => {
    deps.advanceUs(10)
    const b = picker.pick(ctx)
    if (b !== undefined && picker.onStart !== undefined) {
      picker.onStart(b)
      picker.onDone?.(b, { ok: true, latencyUs: 1000 })
    }
    return b
  }

  describe(`${name}: conformance`, () => {
    it('is selectable by its name from the registry', () => {
      expect(configured.name).toBe(name)
      expect(algorithm.name).toBe(name)
      expect(algorithm.options.safeParse({}).success).toBe(true)
      expect(algorithm.options.safeParse({ surelyNotAnOption: 1 }).success).toBe(false)
    })

    it('returns nothing from an empty snapshot', () => {
      const { picker } = build([])
      expect(picker.pick()).toBeUndefined()
      expect(picker.pick({ key: 'k' })).toBeUndefined()
      expect(picker.pick({ hash: 12345, tried: new Set(['x']) })).toBeUndefined()
    })

    it('always returns the single backend of a one-backend snapshot, and nothing once it was tried', () => {
      const only = weighted({ solo: 3 })
      const { picker, deps } = build(only)
      for (let i = 0; i < 50; i++) expect(pickAndComplete(picker, deps, { key: keys[i]! })).toBe(only[0])
      expect(picker.pick({ key: 'k', tried: new Set(['solo']), attempt: 1 })).toBeUndefined()
    })

    it('never returns a backend outside the snapshot or one already tried', () => {
      const { picker, deps } = build(FIVE)
      const random = seededRandom(99)
      const ids = FIVE.map((b) => b.id)
      for (let i = 0; i < 5000; i++) {
        const tried = new Set(ids.filter(() => random() < 0.4))
        const b = pickAndComplete(picker, deps, { key: keys[i]!, tried, attempt: tried.size })
        if (tried.size === ids.length) {
          expect(b).toBeUndefined()
        } else {
          expect(b).toBeDefined()
          expect(FIVE).toContain(b)
          expect(tried.has(b!.id)).toBe(false)
        }
      }
    })

    it('replays exactly under the same seed', () => {
      const run = () => {
        const { picker, deps } = build(FIVE, 42)
        return Array.from({ length: 3000 }, (_, i) => pickAndComplete(picker, deps, i % 3 === 0 ? {} : { key: keys[i]! })?.id)
      }
      expect(run()).toEqual(run())
    })

    it('gives each backend its configured share over 100,000 picks', () => {
      const { picker, deps } = build(FIVE, 7)
      const counts = tally(keys.map((key) => pickAndComplete(picker, deps, { key })!.id))
      const total = FIVE.reduce((s, b) => s + (algorithm.weighted ? b.weight : 1), 0)
      const tolerance = conf.shareTolerance ?? 0.01
      for (const b of FIVE) {
        const expected = (algorithm.weighted ? b.weight : 1) / total
        expect(Math.abs((counts.get(b.id) ?? 0) / keys.length - expected), `share of ${b.id}`).toBeLessThanOrEqual(tolerance)
      }
    })

    it('takes feedback by position exactly as by backend (both forms or neither)', () => {
      const byBackend = build(FIVE, 4)
      const byPosition = build(FIVE, 4)
      const forms = [byPosition.picker.onStart, byPosition.picker.onDone, byPosition.picker.onStartAt, byPosition.picker.onDoneAt]
      expect(new Set(forms.map((f) => f === undefined)).size, 'all four feedback methods or none').toBe(1)
      expect(forms[0] !== undefined, 'feedback methods iff the algorithm declares feedback').toBe(algorithm.feedback)
      if (!algorithm.feedback) return
      // Requests stay in flight a while (a window of 7), so the counts the picks see differ by backend.
      const window: number[] = []
      for (let i = 0; i < 3000; i++) {
        byBackend.deps.advanceUs(10)
        byPosition.deps.advanceUs(10)
        const a = byBackend.picker.pick({ key: keys[i]! })!
        const b = byPosition.picker.pick({ key: keys[i]! })!
        expect(b.id, `pick ${i}`).toBe(a.id)
        const at = FIVE.findIndex((x) => x.id === b.id)
        byBackend.picker.onStart!(a)
        byPosition.picker.onStartAt!(at)
        window.push(at)
        if (window.length > 7) {
          const done = window.shift()!
          const outcome = { ok: true, latencyUs: 200 + 100 * done }
          byBackend.picker.onDone!(FIVE[done]!, outcome)
          byPosition.picker.onDoneAt!(done, outcome)
        }
      }
    })

    it('follows membership changes when rebuilt, ignoring feedback about departed backends', () => {
      const first = build(FIVE, 3)
      for (let i = 0; i < 100; i++) pickAndComplete(first.picker, first.deps, { key: keys[i]! })
      const without = FIVE.filter((b) => b.id !== 'c')
      const second = build(without, 3, first.picker)
      second.picker.onStart?.(FIVE[2]!)
      second.picker.onDone?.(FIVE[2]!, { ok: false, latencyUs: 5 })
      for (let i = 0; i < 2000; i++) expect(pickAndComplete(second.picker, second.deps, { key: keys[i]! })!.id).not.toBe('c')
      const added = [...without, ...weighted({ f: 5 })]
      const third = build(added, 3, second.picker)
      const seen = new Set(keys.slice(0, 5000).map((key) => pickAndComplete(third.picker, third.deps, { key })!.id))
      expect([...seen].sort()).toEqual(['a', 'b', 'd', 'e', 'f'])
    })
  })
}
