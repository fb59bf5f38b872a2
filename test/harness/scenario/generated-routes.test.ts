import { describe, expect, it } from 'vitest'
import { generatedRoutes } from '../../../harness/scenario/generated-routes.js'
import { parseScenario } from '../../../harness/scenario/load-scenario.js'

const scenario = (generated: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'routes',
  backends: { api: { count: 1 }, spare: { count: 1 } },
  balancer: {
    listeners: [{ name: 'web', protocol: 'http', routes: [{ name: 'api', match: { path: { prefix: '/api/' } }, pool: 'api' }, { name: 'default', pool: 'api' }] }],
    pools: { api: { backends: 'api' }, spare: { backends: 'spare' } },
    generatedRoutes: generated,
  },
  load: { duration: '1s' },
  ...extra,
})
const routesOf = (raw: unknown) => parseScenario(raw, 'x.yaml', '').variants.map((v) => v.scenario.balancer.listeners[0]!.routes!)

describe('generated routes', () => {
  it('matches distinct path prefixes or hosts, none of them the scenario’s', () => {
    expect(generatedRoutes({ match: 'path', pool: 'spare' }, 2)).toEqual([
      { name: 'generated-1', match: { path: { prefix: '/generated-1/' } }, pool: 'spare' },
      { name: 'generated-2', match: { path: { prefix: '/generated-2/' } }, pool: 'spare' },
    ])
    expect(generatedRoutes({ match: 'host', pool: 'spare' }, 1)).toEqual([{ name: 'generated-1', match: { host: 'generated-1.example.test' }, pool: 'spare' }])
  })

  it('pads the table to its size, before the scenario’s routes by default', () => {
    const [routes] = routesOf(scenario({ routes: 10, pool: 'spare' }))
    expect(routes).toHaveLength(10)
    expect(routes!.slice(0, 8).every((r) => r.pool === 'spare' && r.name!.startsWith('generated-'))).toBe(true)
    expect(routes!.slice(8).map((r) => r.name)).toEqual(['api', 'default'])
  })

  it('or after them, and leaves a table at its size alone', () => {
    expect(routesOf(scenario({ routes: 4, pool: 'spare', position: 'after' }))[0]!.map((r) => r.name)).toEqual(['api', 'default', 'generated-1', 'generated-2'])
    expect(routesOf(scenario({ routes: 1, pool: 'spare' }))[0]!.map((r) => r.name)).toEqual(['api', 'default'])
  })

  it('takes its size from a matrix dimension, and is gone from the variant', () => {
    const loaded = parseScenario({ ...scenario({ routes: '${routes}', pool: 'spare', match: 'host' }), matrix: { routes: [10, 1000] } }, 'x.yaml', '')
    expect(loaded.variants.map((v) => v.scenario.balancer.listeners[0]!.routes!.length)).toEqual([10, 1000])
    expect(loaded.variants[1]!.scenario.balancer.listeners[0]!.routes![0]!.match).toEqual({ host: 'generated-1.example.test' })
    expect(loaded.variants[0]!.scenario.balancer.generatedRoutes).toBeUndefined()
  })

  it('is validated with the balancer: an unknown pool is reported', () => {
    expect(() => parseScenario(scenario({ routes: 5, pool: 'nowhere' }), 'x.yaml', '')).toThrow(/nowhere/)
  })
})
