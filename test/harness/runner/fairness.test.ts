import { describe, expect, it } from 'vitest'
import { fairnessOf, spreadOf } from '../../../harness/runner/fairness.js'

describe('fairnessOf', () => {
  it.each([
    ['even', [100, 100, 100, 100], 1, 0],
    ['one backend', [42], 1, 0],
    ['half on one of two', [300, 100], 1.5, 0.5],
    ['everything on one of four', [400, 0, 0, 0], 4, Math.sqrt(3)],
    ['a slow backend given a tenth', [300, 300, 100, 300], 1.2, Math.sqrt(0.12)],
  ])('%s: %j → max/mean %d, cv %d', (_, counts, maxOverMean, cv) => {
    const f = fairnessOf(counts)!
    expect(f.maxOverMean).toBeCloseTo(maxOverMean, 10)
    expect(f.cv).toBeCloseTo(cv, 10)
  })

  it('is undefined without backends or requests', () => {
    expect(fairnessOf([])).toBeUndefined()
    expect(fairnessOf([0, 0])).toBeUndefined()
  })
})

describe('spreadOf', () => {
  it.each([
    // Jain = (Σx)² / (n·Σx²)
    ['even', [5, 5, 5, 5], { maxOverMean: 1, minOverMean: 1, cv: 0, jain: 1 }],
    ['everything on one of four', [8, 0, 0, 0], { maxOverMean: 4, minOverMean: 0, cv: Math.sqrt(3), jain: 0.25 }],
    ['3 : 1', [3, 1], { maxOverMean: 1.5, minOverMean: 0.5, cv: 0.5, jain: 16 / 20 }],
  ])('%s: %j', (_, values, want) => {
    const s = spreadOf(values)!
    for (const [k, v] of Object.entries(want)) expect(s[k as keyof typeof s], k).toBeCloseTo(v, 10)
  })

  it('is undefined for no values or a zero sum, and reads typed arrays', () => {
    expect(spreadOf([])).toBeUndefined()
    expect(spreadOf(new Float64Array(3))).toBeUndefined()
    expect(spreadOf(Float64Array.of(2, 2))!.jain).toBe(1)
  })
})
