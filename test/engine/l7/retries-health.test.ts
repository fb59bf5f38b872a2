import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../../engine/runtime/event-log.js'
import type { EngineStats } from '../../../engine/stats/engine-stats.js'
import { admin, engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { ADMIN, countBy, destroyAgents, engineWithClosedPort, httpListener, keepAliveAgent, poolOf, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

type Engine = Awaited<ReturnType<typeof engineFrom>>

const configOver = (backends: readonly { id: string; port: number }[], pool: Record<string, unknown> = {}) => ({
  admin: ADMIN,
  listeners: [httpListener([{ pool: 'app' }])],
  pools: { app: poolOf(backends, pool) },
})

async function engineOver(backends: readonly { id: string; port: number }[], pool: Record<string, unknown> = {}) {
  const engine = await engineFrom(configOver(backends, pool))
  return { engine, address: listenerAddress(engine, 'web') }
}

/** Like `engineOver`, with a first backend that refuses connections. */
async function engineWithRefusing(others: readonly { id: string; port: number }[], pool: Record<string, unknown>) {
  const engine = await engineWithClosedPort((port) => configOver([{ id: 'down', port }, ...others], pool))
  return { engine, address: listenerAddress(engine, 'web') }
}

async function poolStats(engine: Engine) {
  const { body } = await admin<EngineStats>(engine, '/stats')
  return body.pools.find((p) => p.name === 'app')!
}

async function backendStats(engine: Engine, id: string) {
  return (await poolStats(engine)).backends.find((b) => b.id === id)!
}

/** A backend that answers every request with `status`. */
const answering = (id: string, status: number) =>
  httpBackend(id, (_req, res) => {
    res.statusCode = status
    res.end(`${status} from ${id}`)
    return true
  })

describe('retries', () => {
  it('a GET answered 503 is retried on the healthy backend, and the retry is counted', async () => {
    const [bad, good] = await Promise.all([answering('bad', 503), httpBackend('good')])
    const { engine, address } = await engineOver([bad, good], { retries: { attempts: 2, on: ['gateway-error'] } })
    const agent = keepAliveAgent()
    for (let i = 0; i < 10; i++) {
      const r = await send(address, '/', { agent })
      expect(r.status).toBe(200)
      expect(r.headers['x-backend']).toBe('good')
    }
    expect(bad.seen.requests).toBeGreaterThan(0)
    const pool = await poolStats(engine)
    expect(pool.retries).toBe(bad.seen.requests)
    expect(pool.backends.find((b) => b.id === 'bad')!.retries).toBe(bad.seen.requests)
    expect(pool.backends.find((b) => b.id === 'bad')!.responses['5xx']).toBe(bad.seen.requests)
    // The client saw only successes.
    const web = (await admin<EngineStats>(engine, '/stats')).body.listeners[0]!
    expect(web.responses['2xx']).toBe(10)
    expect(web.responses['5xx']).toBe(0)
  })

  it('a POST answered 503 is not retried: the client gets the 503', async () => {
    const [bad, good] = await Promise.all([answering('bad', 503), httpBackend('good')])
    const { engine, address } = await engineOver([bad, good], { retries: { attempts: 2 } })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      const r = await send(address, '/orders', { method: 'POST', body: `{"order":${i}}`, headers: { 'content-type': 'application/json' } })
      statuses.push(r.status)
      if (r.status === 503) expect(r.text).toBe('503 from bad')
    }
    expect(statuses.filter((s) => s === 503).length).toBe(bad.seen.requests)
    expect(bad.seen.requests).toBeGreaterThan(0)
    expect(good.seen.requests + bad.seen.requests).toBe(6)
    expect((await poolStats(engine)).retries).toBe(0)
  })

  it('a GET with a body is not retried on 503 either', async () => {
    const bad = await answering('bad', 503)
    const good = await httpBackend('good')
    const { engine, address } = await engineOver([bad, good], { retries: { attempts: 2 } })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await send(address, '/', { body: 'x', headers: { 'content-length': '1' } })).status)
    expect(statuses).toContain(503)
    expect((await poolStats(engine)).retries).toBe(0)
  })

  it('connect failures are retried elsewhere, POST bodies included', async () => {
    const good = await httpBackend('good')
    const { engine, address } = await engineWithRefusing([good], { retries: { attempts: 1, on: ['connect-failure'] } })
    for (let i = 0; i < 6; i++) {
      const r = await send(address, '/p', { method: 'POST', body: `payload-${i}` })
      expect(r.status).toBe(200)
      expect(r.echo().body).toBe(`payload-${i}`)
    }
    const down = await backendStats(engine, 'down')
    expect(down.connectFailures).toBeGreaterThan(0)
    expect((await poolStats(engine)).retries).toBe(down.connectFailures)
  })

  it('attempts: 0 turns retries off', async () => {
    const good = await httpBackend('good')
    const { address } = await engineWithRefusing([good], { retries: { attempts: 0 } })
    const statuses = countBy(await Promise.all(Array.from({ length: 6 }, () => send(address, '/').then((r) => r.status))))
    expect(statuses.get(502)).toBeGreaterThan(0)
  })

  it('an exhausted retry budget refuses retries and counts them', async () => {
    const [bad, good] = await Promise.all([answering('bad', 503), httpBackend('good')])
    const { engine, address } = await engineOver([bad, good], { retries: { attempts: 2, budgetPercent: 0, minRetriesPerSecond: 0 } })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await send(address, '/')).status)
    expect(statuses).toContain(503)
    const pool = await poolStats(engine)
    expect(pool.retries).toBe(0)
    expect(pool.retriesRefusedByBudget).toBe(bad.seen.requests)
    expect(pool.retriesRefusedByBudget).toBe(statuses.filter((s) => s === 503).length)
  })
})

