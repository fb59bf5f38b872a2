import { afterEach, describe, expect, it } from 'vitest'
import { chiSquareTest } from '../../../reports/statistics/chi-square.js'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { countBy, destroyAgents, httpListener, keepAliveAgent, poolOf, send } from './clients.js'
import { engineDeps, seededDeps } from '../../../engine/balancing/deps.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

/** Starts one backend per name and an engine whose pool of the same name holds it. */
async function enginePerPool(names: readonly string[], routes: readonly unknown[]) {
  const servers = await Promise.all(names.map((n) => httpBackend(n)))
  const engine = await engineFrom({
    listeners: [httpListener(routes)],
    pools: Object.fromEntries(servers.map((s) => [s.id, poolOf([s])])),
  })
  return { engine, address: listenerAddress(engine, 'web'), servers }
}

describe('route matchers, first match wins', () => {
  const routes = [
    { name: 'exact', match: { path: { exact: '/exact' } }, pool: 'exact' },
    { name: 'regex', match: { path: { regex: '/items/[0-9]+' } }, pool: 'regex' },
    { name: 'host', match: { host: 'api.example.com' }, pool: 'host' },
    { name: 'wild', match: { host: '*.example.org' }, pool: 'wild' },
    { name: 'method', match: { methods: ['DELETE'] }, pool: 'method' },
    { name: 'header', match: { headers: [{ name: 'X-Tier', exact: 'gold' }] }, pool: 'header' },
    { name: 'cookie', match: { cookies: [{ name: 'beta', exact: 'yes' }] }, pool: 'cookie' },
    { name: 'query', match: { query: [{ name: 'v', exact: '2' }] }, pool: 'query' },
    { name: 'prefix', match: { path: { prefix: '/pre/' } }, pool: 'prefix' },
  ]
  const names = routes.map((r) => r.pool)

  type Case = [string, { method?: string; path: string; headers?: Record<string, string> }, string | 404]
  const cases: Case[] = [
    ['exact path', { path: '/exact' }, 'exact'],
    ['exact path ignores the query', { path: '/exact?x=1' }, 'exact'],
    ['exact path is not a prefix', { path: '/exact/more' }, 404],
    ['regex path', { path: '/items/42' }, 'regex'],
    ['regex is anchored', { path: '/items/42/x' }, 404],
    ['regex needs a digit', { path: '/items/abc' }, 404],
    ['exact host', { path: '/any', headers: { host: 'api.example.com' } }, 'host'],
    ['host with a port', { path: '/any', headers: { host: 'api.example.com:8080' } }, 'host'],
    ['host case-insensitive', { path: '/any', headers: { host: 'API.Example.COM' } }, 'host'],
    ['wildcard host', { path: '/any', headers: { host: 'a.b.example.org:81' } }, 'wild'],
    ['wildcard excludes the bare domain', { path: '/any', headers: { host: 'example.org' } }, 404],
    ['method', { method: 'DELETE', path: '/any' }, 'method'],
    ['other method', { method: 'PUT', path: '/any' }, 404],
    ['header', { path: '/any', headers: { 'x-tier': 'gold' } }, 'header'],
    ['header value must match', { path: '/any', headers: { 'x-tier': 'silver' } }, 404],
    ['cookie', { path: '/any', headers: { cookie: 'a=1; beta=yes' } }, 'cookie'],
    ['cookie value must match', { path: '/any', headers: { cookie: 'beta=no' } }, 404],
    ['query', { path: '/any?x=1&v=2', headers: {} }, 'query'],
    ['query value must match', { path: '/any?v=3' }, 404],
    ['prefix', { path: '/pre/a/b' }, 'prefix'],
    ['prefix needs its slash', { path: '/pre' }, 404],
    ['first match wins: exact path before host', { path: '/exact', headers: { host: 'api.example.com' } }, 'exact'],
    ['first match wins: host before method', { method: 'DELETE', path: '/x', headers: { host: 'api.example.com' } }, 'host'],
    ['first match wins: header before prefix', { path: '/pre/x', headers: { 'x-tier': 'gold' } }, 'header'],
    ['first match wins: query before prefix', { path: '/pre/x?v=2' }, 'query'],
  ]

  it.each(cases)('%s', async (_, request, expected) => {
    const { address } = await enginePerPool(names, routes)
    const r = await send(address, request.path, { method: request.method ?? 'GET', headers: request.headers ?? {} })
    if (expected === 404) {
      expect(r.status).toBe(404)
      expect(r.headers['x-layerbench-error']).toBe('LB_ERR_NO_ROUTE')
      expect(r.text).toContain('LB_ERR_NO_ROUTE')
    } else {
      expect(r.status).toBe(200)
      expect(r.headers['x-backend']).toBe(expected)
    }
  })
})

