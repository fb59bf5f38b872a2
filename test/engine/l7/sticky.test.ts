import { afterEach, describe, expect, it } from 'vitest'
import { admin, engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { ADMIN, destroyAgents, httpListener, keepAliveAgent, poolOf, send, type Reply } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

async function stickyEngine(pool: Record<string, unknown>) {
  const servers = await Promise.all(['s1', 's2', 's3'].map((id) => httpBackend(id)))
  const engine = await engineFrom({ admin: ADMIN, listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf(servers, pool) } })
  return { engine, address: listenerAddress(engine, 'web'), servers }
}

/** The `name=value` part of the sticky Set-Cookie, if the response has one for `name`. */
function stickyCookie(r: Reply, name: string): string | undefined {
  const all = r.headers['set-cookie'] ?? []
  return all.find((c) => c.startsWith(`${name}=`))?.split(';')[0]
}

describe('cookie stickiness', () => {
  const pool = { stickySession: { cookie: 'lb_route', maxAgeS: 3600 } }

  it('the first response sets the cookie; requests carrying it always reach the same backend', async () => {
    const { address } = await stickyEngine(pool)
    const agent = keepAliveAgent()
    const first = await send(address, '/', { agent })
    const setCookie = (first.headers['set-cookie'] ?? [])[0]
    expect(setCookie).toMatch(/^lb_route=[0-9a-f]{16}; Path=\/; Max-Age=3600; HttpOnly$/)
    const cookie = stickyCookie(first, 'lb_route')!
    const owner = first.headers['x-backend']
    for (let i = 0; i < 50; i++) {
      const r = await send(address, `/n/${i}`, { agent, headers: { cookie: `theme=dark; ${cookie}` } })
      expect(r.headers['x-backend']).toBe(owner)
      // A valid pin needs no new cookie.
      expect(stickyCookie(r, 'lb_route')).toBeUndefined()
      // The balancer's cookie still reaches the backend untouched.
      expect(r.echo().headers.cookie).toBe(`theme=dark; ${cookie}`)
    }
  })

  it('without the cookie, requests spread and each response offers a cookie for its backend', async () => {
    const { address } = await stickyEngine(pool)
    const byBackend = new Map<string, Set<string>>()
    for (let i = 0; i < 12; i++) {
      const r = await send(address, '/')
      const b = String(r.headers['x-backend'])
      byBackend.set(b, (byBackend.get(b) ?? new Set()).add(stickyCookie(r, 'lb_route')!))
    }
    expect([...byBackend.keys()].sort()).toEqual(['s1', 's2', 's3'])
    // One stable token per backend, and different backends have different tokens.
    for (const tokens of byBackend.values()) expect(tokens.size).toBe(1)
    expect(new Set([...byBackend.values()].map((t) => [...t][0])).size).toBe(3)
  })

  it('an unknown or forged token is re-pinned with a fresh cookie', async () => {
    const { address } = await stickyEngine(pool)
    const r = await send(address, '/', { headers: { cookie: 'lb_route=0123456789abcdef' } })
    expect(r.status).toBe(200)
    expect(stickyCookie(r, 'lb_route')).toMatch(/^lb_route=[0-9a-f]{16}$/)
    expect(stickyCookie(r, 'lb_route')).not.toBe('lb_route=0123456789abcdef')
  })

  it.each([
    ['marked unhealthy', 'health', { healthy: false }],
    ['disabled', 'disable', {}],
    ['drained', 'drain', {}],
  ])('when the pinned backend is %s, the client is re-pinned elsewhere and sticks there', async (_, action, body) => {
    const { engine, address } = await stickyEngine(pool)
    const agent = keepAliveAgent()
    const first = await send(address, '/', { agent })
    const oldCookie = stickyCookie(first, 'lb_route')!
    const oldOwner = String(first.headers['x-backend'])
    const change = await admin(engine, `/pools/app/backends/${oldOwner}/${action}`, { method: 'POST', body })
    expect(change.status).toBe(200)

    const moved = await send(address, '/', { agent, headers: { cookie: oldCookie } })
    expect(moved.status).toBe(200)
    const newOwner = String(moved.headers['x-backend'])
    expect(newOwner).not.toBe(oldOwner)
    const newCookie = stickyCookie(moved, 'lb_route')
    expect(newCookie).toBeDefined()
    expect(newCookie).not.toBe(oldCookie)

    for (let i = 0; i < 20; i++) {
      const r = await send(address, '/', { agent, headers: { cookie: newCookie! } })
      expect(r.headers['x-backend']).toBe(newOwner)
      expect(stickyCookie(r, 'lb_route')).toBeUndefined()
    }
  })

  it('a pin survives other backends coming and going', async () => {
    const { engine, address } = await stickyEngine(pool)
    const first = await send(address, '/')
    const cookie = stickyCookie(first, 'lb_route')!
    const owner = String(first.headers['x-backend'])
    const other = ['s1', 's2', 's3'].find((id) => id !== owner)!
    await admin(engine, `/pools/app/backends/${other}/disable`, { method: 'POST', body: {} })
    expect((await send(address, '/', { headers: { cookie } })).headers['x-backend']).toBe(owner)
    await admin(engine, `/pools/app/backends/${other}/enable`, { method: 'POST', body: {} })
    expect((await send(address, '/', { headers: { cookie } })).headers['x-backend']).toBe(owner)
  })
})

