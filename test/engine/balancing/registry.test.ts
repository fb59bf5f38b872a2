import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { configureAlgorithm } from '../../../engine/balancing/create-picker.js'
import { algorithmAliases, algorithms, resolveAlgorithmName } from '../../../engine/balancing/registry.js'
import { EngineError } from '../../../engine/errors.js'

describe('algorithm registry', () => {
  it.each(Object.keys(algorithms))('%s has a test file that runs the shared conformance suite', (name) => {
    const source = readFileSync(new URL(`./${name}.test.ts`, import.meta.url), 'utf8')
    expect(source).toContain(`runConformance('${name}'`)
  })

  it('resolves every alias to a registered algorithm', () => {
    for (const [alias, target] of Object.entries(algorithmAliases)) {
      expect(algorithms[target], alias).toBeDefined()
      expect(resolveAlgorithmName(alias)).toBe(target)
    }
    expect(resolveAlgorithmName('leastconn')).toBe('least-connections')
    expect(resolveAlgorithmName('toString')).toBeUndefined()
  })

  it('rejects an unknown algorithm with a stable code and the list of names', () => {
    const error = (() => {
      try {
        configureAlgorithm('fastest-please')
      } catch (e) {
        return e as EngineError
      }
    })()
    expect(error).toBeInstanceOf(EngineError)
    expect(error!.code).toBe('LB_ERR_UNKNOWN_ALGORITHM')
    expect(error!.message).toContain('maglev')
  })

  it('reports every invalid option at once, each with its path', () => {
    try {
      configureAlgorithm('p2c', { choiceCount: 1, activeRequestBias: -2, color: 'red' })
      expect.unreachable()
    } catch (e) {
      const error = e as EngineError
      expect(error.code).toBe('LB_ERR_INVALID_OPTIONS')
      expect(error.issues.map((i) => i.path).sort()).toEqual(['algorithm.options', 'algorithm.options.activeRequestBias', 'algorithm.options.choiceCount'])
    }
  })

  it('applies defaults', () => {
    expect(configureAlgorithm('maglev').options).toEqual({ tableSize: 65_537 })
    expect(configureAlgorithm('least-request').name).toBe('p2c')
  })
})
