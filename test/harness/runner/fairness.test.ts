import { describe, expect, it } from 'vitest'
import { fairnessOf } from '../../../harness/runner/fairness.js'

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
