import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../../engine/runtime/event-log.js'
import type { EngineStats } from '../../../engine/stats/engine-stats.js'
import { admin, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { ADMIN, countBy, destroyAgents, engineWithClosedPort, httpListener, keepAliveAgent, poolOf, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

async function adminEngine() {
  const [a, b] = await Promise.all([httpBackend('a'), httpBackend('b')])
  const engine = await engineWithClosedPort((gone) => ({
    admin: ADMIN,
    listeners: [httpListener([{ match: { path: { prefix: '/down/' } }, pool: 'down' }, { match: { path: { prefix: '/app/' } }, pool: 'app' }])],
    pools: { app: poolOf([a, b]), down: poolOf([{ id: 'gone', port: gone }], { retries: { attempts: 0 } }) },
  }))
  return { engine, address: listenerAddress(engine, 'web'), a, b }
}

async function spread(address: { host: string; port: number }, n: number): Promise<Map<string, number>> {
  const agent = keepAliveAgent({ maxSockets: 4 })
  const ids = await Promise.all(Array.from({ length: n }, () => send(address, '/app/x', { agent }).then((r) => String(r.headers['x-backend']))))
  return countBy(ids)
}

describe('/stats', () => {
  it('counts per listener and per backend', async () => {
    const { engine, address } = await adminEngine()
    const agent = keepAliveAgent()
    for (let i = 0; i < 6; i++) expect((await send(address, '/app/ok', { agent })).status).toBe(200)
    expect((await send(address, '/nowhere', { agent })).status).toBe(404)
    expect((await send(address, '/down/x', { agent })).status).toBe(502)

    const { status, body } = await admin<EngineStats>(engine, '/stats')
    expect(status).toBe(200)
    expect(body.schema).toBe('layerbench/engine-stats@1')
    const web = body.listeners.find((l) => l.name === 'web')!
    expect(web.protocol).toBe('http')
    expect(web.layer).toBe(7)
    expect(web.address).toBe(`${address.host}:${address.port}`)
    expect(web.requests).toBe(8)
    expect(web.responses).toEqual({ '1xx': 0, '2xx': 6, '3xx': 0, '4xx': 1, '5xx': 1 })
    expect(web.errors).toEqual({ LB_ERR_NO_ROUTE: 1, LB_ERR_UPSTREAM_CONNECT: 1 })
    expect(web.connections.total).toBe(1)
    // At least each request line and each response status line crossed the listener.
    expect(web.bytes.fromClients).toBeGreaterThan(8 * 'GET /app/ok HTTP/1.1\r\n\r\n'.length)
    expect(web.bytes.toClients).toBeGreaterThan(8 * 'HTTP/1.1 200 OK\r\n\r\n'.length)
    expect(web.engineTimeUs.count).toBeGreaterThan(0)
    expect(web.engineTimeUs.max).toBeGreaterThan(0)

    const app = body.pools.find((p) => p.name === 'app')!
    expect(app.algorithm).toBe('round-robin')
    expect(app.readyBackends).toBe(2)
    for (const b of app.backends) {
      expect(b.requests).toBe(3)
      expect(b.picks).toBe(3)
      expect(b.responses['2xx']).toBe(3)
      expect(b.active).toBe(0)
      expect(b.ready).toBe(true)
    }
    const gone = body.pools.find((p) => p.name === 'down')!.backends[0]!
    expect(gone.connectFailures).toBe(1)
    expect(gone.requests).toBe(0)
  })
})

describe('/stats upstream connections and bytes', () => {
  it('counts connections opened to each backend and the bytes exchanged with it', async () => {
    const { engine, address, a } = await adminEngine()
    await admin(engine, '/pools/app/backends/b/disable', { method: 'POST', body: {} })
    const agent = keepAliveAgent()
    let received = 0
    for (let i = 0; i < 10; i++) received += (await send(address, '/app/x', { agent, body: 'ping', headers: { 'content-length': '4' } })).body.length
    const stats = async () => (await admin<EngineStats>(engine, '/stats')).body.pools.find((p) => p.name === 'app')!.backends.find((b) => b.id === 'a')!
    const s = await stats()
    expect(s.connections.total).toBe(a.seen.connections)
    expect(s.connections.active).toBe(a.seen.connections)
    // Request heads and bodies out, response heads and bodies in: at least the bodies.
    expect(s.bytes.toBackend).toBeGreaterThan(10 * 'GET /app/x HTTP/1.1\r\n\r\nping'.length)
    expect(s.bytes.fromBackend).toBeGreaterThan(received)
    await a.close()
    await eventually(async () => expect((await stats()).connections.active).toBe(0))
  })
})

describe('/metrics', () => {
  it('is Prometheus text: HELP and TYPE for every family, every sample `name{labels} value`', async () => {
    const { engine, address } = await adminEngine()
    await send(address, '/app/x')
    await send(address, '/down/x')
    const r = await fetch(`http://${engine.admin!.host}:${engine.admin!.port}/metrics`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await r.text()
    expect(text.endsWith('\n')).toBe(true)
    const help = new Set<string>()
    const type = new Map<string, string>()
    const samples: { name: string; labels: Record<string, string>; value: number }[] = []
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/y
    for (const line of text.trimEnd().split('\n')) {
      let m: RegExpExecArray | null
      if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$/.exec(line)) !== null) help.add(m[1]!)
      else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)$/.exec(line)) !== null) type.set(m[1]!, m[2]!)
      else {
        m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$/.exec(line)
        expect(m, `not a sample line: ${line}`).not.toBeNull()
        const labels: Record<string, string> = {}
        const raw = m![2] ?? ''
        label.lastIndex = 0
        while (label.lastIndex < raw.length) {
          const l = label.exec(raw)
          expect(l, `bad labels in ${line}`).not.toBeNull()
          labels[l![1]!] = l![2]!
          if (raw[label.lastIndex] === ',') label.lastIndex++
        }
        samples.push({ name: m![1]!, labels, value: Number(m![3]) })
      }
    }
    expect(samples.length).toBeGreaterThan(20)
    for (const s of samples) {
      const family = type.has(s.name) ? s.name : s.name.replace(/_(bucket|sum|count)$/, '')
      expect(type.has(family), `no TYPE for ${s.name}`).toBe(true)
      expect(help.has(family), `no HELP for ${s.name}`).toBe(true)
    }
    const find = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    expect(find('layerbench_listener_requests_total', { listener: 'web' })?.value).toBe(2)
    expect(find('layerbench_listener_responses_total', { listener: 'web', class: '5xx' })?.value).toBe(1)
    expect(find('layerbench_listener_errors_total', { listener: 'web', code: 'LB_ERR_UPSTREAM_CONNECT' })?.value).toBe(1)
    expect(find('layerbench_backend_ready', { pool: 'app', backend: 'a' })?.value).toBe(1)
    expect(find('layerbench_listener_engine_time_seconds_count', { listener: 'web' })?.value).toBeGreaterThan(0)
    expect(type.get('layerbench_listener_engine_time_seconds')).toBe('histogram')
  })
})

