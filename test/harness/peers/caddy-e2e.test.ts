import { requirePeer } from './peer-fixtures.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { issueCertificate } from '../../../engine/tls/self-signed.js'
import { peerAvailable, peerSupport } from '../../../harness/peers/registry.js'
import { startPeer, type RunningPeer } from '../../../harness/peers/start-peer.js'
import { closeServers, httpBackend, type Echo } from '../../helpers/test-servers.js'
import { eventually, get, TRICKY } from './peer-e2e.js'
import { l4, l7 } from './peer-fixtures.js'

describe('Caddy support', () => {
  const TABLE: [string, Parameters<typeof peerSupport>[1], string][] = [
    ['tcp listener', l4({}), "caddy-l4 plugin, which Debian's caddy lacks: listeners[0]"],
    ['a weighted split', l7({}, { routes: [{ split: [{ pool: 'p', weight: 9 }, { pool: 'p', weight: 1 }] }] }), 'no weighted choice between pools (no weights): listeners[0].routes[0].split'],
    ['unequal weights', l7({ algorithm: 'smooth-weighted-round-robin', backends: [{ host: '127.0.0.1', port: 1, weight: 3 }, { host: '127.0.0.1', port: 2 }] }), 'has no upstream weights'],
    ['PROXY to backends', l7({ proxyProtocol: 'v1' }), 'cannot send PROXY headers to upstreams'],
    ['cookie hashing', l7({ algorithm: 'ring-hash', hashKey: { source: 'cookie', name: 'u' } }), 'it does not hash the client'],
    ['tcp checks', l7({ healthCheck: { type: 'tcp' } }), 'Caddy checks upstreams over HTTP only'],
  ]
  for (const [name, config, reason] of TABLE) {
    it(`refuses ${name}, saying why`, () => {
      const s = peerSupport('caddy', config)
      expect(s.runnable).toBe(false)
      expect(s.unsupported.join('\n')).toContain(reason)
    })
  }
  it('runs header hashing, p2c and stickiness, naming the approximations', () => {
    expect(peerSupport('caddy', l7({ algorithm: 'ring-hash', hashKey: { source: 'header', name: 'x-user' } })).approximations.join()).toContain('rendezvous')
    expect(peerSupport('caddy', l7({ algorithm: 'p2c' })).approximations.join()).toContain('random_choose')
    expect(peerSupport('caddy', l7({ stickySession: { cookie: 's' } })).approximations.join()).toContain("Caddy's cookie policy")
  })
})

const available = await peerAvailable('caddy')
requirePeer('caddy', available)

const leaf = await issueCertificate(undefined, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })

describe.skipIf(!available.available)('Caddy end to end', () => {
  let balancer: RunningPeer
  let healthy = true
  const dir = mkdtempSync(join(tmpdir(), 'layerbench-caddy-e2e-'))
  beforeAll(async () => {
    const checked = await httpBackend('checked', (req, res) => {
      if (req.url !== '/health') return false
      res.statusCode = healthy ? 200 : 503
      res.end()
      return true
    })
    const steady = await httpBackend('steady')
    const [u1, u2] = await Promise.all([httpBackend('u1'), httpBackend('u2')])
    const config = parseLbConfig(
      {
        listeners: [
          {
            name: 'web',
            protocol: 'http',
            bind: '127.0.0.1:0',
            routes: [
              { match: { path: { prefix: '/user' } }, pool: 'hashed' },
              { match: { path: { prefix: '/api/' }, headers: [{ name: 'x-env', exact: 'prod' }] }, pool: 'checked', headers: { request: { add: { 'X-Tricky': TRICKY }, remove: ['x-drop'] }, response: { add: { 'X-Route': 'api' } } } },
            ],
          },
          { name: 'secure', protocol: 'https', bind: '127.0.0.1:0', tls: { certificates: [leaf] }, routes: [{ pool: 'checked' }] },
        ],
        pools: {
          checked: {
            algorithm: 'round-robin',
            retries: { attempts: 0 },
            healthCheck: { type: 'http', intervalMs: 200, timeoutMs: 150 },
            backends: [
              { id: 'checked', host: '127.0.0.1', port: checked.port },
              { id: 'steady', host: '127.0.0.1', port: steady.port },
            ],
          },
          hashed: {
            algorithm: 'rendezvous',
            hashKey: { source: 'header', name: 'x-user' },
            backends: [
              { id: 'u1', host: '127.0.0.1', port: u1.port },
              { id: 'u2', host: '127.0.0.1', port: u2.port },
            ],
          },
        },
      },
      'caddy-e2e',
    )
    balancer = await startPeer('caddy', config, dir)
  })
  afterAll(async () => {
    await balancer?.stop()
    await closeServers()
    rmSync(dir, { recursive: true, force: true })
  })

  it('routes by path and header, edits headers both ways, and answers 404 past the last route', async () => {
    const port = balancer.listeners.get('web')!.port
    const a = await get(port, '/api/x', { 'x-env': 'prod', 'x-drop': '1' })
    expect(a.status).toBe(200)
    const echo = JSON.parse(a.body) as Echo
    expect(echo.headers['x-tricky']).toBe(TRICKY)
    expect(echo.headers['x-drop']).toBeUndefined()
    expect(a.headers['x-route']).toBe('api')
    expect((await get(port, '/api/x', { 'x-env': 'test' })).status).toBe(404)
  })

  it('hashes one header value to one backend', async () => {
    const port = balancer.listeners.get('web')!.port
    for (const user of ['alice', 'bob', 'carol']) {
      const seen = new Set<string>()
      for (let i = 0; i < 6; i++) seen.add(String((await get(port, '/user', { 'x-user': user })).headers['x-backend']))
      expect(seen.size).toBe(1)
    }
  })

  it('reports its own per-upstream counters from the admin API', async () => {
    const m = (await balancer.metrics!())!
    expect(m.source).toBe('caddy admin API /reverse_proxy/upstreams')
    expect(Object.keys(m.counters).filter((k) => k.endsWith(' fails')).length).toBeGreaterThanOrEqual(2)
    // Caddy counts per listener only with its metrics option on, which is left off.
    expect(m.listeners).toEqual({})
  })

  it('terminates TLS with the listener certificate', async () => {
    const a = await get(balancer.listeners.get('secure')!.port, '/', {}, leaf.cert)
    expect(a.status).toBe(200)
    expect(a.authorized).toBe(true)
  })

  it('takes a backend out when its checks fail and brings it back when they pass', async () => {
    const port = balancer.listeners.get('secure')!.port
    const backends = async () => {
      const seen = new Set<string>()
      for (let i = 0; i < 6; i++) seen.add(String((await get(port, '/', {}, leaf.cert)).headers['x-backend']))
      return [...seen].sort()
    }
    healthy = false
    await eventually(async () => expect(await backends()).toEqual(['steady']))
    healthy = true
    await eventually(async () => expect(await backends()).toEqual(['checked', 'steady']))
  })
})
