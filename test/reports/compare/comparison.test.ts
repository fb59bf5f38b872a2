import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { compareResults, countVerdicts, defaultGateOptions, resolveGateOptions, type GateOptions } from '../../../reports/compare/index.js'
import { syntheticResult } from '../../helpers/synthetic-results.js'

describe('resolveGateOptions', () => {
  it('fills in every default', () => {
    expect(resolveGateOptions()).toEqual(defaultGateOptions)
    expect(resolveGateOptions({})).toEqual(defaultGateOptions)
  })

  it('overrides one metric’s minimum and keeps the others', () => {
    const o = resolveGateOptions({ minChange: { p99: 0.1 }, alpha: 0.01 })
    expect(o.minChange).toEqual({ ...defaultGateOptions.minChange, p99: 0.1 })
    expect(o.alpha).toBe(0.01)
    expect(o.minRepeats).toBe(defaultGateOptions.minRepeats)
  })

  it('reports every bad option at once, with its path and a stable code', () => {
    const bad = { alpha: 1.5, minChange: { p99: -0.1, p42: 0.1 }, minRepeats: 1, thresholdOnlyFactor: 0.5 } as unknown as GateOptions
    let error: unknown
    try {
      resolveGateOptions(bad)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(EngineError)
    expect((error as EngineError).code).toBe('LB_ERR_INVALID_OPTIONS')
    const paths = (error as EngineError).issues.map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(['alpha', 'minChange.p99', 'minChange', 'minRepeats', 'thresholdOnlyFactor']))
    expect(paths).toHaveLength(5)
  })

  it('is applied by compareResults, which rejects bad options before comparing anything', () => {
    const r = syntheticResult({ name: 's', variants: [{ seed: 1 }] })
    expect(compareResults([r], [r], { minRepeats: 7 }).options.minRepeats).toBe(7)
    expect(() => compareResults([r], [r], { alpha: 0 })).toThrow(EngineError)
  })
})

describe('countVerdicts', () => {
  it('counts every verdict, zero included', () => {
    const before = syntheticResult({ name: 's', variants: [{ variant: { v: 'a' }, seed: 1 }, { variant: { v: 'gone' }, seed: 2 }] })
    const after = syntheticResult({ name: 's', variants: [{ variant: { v: 'a' }, seed: 3, p99Us: 40_000 }, { variant: { v: 'fresh' }, seed: 4 }] })
    const counts = countVerdicts(compareResults([before], [after]))
    expect(counts).toEqual({ regression: 1, improvement: 0, unchanged: 5, inconclusive: 0, missing: 1, new: 1 })
  })
})
