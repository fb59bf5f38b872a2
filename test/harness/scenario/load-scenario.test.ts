import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { parseScenario } from '../../../harness/scenario/load-scenario.js'

const base = () => ({
  name: 'test',
  backends: { web: { count: 2 } },
  balancer: { listeners: [{ name: 'web', protocol: 'http', routes: [{ pool: 'web' }] }], pools: { web: { backends: 'web' } } },
  load: { duration: '2s' },
})

const issues = (raw: unknown) => {
  try {
    parseScenario(raw, 'test.yaml', JSON.stringify(raw))
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError)
    expect((e as EngineError).code).toBe('LB_ERR_INVALID_SCENARIO')
    return (e as EngineError).issues
  }
  throw new Error('expected the scenario to be rejected')
}

describe('scenario loading and validation', () => {
  it('applies defaults and parses durations', () => {
    const s = parseScenario(base(), 'test.yaml', '').variants[0]!.scenario
    expect(s.load).toMatchObject({ generator: 'layerbench', mode: 'closed', connections: 16, duration: 2000, warmup: 2000, clients: 1 })
    expect(s.backends.web).toMatchObject({ count: 2, protocols: ['http'], weight: 1, proxyProtocol: 'none' })
    expect(s.repeats).toBe(1)
  })

  it('hashes the file text so results say exactly what ran', () => {
    const a = parseScenario(base(), 'x', 'one')
    const b = parseScenario(base(), 'x', 'two')
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(a.hash).not.toBe(b.hash)
  })

  it('expands the matrix into fully validated variants with substitutions and sets', () => {
    const loaded = parseScenario(
      {
        ...base(),
        balancer: { ...base().balancer, pools: { web: { backends: 'web', algorithm: '${algorithm}' } } },
        matrix: { algorithm: ['round-robin', 'maglev'], layer: [{ name: 'L4', set: { 'balancer.listeners[0].protocol': 'tcp', 'balancer.listeners[0].pool': 'web', 'balancer.listeners[0].routes': null } }, { name: 'L7' }] },
      },
      'm.yaml',
      '',
    )
    expect(loaded.variants.map((v) => v.label)).toEqual([
      { algorithm: 'round-robin', layer: 'L4' },
      { algorithm: 'round-robin', layer: 'L7' },
      { algorithm: 'maglev', layer: 'L4' },
      { algorithm: 'maglev', layer: 'L7' },
    ])
    expect(loaded.variants[2]!.scenario.balancer.pools.web!.algorithm).toBe('maglev')
    expect(loaded.variants[0]!.scenario.balancer.listeners[0]).toMatchObject({ protocol: 'tcp', pool: 'web' })
    expect(loaded.variants[0]!.scenario.balancer.listeners[0]!.routes).toBeUndefined()
  })

  it('applies --quick overrides', () => {
    const loaded = parseScenario({ ...base(), repeats: 5, quick: { duration: '500ms', repeats: 1, connections: 2 } }, 'q.yaml', '', { quick: true })
    expect(loaded.repeats).toBe(1)
    expect(loaded.variants[0]!.scenario.load).toMatchObject({ duration: 500, connections: 2 })
  })

  it('reports every problem at once, with paths, across the schema, references and the balancer', () => {
    const found = issues({
      ...base(),
      backends: { web: { count: 0, behaviour: { errorRate: 2 } } },
      balancer: {
        listeners: [{ name: 'web', protocol: 'http', routes: [{ pool: 'nope' }] }],
        pools: { web: { backends: 'ghosts', algorithm: 'fastest' } },
      },
      load: { duration: 'forever', listener: 'elsewhere' },
      timeline: [{ at: '1s', do: 'kill', target: 'web[0]' }, { at: '2s', do: 'explode', target: 'web' }],
      expect: [{ share: { groups: { web: 1 } }, when: { layer: 4 } }],
      surprise: 1,
    })
    const paths = found.map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(['backends.web.count', 'backends.web.behaviour.errorRate', 'load.duration', 'timeline[1].do', '']))
  })

  it('checks references once the schema is satisfied', () => {
    const found = issues({
      ...base(),
      balancer: { listeners: [{ name: 'web', protocol: 'http', routes: [{ pool: 'nope' }] }], pools: { web: { backends: 'ghosts', algorithm: 'fastest' } } },
      load: { listener: 'elsewhere', mode: 'open' },
      timeline: [{ at: '1s', do: 'kill', target: 'web[5]' }],
      expect: [{ share: { groups: { api: 1 } } }, { errorRate: { max: 0 }, when: { layer: 4 } }],
    })
    const paths = found.map((i) => i.path)
    expect(paths).toEqual(
      expect.arrayContaining(['balancer.pools.web.backends', 'load.listener', 'load.rate', 'timeline[0].target', 'expect[0].share.groups.api', 'expect[1].when.layer']),
    )
  })

  it('accepts h2 and grpc loads with streams per connection, and rejects their options elsewhere', () => {
    const grpc = { ...base(), backends: { web: { count: 2, protocols: ['grpc'] } }, balancer: { ...base().balancer, pools: { web: { backends: { groups: ['web'], port: 'grpc' } } } } }
    const s = parseScenario({ ...grpc, load: { duration: '2s', protocol: 'grpc', connections: 2, streamsPerConnection: 8, grpc: { path: '/layerbench.echo.Echo/Unary', messageBase64: 'CgRwaW5n' } } }, 't.yaml', '').variants[0]!.scenario
    expect(s.load).toMatchObject({ protocol: 'grpc', connections: 2, streamsPerConnection: 8 })
    const paths = issues({ ...base(), load: { duration: '2s', protocol: 'http', streamsPerConnection: 4, grpc: {} } }).map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(['load.streamsPerConnection', 'load.grpc']))
    expect(issues({ ...base(), load: { duration: '2s', protocol: 'h2', generator: 'autocannon' } }).map((i) => i.path)).toContain('load.generator')
  })

  it('validates each variant’s balancer with the engine’s own rules, naming the variants that fail', () => {
    const found = issues({
      ...base(),
      balancer: { ...base().balancer, pools: { web: { backends: 'web', algorithm: '${algorithm}' } } },
      matrix: { algorithm: ['round-robin', 'fastest', 'maglev'] },
    })
    expect(found).toHaveLength(1)
    expect(found[0]!.path).toBe('balancer.pools.web.algorithm')
    expect(found[0]!.message).toMatch(/in variant algorithm=fastest/)
  })

  it('rejects a matrix set path that is not a path', () => {
    const found = issues({ ...base(), matrix: { x: [{ name: 'a', set: { 'load..duration': 1 } }] } })
    expect(found[0]!.message).toMatch(/not a path/)
  })
})
