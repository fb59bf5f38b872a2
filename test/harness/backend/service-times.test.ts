import { describe, expect, it } from 'vitest'
import { mergeServiceTimes, serviceWarnings, ServiceTimes } from '../../../harness/backend/service-times.js'

function times(pairs: readonly [number, number][]): ServiceTimes {
  const t = new ServiceTimes()
  for (const [asked, made] of pairs) t.record(asked, made)
  return t
}

describe('service times', () => {
  it('reports asked against made, with the exact least overshoot', () => {
    const s = times([
      [2000, 2003.5],
      [2000, 2010],
      [1000, 1001],
    ]).snapshot()
    expect(s).toMatchObject({ holds: 3, overshootUs: { min: 1, max: 10 } })
    expect(s.requestedMeanUs).toBeCloseTo(5000 / 3)
    expect(s.actualMeanUs).toBeCloseTo(5014.5 / 3)
    expect(s.overshootUs.mean).toBeCloseTo(14.5 / 3)
    expect(new ServiceTimes().snapshot()).toMatchObject({ holds: 0, requestedMeanUs: 0, overshootUs: { min: 0, p50: 0 } })
  })

  it('merges backends exactly: histograms added, means weighted by holds, the least of the minima', () => {
    const a = times(Array.from({ length: 90 }, () => [2000, 2002] as [number, number])).snapshot()
    const b = times(Array.from({ length: 10 }, () => [5000, 5500] as [number, number])).snapshot()
    const m = mergeServiceTimes([a, b, new ServiceTimes().snapshot()])!
    expect(m.holds).toBe(100)
    expect(m.requestedMeanUs).toBeCloseTo(2300)
    expect(m.overshootUs).toMatchObject({ min: 2, p50: 2, p99: 500, max: 500 })
    expect(m.overshootUs.mean).toBeCloseTo(51.8)
    expect(mergeServiceTimes([new ServiceTimes().snapshot()])).toBeUndefined()
  })

  it.each([
    [{ min: 0, p50: 3, p99: 40 }, []],
    [{ min: -800, p50: 3, p99: 40 }, ['a backend answered 800 µs before its injected latency was over']],
    [{ min: 1, p50: 420, p99: 900 }, ['backends waited a median 420 µs (p99 900 µs) longer than their injected latency: the latency measured includes that']],
  ])('warns about %j: %j', (o, expected) => {
    expect(serviceWarnings({ holds: 10, requestedMeanUs: 2000, actualMeanUs: 2000, overshootUs: { mean: 0, max: 1000, ...o } })).toEqual(expected)
    expect(serviceWarnings(undefined)).toEqual([])
  })
})
