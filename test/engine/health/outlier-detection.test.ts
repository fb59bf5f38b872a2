import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { createOutlierDetector, type OutlierConfig, type OutlierDetector } from '../../../engine/health/outlier-detection.js'

const sec = (s: number) => Math.round(s * 1_000_000)
const ids = (n: number) => Array.from({ length: n }, (_, i) => `h${i}`)

function detector(members: string[], config: OutlierConfig = {}): OutlierDetector {
  const d = createOutlierDetector(config)
  d.setMembers(members)
  return d
}

/** Fails `id` until it is ejected (or `limit` failures) and returns the ejection's length in seconds. */
function ejectNow(d: OutlierDetector, id: string, nowUs: number, limit = 100): number | undefined {
  for (let i = 0; i < limit; i++) {
    const e = d.record(id, false, nowUs)
    if (e !== undefined) return ((e.untilUs as number) - nowUs) / 1_000_000
  }
  return undefined
}

describe('outlier detection: consecutive failures', () => {
  it.each([
    // results ('-' failure, '+' success), threshold, 1-based position of the ejecting result (0: none)
    ['-----', 5, 5],
    ['----', 5, 0],
    ['----+-----', 5, 10],
    ['----+----', 5, 0],
    ['++---', 3, 5],
    ['--+--+--', 3, 0],
    ['-', 1, 1],
    ['+-', 1, 2],
  ])('%s with threshold %i ejects at result %i', (results, consecutiveFailures, expected) => {
    const d = detector(['a', 'b'], { consecutiveFailures, maxEjectionPercent: 100 })
    let at = 0
    ;[...results].forEach((r, i) => {
      const e = d.record('a', r === '+', sec(i))
      if (e !== undefined) {
        expect(at).toBe(0)
        at = i + 1
        expect(e).toEqual({ type: 'ejected', id: 'a', atUs: sec(i), untilUs: sec(i + 30) })
      }
    })
    expect(at).toBe(expected)
    expect(d.isEjected('a')).toBe(expected > 0)
    expect(d.isEjected('b')).toBe(false)
  })

  it('ignores outcomes for an ejected host: late failures neither extend nor count', () => {
    const d = detector(['a', 'b'], { maxEjectionPercent: 100 })
    ejectNow(d, 'a', 0)
    for (let i = 0; i < 20; i++) expect(d.record('a', false, sec(1))).toBeUndefined()
    expect(d.status().find((s) => s.id === 'a')).toMatchObject({ ejected: true, consecutiveFailures: 0, ejectedUntilUs: sec(30) })
  })
})

describe('outlier detection: ejection time', () => {
  it.each([
    // base s, max s, lengths of successive ejections (each right after the previous one ends)
    [30, 300, [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]],
    [10, 25, [10, 20, 25, 25]],
    [30, 30, [30, 30, 30]],
  ])('base %is, max %is → %j', (base, max, expected) => {
    const d = detector(['a', 'b'], { baseEjectionMs: base * 1000, maxEjectionMs: max * 1000, maxEjectionPercent: 100 })
    let now = 0
    const lengths: number[] = []
    for (let i = 0; i < expected.length; i++) {
      const length = ejectNow(d, 'a', now) as number
      lengths.push(length)
      now += sec(length)
      expect(d.due(now)).toEqual(['a'])
    }
    expect(lengths).toEqual(expected)
  })

  it.each([
    // seconds in service after the 3rd ejection ended (interval 10 s) → length of the 4th ejection
    [0, 120],
    [9.999, 120],
    [10, 90],
    [25, 60],
    [30, 30],
    [1000, 30],
  ])('after %is back in service the next ejection lasts %is (count decays one per interval)', (inService, expected) => {
    const d = detector(['a', 'b'], { maxEjectionPercent: 100 })
    let now = 0
    for (let i = 0; i < 3; i++) {
      now += sec(ejectNow(d, 'a', now) as number)
      d.due(now)
    }
    expect(ejectNow(d, 'a', now + sec(inService))).toBe(expected)
  })

  it('caps the count, so a host at the maximum is back to the base time after max/base intervals', () => {
    const d = detector(['a', 'b'], { maxEjectionPercent: 100, intervalMs: 10_000 })
    let now = 0
    for (let i = 0; i < 25; i++) {
      now += sec(ejectNow(d, 'a', now) as number)
      d.due(now)
    }
    expect(d.status(now).find((s) => s.id === 'a')?.ejections).toBe(10)
    expect(d.status(now + sec(50)).find((s) => s.id === 'a')?.ejections).toBe(5)
    expect(d.status(now + sec(100)).find((s) => s.id === 'a')?.ejections).toBe(0)
    expect(ejectNow(d, 'a', now + sec(100))).toBe(30)
  })

  it('counts decay from the end of the ejection, however late due() is called', () => {
    const d = detector(['a', 'b'], { maxEjectionPercent: 100 })
    ejectNow(d, 'a', 0)
    // Ejection ended at 30 s; the owner only notices at 55 s: two intervals have already passed.
    expect(d.due(sec(55))).toEqual(['a'])
    expect(d.status(sec(55)).find((s) => s.id === 'a')?.ejections).toBe(0)
  })
})