describe('passive outlier ejection', () => {
  it('a backend answering 500s is ejected after consecutiveFailures and traffic goes to the others', async () => {
    const [sick, a, b] = await Promise.all([answering('sick', 500), httpBackend('a'), httpBackend('b')])
    const { engine, address } = await engineOver([sick, a, b], {
      outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 60_000, maxEjectionPercent: 50 },
    })
    const agent = keepAliveAgent()
    let fives = 0
    for (let i = 0; i < 30 && fives < 3; i++) if ((await send(address, '/', { agent })).status === 500) fives++
    expect(fives).toBe(3)
    const sickStats = await backendStats(engine, 'sick')
    expect(sickStats.ejected).toBe(true)
    expect(sickStats.ready).toBe(false)
    expect(sickStats.ejections).toBe(1)
    const { body: events } = await admin<EngineEvent[]>(engine, '/events')
    expect(events.some((e) => e.type === 'backend-ejected' && e.pool === 'app' && e.backend === 'sick')).toBe(true)
    const before = sick.seen.requests
    for (let i = 0; i < 20; i++) {
      const r = await send(address, '/', { agent })
      expect(r.status).toBe(200)
      expect(['a', 'b']).toContain(r.headers['x-backend'])
    }
    expect(sick.seen.requests).toBe(before)
  })
})

describe('active HTTP health checks', () => {
  it('take a backend whose /health returns 503 out, and bring it back when it recovers', async () => {
    let sick = false
    const appRequests = { flaky: 0 }
    const flaky = await httpBackend('flaky', (req, res) => {
      if (req.url === '/health') {
        res.statusCode = sick ? 503 : 200
        res.end(sick ? 'sick' : 'ok')
        return true
      }
      appRequests.flaky++
      return false
    })
    const steady = await httpBackend('steady', (req, res) => {
      if (req.url !== '/health') return false
      res.end('ok')
      return true
    })
    const { engine, address } = await engineOver([flaky, steady], {
      // A sick backend answers 503 at once: the probe timeout only guards the steady one, with room for a busy host.
      healthCheck: { type: 'http', intervalMs: 250, timeoutMs: 200, rise: 1, fall: 2, http: { path: '/health' } },
    })
    await eventually(async () => expect((await backendStats(engine, 'flaky')).healthChecks.passed).toBeGreaterThan(0))

    sick = true
    await eventually(async () => expect((await backendStats(engine, 'flaky')).healthy).toBe(false), 10_000)
    const { body: events } = await admin<EngineEvent[]>(engine, '/events')
    expect(events.some((e) => e.type === 'backend-down' && e.backend === 'flaky')).toBe(true)
    const before = appRequests.flaky
    const served: string[] = []
    for (let i = 0; i < 10; i++) {
      const r = await send(address, '/app')
      expect(r.status).toBe(200)
      served.push(String(r.headers['x-backend']))
    }
    expect(new Set(served)).toEqual(new Set(['steady']))
    expect(appRequests.flaky).toBe(before)

    sick = false
    await eventually(async () => expect((await backendStats(engine, 'flaky')).healthy).toBe(true), 10_000)
    const seen = new Set<string>()
    for (let i = 0; i < 10; i++) seen.add(String((await send(address, '/app')).headers['x-backend']))
    expect(seen.has('flaky')).toBe(true)
    const flakyStats = await backendStats(engine, 'flaky')
    expect(flakyStats.healthChecks.failed).toBeGreaterThanOrEqual(2)
  })
})

