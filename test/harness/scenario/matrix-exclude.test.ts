import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { parseScenario } from '../../../harness/scenario/load-scenario.js'
import { combinations, matchesPattern, patternIssues, withoutExcluded } from '../../../harness/scenario/matrix.js'

const matrix = { balancer: ['direct', 'engine', 'haproxy'], layer: [{ name: 'l4', set: {} }, { name: 'l7', set: {} }], rate: [100, 1000] }

describe('matchesPattern', () => {
  it.each<{ pattern: Record<string, string | number | string[] | number[]>; label: Record<string, string | number>; match: boolean }>([
    { pattern: { balancer: 'direct' }, label: { balancer: 'direct', layer: 'l7' }, match: true },
    { pattern: { balancer: 'direct', layer: 'l7' }, label: { balancer: 'direct', layer: 'l4' }, match: false },
    { pattern: { balancer: ['haproxy', 'engine'] }, label: { balancer: 'engine' }, match: true },
    // Numbers and their text are one value: YAML may write either.
    { pattern: { rate: '1000' }, label: { rate: 1000 }, match: true },
    { pattern: { rate: [100] }, label: { rate: 1000 }, match: false },
    { pattern: { missing: 'x' }, label: { balancer: 'engine' }, match: false },
  ])('$pattern on $label → $match', ({ pattern, label, match }) => {
    expect(matchesPattern(label, pattern)).toBe(match)
  })
})

describe('withoutExcluded', () => {
  it('drops every combination one pattern matches, keeps the order of the rest', () => {
    const kept = withoutExcluded(combinations(matrix), [{ balancer: 'direct', layer: 'l7' }, { balancer: 'haproxy', rate: 100 }])
    expect(kept.map((c) => `${c.label.balancer} ${c.label.layer} ${c.label.rate}`)).toEqual([
      'direct l4 100',
      'direct l4 1000',
      'engine l4 100',
      'engine l4 1000',
      'engine l7 100',
      'engine l7 1000',
      'haproxy l4 1000',
      'haproxy l7 1000',
    ])
  })

  it('no patterns: everything', () => {
    expect(withoutExcluded(combinations(matrix), [])).toHaveLength(12)
  })
})

describe('patternIssues', () => {
  it('names an unknown dimension, an unknown value and an empty pattern, with their paths', () => {
    expect(patternIssues(matrix, [{ balancr: 'direct' }, { layer: ['l4', 'l3'] }, {}], 'exclude')).toEqual([
      { path: 'exclude[0].balancr', message: 'no matrix dimension "balancr" (dimensions: balancer, layer, rate)' },
      { path: 'exclude[1].layer', message: '"l3" is not a value of layer (values: l4, l7)' },
      { path: 'exclude[2]', message: 'an empty pattern would exclude every combination' },
    ])
  })

  it('accepts scalar values written as text or number', () => {
    expect(patternIssues(matrix, [{ rate: '100' }, { rate: 1000 }], 'exclude')).toEqual([])
  })
})

describe('exclude and quick.exclude in a scenario', () => {
  const scenario = (extra: Record<string, unknown> = {}) => ({
    name: 'x',
    backends: { web: { count: 1 } },
    balancer: { implementation: '${balancer}', listeners: [{ name: 'web', protocol: 'http', routes: [{ pool: 'web' }] }], pools: { web: { backends: 'web' } } },
    load: { duration: '1s' },
    matrix: { balancer: ['direct', 'engine', 'haproxy'], connection: [{ name: 'keep-alive' }, { name: 'new', set: { 'load.newConnectionPerRequest': true } }] },
    exclude: [{ balancer: 'direct', connection: 'new' }],
    quick: { exclude: [{ balancer: 'haproxy' }] },
    ...extra,
  })
  const labels = (quick: boolean) => parseScenario(scenario(), 'x.yaml', '', { quick }).variants.map((v) => `${v.label.balancer}/${v.label.connection}`)

  it('leaves excluded combinations out; --quick leaves out its own too', () => {
    expect(labels(false)).toEqual(['direct/keep-alive', 'engine/keep-alive', 'engine/new', 'haproxy/keep-alive', 'haproxy/new'])
    expect(labels(true)).toEqual(['direct/keep-alive', 'engine/keep-alive', 'engine/new'])
  })

  it('reports bad patterns in both lists, and a matrix excluded entirely, before anything runs', () => {
    const bad = scenario({ exclude: [{ balancer: 'nginx' }], quick: { exclude: [{ speed: 'fast' }] } })
    const issues = (() => {
      try {
        parseScenario(bad, 'x.yaml', '')
      } catch (e) {
        return (e as EngineError).issues
      }
      return []
    })()
    expect(issues).toEqual([
      { path: 'exclude[0].balancer', message: '"nginx" is not a value of balancer (values: direct, engine, haproxy)' },
      { path: 'quick.exclude[0].speed', message: 'no matrix dimension "speed" (dimensions: balancer, connection)' },
    ])
    expect(() => parseScenario(scenario({ exclude: [{ connection: ['keep-alive', 'new'] }] }), 'x.yaml', '')).toThrow(EngineError)
    try {
      parseScenario(scenario({ exclude: [{ connection: ['keep-alive', 'new'] }] }), 'x.yaml', '')
    } catch (e) {
      expect((e as EngineError).issues).toContainEqual({ path: 'exclude', message: 'every combination of the matrix is excluded' })
    }
  })
})