describe('/healthz and /events', () => {
  it('/healthz answers 200 ok', async () => {
    const { engine } = await adminEngine()
    const r = await admin(engine, '/healthz')
    expect(r.status).toBe(200)
    expect(r.body).toBe('ok\n')
  })

  it('/events records runtime changes, and ?since= returns only later ones', async () => {
    const { engine } = await adminEngine()
    const { body: start } = await admin<EngineEvent[]>(engine, '/events')
    expect(start.some((e) => e.type === 'engine-started')).toBe(true)
    const last = start[start.length - 1]!.seq
    await admin(engine, '/pools/app/backends/a/weight', { method: 'POST', body: { weight: 3 } })
    const { body: later } = await admin<EngineEvent[]>(engine, `/events?since=${last}`)
    expect(later.map((e) => [e.type, e.pool, e.backend, e.detail])).toContainEqual(['backend-weight', 'app', 'a', 'weight 3'])
    expect(later.every((e) => e.seq > last)).toBe(true)
  })
})

describe('runtime changes', () => {
  it('a weight change shifts traffic: 1:1 → 1:0 → 1:1', async () => {
    const { engine, address } = await adminEngine()
    const even = await spread(address, 40)
    expect(even.get('a')).toBe(20)
    expect(even.get('b')).toBe(20)

    const r = await admin<{ id: string; weight: number; effectiveWeight: number; ready: boolean }>(engine, '/pools/app/backends/b/weight', { method: 'POST', body: { weight: 0 } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ id: 'b', weight: 0, ready: false })
    const one = await spread(address, 40)
    expect(one.get('a')).toBe(40)
    expect(one.get('b')).toBeUndefined()

    await admin(engine, '/pools/app/backends/b/weight', { method: 'POST', body: { weight: 1 } })
    const back = await spread(address, 40)
    expect(back.get('b')).toBeGreaterThan(0)
  })

  it('backends can be added and removed at runtime', async () => {
    const { engine, address } = await adminEngine()
    const c = await httpBackend('c')
    const added = await admin<{ id: string }[]>(engine, '/pools/app/backends', { method: 'POST', body: { id: 'c', host: '127.0.0.1', port: c.port } })
    expect(added.status).toBe(200)
    expect(added.body.map((m) => m.id).sort()).toEqual(['a', 'b', 'c'])
    expect((await spread(address, 30)).get('c')).toBe(10)

    const removed = await admin<{ id: string }[]>(engine, '/pools/app/backends/c', { method: 'DELETE' })
    expect(removed.status).toBe(200)
    expect(removed.body.map((m) => m.id).sort()).toEqual(['a', 'b'])
    expect((await spread(address, 20)).get('c')).toBeUndefined()
  })

  it.each([
    ['unknown pool', 'POST', '/pools/nope/backends/a/drain', {}, 404, 'LB_ERR_UNKNOWN_POOL'],
    ['unknown backend', 'POST', '/pools/app/backends/zzz/drain', {}, 404, 'LB_ERR_UNKNOWN_BACKEND'],
    ['unknown backend, delete', 'DELETE', '/pools/app/backends/zzz', undefined, 404, 'LB_ERR_UNKNOWN_BACKEND'],
    ['unknown action', 'POST', '/pools/app/backends/a/explode', {}, 404, 'LB_ERR_ADMIN_NOT_FOUND'],
    ['unknown endpoint', 'GET', '/nothing-here', undefined, 404, 'LB_ERR_ADMIN_NOT_FOUND'],
    ['invalid weight', 'POST', '/pools/app/backends/a/weight', { weight: -1 }, 400, 'LB_ERR_ADMIN_BAD_REQUEST'],
    ['unknown field', 'POST', '/pools/app/backends/a/health', { healthy: true, extra: 1 }, 400, 'LB_ERR_ADMIN_BAD_REQUEST'],
  ])('%s → %s %s answers %d with code %s', async (_, method, path, body, status, code) => {
    const { engine } = await adminEngine()
    const r = await admin<{ code: string; message: string }>(engine, path, { method, ...(body === undefined ? {} : { body }) })
    expect(r.status).toBe(status)
    expect(r.body.code).toBe(code)
    expect(r.body.message.length).toBeGreaterThan(0)
  })
})