describe('outlier detection: max ejection percent', () => {
  it.each([
    // members, maxEjectionPercent, alwaysEjectOneHost, hosts ejected when every host fails
    [3, 10, false, 0],
    [9, 10, false, 0],
    [10, 10, false, 1],
    [19, 10, false, 1],
    [20, 10, false, 2],
    [3, 10, true, 1],
    [20, 10, true, 2],
    [3, 0, false, 0],
    [3, 0, true, 1],
    [3, 33, false, 0],
    [3, 34, false, 1],
    [4, 50, false, 2],
    [3, 100, false, 3],
    [1, 100, false, 1],
  ])('%i members at %i%% (always one: %s) → %i ejected', (n, maxEjectionPercent, alwaysEjectOneHost, expected) => {
    const d = detector(ids(n), { maxEjectionPercent, alwaysEjectOneHost })
    const ejected = ids(n).filter((id) => ejectNow(d, id, 0, 5) !== undefined)
    expect(ejected).toHaveLength(expected)
    expect(d.status().filter((s) => s.ejected)).toHaveLength(expected)
  })

  it('resets the count of a refused host, so it needs a fresh run of failures once a slot frees', () => {
    const d = detector(ids(10))
    expect(ejectNow(d, 'h0', 0, 5)).toBe(30)
    expect(ejectNow(d, 'h1', 0, 5)).toBeUndefined()
    expect(d.status().find((s) => s.id === 'h1')?.consecutiveFailures).toBe(0)
    expect(d.due(sec(30))).toEqual(['h0'])
    for (let i = 0; i < 4; i++) expect(d.record('h1', false, sec(31))).toBeUndefined()
    expect(d.record('h1', false, sec(31))?.type).toBe('ejected')
  })
})

describe('outlier detection: return to service', () => {
  it('due() returns each host exactly when its ejection ends, in order of expiry', () => {
    const d = detector(['a', 'b', 'c'], { maxEjectionPercent: 100 })
    expect(d.nextDueUs()).toBeUndefined()
    ejectNow(d, 'b', sec(10))
    ejectNow(d, 'a', sec(0))
    expect(d.nextDueUs()).toBe(sec(30))
    expect(d.due(sec(30) - 1)).toEqual([])
    expect(d.due(sec(30))).toEqual(['a'])
    expect(d.isEjected('a')).toBe(false)
    expect(d.nextDueUs()).toBe(sec(40))
    expect(d.due(sec(39))).toEqual([])
    expect(d.due(sec(40))).toEqual(['b'])
    expect(d.nextDueUs()).toBeUndefined()
    expect(d.due(sec(1000))).toEqual([])
  })

  it('returns several expired hosts at once, earliest first', () => {
    const d = detector(['a', 'b', 'c'], { maxEjectionPercent: 100 })
    ejectNow(d, 'c', sec(2))
    ejectNow(d, 'a', sec(5))
    ejectNow(d, 'b', sec(1))
    expect(d.due(sec(100))).toEqual(['b', 'c', 'a'])
  })

  it('counts outcomes again once the host is back', () => {
    const d = detector(['a', 'b'], { maxEjectionPercent: 100, consecutiveFailures: 2 })
    ejectNow(d, 'a', 0)
    d.due(sec(30))
    expect(d.record('a', false, sec(31))).toBeUndefined()
    expect(d.record('a', false, sec(31))).toEqual({ type: 'ejected', id: 'a', atUs: sec(31), untilUs: sec(31 + 60) })
  })
})