describe('hash stickiness (maglev on the X-User header)', () => {
  const pool = { algorithm: 'maglev', hashKey: { source: 'header', name: 'X-User' } }
  const users = Array.from({ length: 30 }, (_, i) => `user-${i}`)

  async function placement(address: { host: string; port: number }, agent: ReturnType<typeof keepAliveAgent>) {
    const placed = new Map<string, string>()
    for (const user of users) placed.set(user, String((await send(address, '/', { agent, headers: { 'x-user': user } })).headers['x-backend']))
    return placed
  }

  it('each user always reaches the same backend, and users spread over all backends', async () => {
    const { address } = await stickyEngine(pool)
    const agent = keepAliveAgent()
    const placed = await placement(address, agent)
    for (let round = 0; round < 5; round++) {
      for (const user of users) {
        const r = await send(address, `/r/${round}`, { agent, headers: { 'x-user': user } })
        expect(r.headers['x-backend'], user).toBe(placed.get(user))
      }
    }
    expect(new Set(placed.values()).size).toBe(3)
  })

  it('when a backend leaves, only its users move (and they stick to their new backend)', async () => {
    const { engine, address } = await stickyEngine(pool)
    const agent = keepAliveAgent()
    const before = await placement(address, agent)
    await admin(engine, '/pools/app/backends/s2/health', { method: 'POST', body: { healthy: false } })
    const after = await placement(address, agent)
    const again = await placement(address, agent)
    expect(again).toEqual(after)
    let stayed = 0
    let others = 0
    for (const user of users) {
      expect(after.get(user)).not.toBe('s2')
      if (before.get(user) !== 's2') {
        others++
        if (after.get(user) === before.get(user)) stayed++
      }
    }
    // Maglev keeps almost every other user where it was.
    expect(stayed / others).toBeGreaterThanOrEqual(0.8)
  })
})

describe('hash keys', () => {
  type Key = { source: string; name?: string }
  const cases: [string, Key, (k: string) => { path: string; headers?: Record<string, string> }][] = [
    ['cookie', { source: 'cookie', name: 'session' }, (k) => ({ path: '/', headers: { cookie: `a=1; session=${k}` } })],
    ['query', { source: 'query', name: 'user' }, (k) => ({ path: `/?x=1&user=${k}` })],
    ['path', { source: 'path' }, (k) => ({ path: `/items/${k}?ignored=${Math.random()}` })],
  ]

  it.each(cases)('%s: the same key always reaches the same backend, keys spread', async (_, hashKey, request) => {
    const { address } = await stickyEngine({ algorithm: 'ring-hash', hashKey })
    const agent = keepAliveAgent()
    const placed = new Map<string, string>()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 24; i++) {
        const key = `k${i}`
        const { path, headers } = request(key)
        const backend = String((await send(address, path, { agent, headers: headers ?? {} })).headers['x-backend'])
        if (round === 0) placed.set(key, backend)
        else expect(backend, key).toBe(placed.get(key))
      }
    }
    expect(new Set(placed.values()).size).toBeGreaterThan(1)
  })

  it('source-ip: every connection from one address reaches one backend', async () => {
    const { address } = await stickyEngine({ algorithm: 'maglev', hashKey: { source: 'source-ip' } })
    const backends = new Set<string>()
    for (let i = 0; i < 12; i++) backends.add(String((await send(address, '/')).headers['x-backend']))
    expect(backends.size).toBe(1)
  })

  it('requests without the key fall back to the algorithm and are still served', async () => {
    const { address } = await stickyEngine({ algorithm: 'maglev', hashKey: { source: 'header', name: 'X-User' } })
    const statuses = await Promise.all(Array.from({ length: 6 }, () => send(address, '/').then((r) => r.status)))
    expect(statuses).toEqual(Array(6).fill(200))
  })
})