describe('microservices gateway', () => {
  const routes = [
    { name: 'api-v1', match: { path: { prefix: '/api/v1/' } }, pool: 'api-v1' },
    { name: 'api-v2', match: { path: { prefix: '/api/v2/' } }, pool: 'api-v2' },
    { name: 'static', match: { path: { prefix: '/static/' } }, pool: 'static' },
    { name: 'health', match: { path: { exact: '/health' } }, pool: 'health' },
    { name: 'frontend', pool: 'frontend' },
  ]

  it.each([
    ['/api/v1/users', 'api-v1'],
    ['/api/v1/', 'api-v1'],
    ['/api/v2/orders?id=3', 'api-v2'],
    ['/api/v3/orders', 'frontend'],
    ['/api/v1', 'frontend'],
    ['/static/app.js', 'static'],
    ['/health', 'health'],
    ['/health/deep', 'frontend'],
    ['/healthz', 'frontend'],
    ['/', 'frontend'],
    ['/about', 'frontend'],
  ])('%s → %s, path passed on unchanged', async (path, pool) => {
    const { address } = await enginePerPool(['api-v1', 'api-v2', 'static', 'health', 'frontend'], routes)
    const r = await send(address, path)
    expect(r.status).toBe(200)
    expect(r.headers['x-backend']).toBe(pool)
    expect(r.echo().url).toBe(path)
  })
})

describe('canary release', () => {
  const routes = [
    { name: 'forced-canary', match: { headers: [{ name: 'X-Canary', exact: 'true' }] }, pool: 'canary' },
    {
      name: 'weighted',
      split: [
        { pool: 'stable', weight: 95 },
        { pool: 'canary', weight: 5 },
      ],
    },
  ]

  async function canaryEngine() {
    const [a, b, c] = await Promise.all([httpBackend('v1-a'), httpBackend('v1-b'), httpBackend('v2')])
    // Seeded split draws (real clock): each request takes one draw, so the counts replay exactly
    // whatever order the concurrent requests arrive in, and the χ² check cannot flake.
    const engine = await engineFrom(
      {
        listeners: [httpListener(routes)],
        pools: { stable: poolOf([a!, b!]), canary: poolOf([c!]) },
      },
      { deps: { random: seededDeps(95).random, nowUs: engineDeps.nowUs } },
    )
    return listenerAddress(engine, 'web')
  }

  it('X-Canary: true always reaches the canary', async () => {
    const address = await canaryEngine()
    const agent = keepAliveAgent()
    for (let i = 0; i < 100; i++) {
      const r = await send(address, `/page/${i}`, { agent, headers: { 'x-canary': 'true' } })
      expect(r.headers['x-backend']).toBe('v2')
    }
  })

  it('other requests split 95/5 (χ² over 2000 requests)', async () => {
    const address = await canaryEngine()
    const agent = keepAliveAgent({ maxSockets: 8 })
    const seen: string[] = []
    const total = 2000
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          next++
          const r = await send(address, '/', { agent, headers: { 'x-canary': 'false' } })
          expect(r.status).toBe(200)
          seen.push(String(r.headers['x-backend']))
        }
      }),
    )
    const counts = countBy(seen)
    const stable = (counts.get('v1-a') ?? 0) + (counts.get('v1-b') ?? 0)
    const canary = counts.get('v2') ?? 0
    expect(stable + canary).toBe(total)
    const { pValue } = chiSquareTest([stable, canary], [95, 5])
    expect(pValue, `stable ${stable}, canary ${canary}`).toBeGreaterThan(0.001)
    // Round robin inside the stable pool: both members serve.
    expect(counts.get('v1-a')).toBeGreaterThan(stable / 3)
    expect(counts.get('v1-b')).toBeGreaterThan(stable / 3)
  })
})

describe('no matching route', () => {
  it('answers 404 with LB_ERR_NO_ROUTE, keeps the connection usable, and never reaches a backend', async () => {
    const { address, servers } = await enginePerPool(['only'], [{ match: { path: { prefix: '/app/' } }, pool: 'only' }])
    const agent = keepAliveAgent()
    const miss = await send(address, '/elsewhere', { agent })
    expect(miss.status).toBe(404)
    expect(miss.headers['x-layerbench-error']).toBe('LB_ERR_NO_ROUTE')
    expect(miss.headers['content-type']).toMatch(/^text\/plain/)
    const hit = await send(address, '/app/x', { agent })
    expect(hit.status).toBe(200)
    expect(servers[0]!.seen.requests).toBe(1)
    expect(servers[0]!.seen.connections).toBe(1)
  })
})