describe('outlier detection: membership', () => {
  it('drops the state of removed hosts and starts added ones clean', () => {
    const d = detector(['a', 'b', 'c', 'd'], { maxEjectionPercent: 100 })
    ejectNow(d, 'a', 0)
    for (let i = 0; i < 3; i++) d.record('b', false, 0)
    d.setMembers(['b', 'c', 'd'])
    expect(d.isEjected('a')).toBe(false)
    expect(d.nextDueUs()).toBeUndefined()
    expect(d.record('a', false, 0)).toBeUndefined()
    expect(d.status().map((s) => s.id)).toEqual(['b', 'c', 'd'])
    expect(d.status().find((s) => s.id === 'b')?.consecutiveFailures).toBe(3)
    d.setMembers(['a', 'b', 'c', 'd'])
    expect(d.status().find((s) => s.id === 'a')).toEqual({ id: 'a', ejected: false, ejections: 0, consecutiveFailures: 0, ejectedUntilUs: undefined })
  })

  it('frees the cap slot of a removed ejected host and measures the cap against the new membership', () => {
    const d = detector(['a', 'b', 'c', 'd'], { maxEjectionPercent: 50 })
    expect(ejectNow(d, 'a', 0, 5)).toBe(30)
    expect(ejectNow(d, 'b', 0, 5)).toBe(30)
    expect(ejectNow(d, 'c', 0, 5)).toBeUndefined()
    d.setMembers(['b', 'c', 'd', 'e'])
    expect(ejectNow(d, 'c', 0, 5)).toBe(30)
    expect(ejectNow(d, 'd', 0, 5)).toBeUndefined()
  })

  it('ignores outcomes for ids that are not members', () => {
    const d = createOutlierDetector({ consecutiveFailures: 1, maxEjectionPercent: 100 })
    expect(d.record('ghost', false, 0)).toBeUndefined()
    expect(d.status()).toEqual([])
  })
})

describe('outlier detection: configuration', () => {
  it('uses Envoy defaults', () => {
    const d = detector(ids(10))
    for (let i = 0; i < 4; i++) expect(d.record('h0', false, 0)).toBeUndefined()
    expect(d.record('h0', false, 0)?.untilUs).toBe(sec(30))
  })

  it('reports every problem at once with its path', () => {
    try {
      createOutlierDetector({ consecutiveFailures: 0, maxEjectionPercent: 101, baseEjectionMs: 10_000, maxEjectionMs: 5000, surprise: 1 } as OutlierConfig)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError)
      const error = e as EngineError
      expect(error.code).toBe('LB_ERR_INVALID_OPTIONS')
      expect(error.issues.map((i) => i.path).sort()).toEqual([
        'outlierDetection',
        'outlierDetection.consecutiveFailures',
        'outlierDetection.maxEjectionMs',
        'outlierDetection.maxEjectionPercent',
      ])
    }
  })

  it('rejects a maximum ejection time below the base', () => {
    expect(() => createOutlierDetector({ baseEjectionMs: 10_000, maxEjectionMs: 5000 })).toThrow(/maxEjectionMs: must be at least baseEjectionMs/)
  })
})
