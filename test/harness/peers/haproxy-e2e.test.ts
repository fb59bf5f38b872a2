import { requirePeer } from './peer-fixtures.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import type { EngineEvent } from '../../../engine/runtime/event-log.js'
import { peerAvailable } from '../../../harness/peers/registry.js'
import { startPeer } from '../../../harness/peers/start-peer.js'
import type { RunningBalancer } from '../../../harness/runner/balancer-process.js'
import { stickyToken } from '../../../engine/routing/sticky-cookie.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { eventually, get, sharedEndToEnd, spread } from './peer-e2e.js'

const available = await peerAvailable('haproxy')
requirePeer('haproxy', available)

describe.skipIf(!available.available)(`HAProxy ${available.version ?? ''} end to end`, () => {
  describe('shared scenarios', () => {
    sharedEndToEnd('haproxy')
  })

  describe('health checks and runtime control', () => {
    let balancer: RunningBalancer
    const dir = mkdtempSync(join(tmpdir(), 'layerbench-haproxy-control-'))
    const checkHosts: string[] = []
    let extraPort = 0
    let failingPort = 0

    beforeAll(async () => {
      const ok = await httpBackend('ok')
      const bad = await httpBackend('bad', (req, res) => {
        if (req.url !== '/health') return false
        checkHosts.push(req.headers.host ?? '')
        res.statusCode = 500
        res.end('down')
        return true
      })
      const [w1, w2, w3, s1, s2] = await Promise.all([httpBackend('w1'), httpBackend('w2'), httpBackend('w3'), httpBackend('s1'), httpBackend('s2')])
      const bad2 = await httpBackend('bad2', (req, res) => {
        if (req.url !== '/health') return false
        checkHosts.push(req.headers.host ?? '')
        res.statusCode = 503
        res.end()
        return true
      })
      extraPort = w3.port
      failingPort = bad2.port
      const b = (id: string, port: number) => ({ id, host: '127.0.0.1', port })
      const config = parseLbConfig(
        {
          listeners: [
            { name: 'checked', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'hc' }] },
            { name: 'weighted', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'w' }] },
            { name: 'sticky', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 's' }] },
          ],
          pools: {
            hc: { backends: [b('ok', ok.port), b('bad', bad.port)], healthCheck: { type: 'http', intervalMs: 300, timeoutMs: 250, rise: 2, fall: 2, http: { path: '/health' } } },
            w: { algorithm: 'smooth-weighted-round-robin', backends: [b('w1', w1.port), b('w2', w2.port)] },
            s: { backends: [b('s1', s1.port), b('s2', s2.port)], stickySession: { cookie: 'lb', maxAgeS: 60 } },
          },
        },
        'haproxy control',
      )
      balancer = await startPeer('haproxy', config, dir)
    })

    afterAll(async () => {
      await balancer?.stop()
      await closeServers()
      rmSync(dir, { recursive: true, force: true })
    })

    const port = (name: string) => balancer.listeners.get(name)!.port

    it('an active health check takes a failing backend out (backend-down polled)', async () => {
      const events: EngineEvent[] = []
      await eventually(async () => {
        events.push(...(await balancer.pollEvents()))
        expect(events.map((e) => `${e.type} ${e.pool}/${e.backend}`)).toContain('backend-down hc/bad')
      })
      const down = events.find((e) => e.type === 'backend-down')!
      expect(down.seq).toBeGreaterThan(0)
      expect(Math.abs(down.atUs - (performance.timeOrigin + performance.now()) * 1000)).toBeLessThan(60_000_000)
      expect(events.some((e) => e.backend === 'ok')).toBe(false)
      expect(await spread(port('checked'), '/', 20)).toEqual({ ok: 20 })
      // The engine's default Host for a check is the backend's own host:port.
      expect(checkHosts[0]).toMatch(/^127\.0\.0\.1:\d+$/)
    })

    it('a runtime weight change shifts traffic', async () => {
      const before = await spread(port('weighted'), '/', 40, 1)
      expect(before).toEqual({ w1: 20, w2: 20 })
      await balancer.setWeight('w', 'w1', 9)
      const after = await spread(port('weighted'), '/', 100, 1)
      expect(after.w1).toBeGreaterThanOrEqual(80)
    })

    it('drains, adds and removes backends at runtime', async () => {
      await balancer.setDraining('w', 'w1', true)
      expect(await spread(port('weighted'), '/', 10, 1)).toEqual({ w2: 10 })
      await balancer.setDraining('w', 'w1', false)
      await balancer.addBackend('w', { id: 'w3', host: '127.0.0.1', port: extraPort, weight: 9 })
      await eventually(async () => expect((await spread(port('weighted'), '/', 20, 1)).w3).toBeGreaterThan(0))
      await balancer.removeBackend('w', 'w3')
      expect((await spread(port('weighted'), '/', 20, 1)).w3).toBeUndefined()
      await expect(balancer.setWeight('w', 'nobody', 1)).rejects.toThrow(/No such server/i)
      await expect(balancer.setWeight('nopool', 'w1', 1)).rejects.toThrow(/no pool/)
    })

    it('a backend added to a checked pool is checked like the others', async () => {
      await balancer.addBackend('hc', { id: 'bad2', host: '127.0.0.1', port: failingPort, weight: 1 })
      await eventually(async () => expect((await balancer.pollEvents()).map((e) => `${e.type} ${e.pool}/${e.backend}`)).toContain('backend-down hc/bad2'))
      expect(checkHosts).toContain(`127.0.0.1:${failingPort}`)
    })

    it('sticky sessions: the engine cookie value, honoured on later requests', async () => {
      const first = await get(port('sticky'), '/')
      const setCookie = first.headers['set-cookie']?.[0] ?? ''
      expect(setCookie).toMatch(new RegExp(`^lb=${stickyToken('layerbench', String(first.headers['x-backend']))}; `))
      expect(setCookie.toLowerCase()).toContain('httponly')
      expect(setCookie).toContain('Max-Age=60')
      const cookie = setCookie.split(';')[0]!
      for (let i = 0; i < 6; i++) expect((await get(port('sticky'), '/', { Cookie: cookie })).headers['x-backend']).toBe(first.headers['x-backend'])
    })

    it('reports its own statistics: per listener the engine’s observed shape, per backend its selections', async () => {
      const before = (await balancer.metrics!())!
      const spreadS = await spread(port('sticky'), '/', 12, 3)
      const after = (await balancer.metrics!())!
      expect(after.source).toBe('haproxy show stat')
      const delta = (f: (s: typeof after) => number | undefined) => (f(after) ?? 0) - (f(before) ?? 0)
      expect(delta((s) => s.listeners.sticky?.requests)).toBe(12)
      expect(delta((s) => s.listeners.sticky?.responses['2xx'])).toBe(12)
      expect(after.listeners.sticky!.connections).toBeGreaterThan(0)
      // Each backend's selections match what the client saw it answer.
      for (const id of ['s1', 's2']) expect(delta((s) => s.counters[`s/${id} lbtot`])).toBe(spreadS[id] ?? 0)
      expect(Object.keys(after.listeners).sort()).toEqual(['checked', 'sticky', 'weighted'])
    })

    it('reports no engine statistics', async () => {
      expect(await balancer.stats()).toBeUndefined()
      expect((await get(port('weighted'), '/')).status).toBe(200)
    })
  })
})
