import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadScenario } from '../../../harness/scenario/load-scenario.js'

/**
 * The scenarios the claims page reads: their names, dimensions and key expectations are a
 * contract. Each must load in full and under --quick.
 */
const file = (name: string) => fileURLToPath(new URL(`../../../scenarios/${name}.yaml`, import.meta.url))
const labels = (name: string, quick = false) => loadScenario(file(name), { quick }).variants.map((v) => v.label)
const expectationNames = (name: string) => loadScenario(file(name)).variants[0]!.scenario.expect.map((e) => e.name)

describe('the claims scenarios', () => {
  it.each([
    ['canary-progressive', { mechanism: ['route-split', 'backend-weights'] }],
    ['path-routing', { routes: [10, 100, 1000], balancer: ['engine', 'haproxy', 'nginx', 'caddy'] }],
    ['host-routing', { routes: [10, 1000], balancer: ['engine', 'haproxy', 'caddy'] }],
    ['sticky-sessions', { stickiness: ['cookie', 'source-ip', 'none'], balancer: ['engine', 'caddy'] }],
    ['algorithms', { algorithm: ['round-robin', 'weighted-round-robin', 'least-connections', 'random', 'p2c', 'peak-ewma'], balancer: ['engine', 'caddy'] }],
    ['consistent-hashing', { algorithm: ['ring-hash', 'maglev', 'rendezvous'] }],
    ['health-checks', { check: ['tcp', 'http'], balancer: ['engine', 'haproxy'] }],
    ['rate-limiting', { offered: [100, 200, 400, 2000], balancer: ['engine', 'haproxy', 'nginx'] }],
    ['auth-offload', { credential: ['hs256', 'es256', 'bad-signature', 'none'], balancer: ['engine', 'haproxy', 'nginx'] }],
    ['websocket', { balancer: ['direct', 'engine', 'haproxy'], layer: ['l4', 'l7'] }],
  ])('%s has its name and dimensions', (name, dims) => {
    const loaded = loadScenario(file(name))
    expect(loaded.name).toBe(name)
    for (const [dim, values] of Object.entries(dims)) expect(new Set(loaded.variants.map((v) => v.label[dim]))).toEqual(new Set<unknown>(values))
  })

  it('run the engine in every scenario, also under --quick', () => {
    for (const name of ['canary-progressive', 'path-routing', 'host-routing', 'sticky-sessions', 'algorithms', 'consistent-hashing', 'health-checks', 'rate-limiting', 'auth-offload']) {
      const quick = loadScenario(file(name), { quick: true })
      expect(quick.variants.every((v) => v.scenario.balancer.implementation === 'engine'), name).toBe(true)
      expect(quick.variants.length, name).toBeGreaterThan(0)
    }
  })

  it('path-routing pads its table to the routes dimension and checks routing', () => {
    const loaded = loadScenario(file('path-routing'))
    for (const v of loaded.variants) expect(v.scenario.balancer.listeners[0]!.routes).toHaveLength(Number(v.label.routes))
    expect(loaded.variants[0]!.scenario.expect.some((e) => 'misrouted' in e && e.misrouted.max === 0)).toBe(true)
    expect(labels('path-routing').some((l) => l.balancer === 'nginx' && l.routes === 1000)).toBe(false)
  })

  it('sticky-sessions measures stickiness: cookies and several clients', () => {
    const s = loadScenario(file('sticky-sessions')).variants[0]!.scenario
    expect(s.load.cookies).toBe(true)
    expect(s.load.clients).toBeGreaterThan(1)
    expect(s.timeline.map((t) => [t.do, t.target])).toEqual([
      ['remove-backend', 'web[1]'],
      ['add-backend', 'web[1]'],
    ])
  })

  it('rate-limiting names the expectations its claim reads, and every balancer runs the same limit', () => {
    expect(expectationNames('rate-limiting')).toEqual(expect.arrayContaining(['at twice the limit about half is refused', 'at ten times the limit about nine in ten are refused']))
    expect(new Set(labels('rate-limiting', true).map((l) => l.offered))).toEqual(new Set([400, 2000]))
  })

  it('health-checks names its key expectations', () => {
    expect(expectationNames('health-checks')).toEqual(expect.arrayContaining(['http check takes the broken backend out', 'tcp check keeps sending to the broken backend']))
  })

  it('the quick variants fit the budget: few runs', () => {
    const runs = ['canary-progressive', 'path-routing', 'host-routing', 'sticky-sessions', 'algorithms', 'consistent-hashing', 'health-checks', 'rate-limiting', 'auth-offload'].reduce((n, name) => n + labels(name, true).length, 0)
    expect(runs).toBeLessThanOrEqual(18)
  })
})