describe('backup backends', () => {
  it('serve only while every primary is down', async () => {
    const [p1, p2, spare] = await Promise.all([httpBackend('p1'), httpBackend('p2'), httpBackend('spare')])
    const engine = await engineFrom({
      admin: ADMIN,
      listeners: [httpListener([{ pool: 'app' }])],
      pools: {
        app: {
          backends: [
            { id: 'p1', host: '127.0.0.1', port: p1.port },
            { id: 'p2', host: '127.0.0.1', port: p2.port },
            { id: 'spare', host: '127.0.0.1', port: spare.port, backup: true },
          ],
        },
      },
    })
    const address = listenerAddress(engine, 'web')
    const agent = keepAliveAgent()
    const hits = async (n: number) => countBy(await Promise.all(Array.from({ length: n }, () => send(address, '/', { agent }).then((r) => String(r.headers['x-backend'])))))

    const normal = await hits(10)
    expect(normal.get('spare')).toBeUndefined()
    expect(normal.get('p1')).toBeGreaterThan(0)
    expect(normal.get('p2')).toBeGreaterThan(0)

    await admin(engine, '/pools/app/backends/p1/health', { method: 'POST', body: { healthy: false } })
    const oneLeft = await hits(10)
    expect([...oneLeft.keys()]).toEqual(['p2'])

    await admin(engine, '/pools/app/backends/p2/disable', { method: 'POST', body: {} })
    const allDown = await hits(10)
    expect([...allDown.keys()]).toEqual(['spare'])

    await admin(engine, '/pools/app/backends/p1/health', { method: 'POST', body: { healthy: true } })
    const back = await hits(10)
    expect([...back.keys()]).toEqual(['p1'])
  })
})

describe('admin drain', () => {
  it('sends no new requests to a draining backend while its in-flight request completes', async () => {
    const held: (() => void)[] = []
    const handler = (id: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      if (req.url !== '/slow') return false
      held.push(() => res.end(`slow done by ${id}`))
      return true
    }
    const [a, b] = await Promise.all([httpBackend('a', handler('a')), httpBackend('b', handler('b'))])
    const { engine, address } = await engineOver([a, b])
    const slow = send(address, '/slow', { timeoutMs: 20_000 })
    await eventually(() => expect(held.length).toBe(1))
    const owner = a.seen.requests === 1 ? 'a' : 'b'
    const other = owner === 'a' ? 'b' : 'a'
    expect((await backendStats(engine, owner)).active).toBe(1)

    expect((await admin(engine, `/pools/app/backends/${owner}/drain`, { method: 'POST', body: {} })).status).toBe(200)
    const during = await Promise.all(Array.from({ length: 10 }, () => send(address, '/quick').then((r) => String(r.headers['x-backend']))))
    expect(new Set(during)).toEqual(new Set([other]))

    let events = (await admin<EngineEvent[]>(engine, '/events')).body
    expect(events.some((e) => e.type === 'backend-drained' && e.backend === owner)).toBe(false)
    held[0]!()
    const finished = await slow
    expect(finished.status).toBe(200)
    expect(finished.text).toBe(`slow done by ${owner}`)
    await eventually(async () => {
      const s = await backendStats(engine, owner)
      expect(s.active).toBe(0)
      expect(s.draining).toBe(true)
      events = (await admin<EngineEvent[]>(engine, '/events')).body
      expect(events.some((e) => e.type === 'backend-drained' && e.backend === owner)).toBe(true)
    })
    // Undrained, it takes traffic again.
    await admin(engine, `/pools/app/backends/${owner}/undrain`, { method: 'POST', body: {} })
    const after = await Promise.all(Array.from({ length: 6 }, () => send(address, '/quick').then((r) => String(r.headers['x-backend']))))
    expect(after).toContain(owner)
  })
})
