import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { parseProxyHeader } from '../../../engine/proxy-protocol/proxy-protocol.js'
import { issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'
import { startPeer } from '../../../harness/peers/start-peer.js'
import { childPids } from '../../../harness/peers/peer-process.js'
import type { PeerName as Peer } from '../../../harness/peers/registry.js'
import type { RunningBalancer } from '../../../harness/runner/balancer-process.js'
import { processAlive } from '../../../harness/system/process-cpu.js'
import { chiSquareTest } from '../../../reports/statistics/chi-square.js'
import { closeServers, httpBackend, tcpServer, type Echo } from '../../helpers/test-servers.js'

/** An HTTP(S) answer, read whole. */
export interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  readonly authorized?: boolean
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })

/** GET over HTTP with a keep-alive agent (or HTTPS with `ca`). */
export function get(port: number, path: string, headers: Record<string, string> = {}, ca?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, headers, timeout: 10_000 }
    const done = (res: http.IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...(ca === undefined ? {} : { authorized: (res.socket as tls.TLSSocket).authorized }) }))
    }
    const req = ca === undefined ? http.request({ ...options, agent }, done) : https.request({ ...options, ca, servername: 'localhost', agent: false }, done)
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)))
    req.end()
  })
}

/** Which backend answered, on a fresh connection each (a peer that reloads closes idle ones). */
export function backendOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(String(res.headers['x-backend'] ?? `status ${res.statusCode}`)))
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('timed out')))
  })
}

/** Which backend answered each of `n` requests (`x-backend`), `concurrency` at a time. */
export async function spread(port: number, path: string, n: number, concurrency = 8): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++
        const a = await get(port, path)
        const id = String(a.headers['x-backend'] ?? `status ${a.status}`)
        counts[id] = (counts[id] ?? 0) + 1
      }
    }),
  )
  return counts
}

/** Connects, sends nothing, and reads until the server ends the connection. */
export function readAll(port: number): Promise<{ text: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port })
    let text = ''
    let localPort = 0
    s.on('connect', () => (localPort = s.localPort ?? 0))
    s.setEncoding('utf8')
    s.on('data', (d: string) => (text += d))
    s.on('end', () => resolve({ text, localPort }))
    s.on('error', reject)
    s.setTimeout(10_000, () => s.destroy(new Error('no answer')))
  })
}

/** Waits until `check` passes (rethrowing its last failure after `timeoutMs`). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (e) {
      if (Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/** A value every layer of quoting trips on. */
export const TRICKY = `it's "50%" $HOME \\ {x};`

/**
 * The scenarios both peers run against real backends, on one peer instance with a listener each:
 * tcp round robin, path routing, a 90/10 split, forwarded headers, https termination, TLS
 * passthrough by SNI and PROXY v1 to a backend. The last test stops the peer and checks that no
 * process is left.
 */
export function sharedEndToEnd(peer: Peer): { balancer: () => RunningBalancer } {
  let balancer: RunningBalancer
  const dir = mkdtempSync(join(tmpdir(), `layerbench-${peer}-e2e-`))
  let leaf: CertificateAndKey
  let sniA: CertificateAndKey
  let sniB: CertificateAndKey
  const tlsServers: tls.Server[] = []

  beforeAll(async () => {
    ;[leaf, sniA, sniB] = await Promise.all([
      issueCertificate(undefined, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
      issueCertificate(undefined, { commonName: 'a.test', dnsNames: ['a.test'] }),
      issueCertificate(undefined, { commonName: 'b.test', dnsNames: ['b.test'] }),
    ])
    const tcp = await Promise.all(['t1', 't2', 't3'].map((id) => tcpServer(id, (s) => s.end(id))))
    const [api, web] = await Promise.all([httpBackend('api1'), httpBackend('web1')])
    const hashed = await Promise.all(['h1', 'h2', 'h3'].map((id) => httpBackend(id)))
    const proxied = await tcpServer('proxied', (socket) => {
      let buf = Buffer.alloc(0)
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d])
        const r = parseProxyHeader(buf)
        if (r.status === 'incomplete') return
        socket.end(JSON.stringify(r.status === 'complete' ? { version: r.header.version, addresses: r.header.addresses } : { error: r.code }))
      })
    })
    const tlsBackend = async (id: string, pair: { cert: string; key: string }) => {
      const s = tls.createServer({ cert: pair.cert, key: pair.key }, (socket) => socket.end(id))
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
      tlsServers.push(s)
      return (s.address() as net.AddressInfo).port
    }
    const [portA, portB] = await Promise.all([tlsBackend('A', sniA), tlsBackend('B', sniB)])
    const b = (id: string, port: number) => ({ id, host: '127.0.0.1', port })
    const config = parseLbConfig(
      {
        listeners: [
          { name: 'rr', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'tcp3' },
          {
            name: 'web',
            protocol: 'http',
            bind: '127.0.0.1:0',
            routes: [
              { match: { path: { prefix: '/api/' } }, pool: 'api', headers: { request: { add: { 'X-Tricky': TRICKY } }, response: { add: { 'X-Route': 'api' } } } },
              { match: { path: { prefix: '/user' } }, pool: 'hashed' },
              { match: { path: { prefix: '/split' } }, split: [{ pool: 'api', weight: 90 }, { pool: 'web', weight: 10 }] },
              { match: { headers: [{ name: 'X-Canary', exact: 'yes' }] }, pool: 'api' },
              { match: { cookies: [{ name: 'beta', exact: '1' }] }, pool: 'api' },
              { match: { path: { exact: '/nowhere' } }, pool: 'web', headers: { response: { remove: ['x-backend'] } } },
              { match: { methods: ['GET'] }, pool: 'web' },
            ],
          },
          { name: 'secure', protocol: 'https', bind: '127.0.0.1:0', tls: { certificates: [{ cert: leaf.cert, key: leaf.key }] }, routes: [{ pool: 'web' }] },
          { name: 'pass', protocol: 'tls', bind: '127.0.0.1:0', pool: 'sniB', sni: [{ serverNames: ['a.test'], pool: 'sniA' }] },
          { name: 'proxied', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'proxied' },
          { name: 'accept', protocol: 'http', bind: '127.0.0.1:0', proxyProtocol: { trustedSources: ['127.0.0.0/8'] }, routes: [{ pool: 'web' }] },
        ],
        pools: {
          tcp3: { backends: tcp.map((s) => b(s.id, s.port)) },
          api: { backends: [b('api1', api.port)] },
          web: { backends: [b('web1', web.port)] },
          hashed: { algorithm: 'ring-hash', hashKey: { source: 'header', name: 'X-User' }, backends: hashed.map((h) => b(h.id, h.port)) },
          sniA: { backends: [b('A', portA)] },
          sniB: { backends: [b('B', portB)] },
          proxied: { backends: [b('proxied', proxied.port)], proxyProtocol: 'v1' },
        },
      },
      `${peer} e2e`,
    )
    balancer = await startPeer(peer, config, dir)
  })

  afterAll(async () => {
    await balancer?.stop()
    await closeServers()
    await Promise.all(tlsServers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    agent.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  const port = (name: string) => balancer.listeners.get(name)!.port

  it('reports its version, pid and listeners', () => {
    expect(balancer.implementation).toBe(peer)
    expect(balancer.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(processAlive(balancer.pid)).toBe(true)
    expect([...balancer.listeners.values()].map((l) => `${l.name}/${l.protocol}/${l.layer}`)).toEqual(['rr/tcp/4', 'web/http/7', 'secure/https/7', 'pass/tls/4', 'proxied/tcp/4', 'accept/http/7'])
    // Read from /proc/<pid>/stat: whole clock ticks (10 ms) of a live process, undefined once it is gone (below).
    expect(balancer.cpuUs()! % 10_000).toBe(0)
  })

  it('L4: round robin gives each of 3 backends about a third', async () => {
    const counts: Record<string, number> = {}
    for (let i = 0; i < 60; i++) {
      const { text } = await readAll(port('rr'))
      counts[text] = (counts[text] ?? 0) + 1
    }
    expect(Object.keys(counts).sort()).toEqual(['t1', 't2', 't3'])
    for (const n of Object.values(counts)) expect(n).toBeGreaterThanOrEqual(12)
  })

  it('L7: paths, headers and cookies route to the right pool; no route is a 404', async () => {
    expect((await get(port('web'), '/api/users')).headers['x-backend']).toBe('api1')
    expect((await get(port('web'), '/other')).headers['x-backend']).toBe('web1')
    expect((await get(port('web'), '/other', { 'X-Canary': 'yes' })).headers['x-backend']).toBe('api1')
    expect((await get(port('web'), '/other', { Cookie: 'a=b; beta=1' })).headers['x-backend']).toBe('api1')
    expect((await get(port('web'), '/other', { Cookie: 'beta=2' })).headers['x-backend']).toBe('web1')
    const plain = await get(port('web'), '/nowhere')
    expect(plain.status).toBe(200)
    expect(plain.headers['x-backend']).toBeUndefined()
    const del = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: port('web'), path: '/x', method: 'DELETE', agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(del).toBe(404)
  })

  it('L7: consistent hashing by a header keeps each key on one backend', async () => {
    const placed = new Map<string, Set<string>>()
    for (let u = 0; u < 30; u++) {
      for (let i = 0; i < 3; i++) {
        const id = String((await get(port('web'), '/user', { 'X-User': `user-${u}` })).headers['x-backend'])
        placed.set(`user-${u}`, (placed.get(`user-${u}`) ?? new Set()).add(id))
      }
    }
    for (const backends of placed.values()) expect(backends.size).toBe(1)
    expect(new Set([...placed.values()].flatMap((b) => [...b])).size).toBeGreaterThanOrEqual(2)
    // Without the key the pick is random: every backend shows up.
    expect(Object.keys(await spread(port('web'), '/user', 60)).sort()).toEqual(['h1', 'h2', 'h3'])
  })

  it('L7: a 90/10 split holds over 1000 requests (χ², p > 10⁻⁶)', async () => {
    const counts = await spread(port('web'), '/split', 1000)
    const observed = [counts.api1 ?? 0, counts.web1 ?? 0]
    expect(observed[0]! + observed[1]!).toBe(1000)
    // The peers split with real randomness (nginx hashes a random request id), so a correct split
    // fails a test at p 0.001 once in a thousand runs (a deviation of 37 in 1000, p 10⁻⁴, was seen
    // in CI). At 10⁻⁶ an 85/15 split over 1000 requests (χ² 27.8, p 1.4·10⁻⁷) still fails it.
    expect(chiSquareTest(observed, [90, 10]).pValue).toBeGreaterThan(1e-6)
  })

  it('L7: forwarded headers, request id and header edits reach the backend', async () => {
    const a = await get(port('web'), '/api/echo', { 'X-Forwarded-For': '203.0.113.7' })
    const echo = JSON.parse(a.body) as Echo
    expect(echo.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1')
    expect(echo.headers['x-real-ip']).toBe('127.0.0.1')
    expect(echo.headers['x-forwarded-proto']).toBe('http')
    expect(echo.headers['x-forwarded-host']).toBe(`127.0.0.1:${port('web')}`)
    expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f-]{32,36}$/)
    expect(echo.headers.host).toBe(`127.0.0.1:${port('web')}`)
    expect(echo.headers['x-tricky']).toBe(TRICKY)
    expect(a.headers['x-route']).toBe('api')
    const kept = JSON.parse((await get(port('web'), '/api/echo', { 'X-Request-Id': 'abc-123' })).body) as Echo
    expect(kept.headers['x-request-id']).toBe('abc-123')
  })

  it('https: terminates TLS with the configured certificate, verified by the client', async () => {
    const a = await get(port('secure'), '/', {}, leaf.cert)
    expect(a.authorized).toBe(true)
    expect(a.headers['x-backend']).toBe('web1')
    expect((JSON.parse(a.body) as Echo).headers['x-forwarded-proto']).toBe('https')
  })

  it('tls: passes TLS through untouched, routed by SNI', async () => {
    const hello = (servername: string, ca: string) =>
      new Promise<{ text: string; authorized: boolean }>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: port('pass'), servername, ca }, () => {
          let text = ''
          s.setEncoding('utf8')
          s.on('data', (d: string) => (text += d))
          s.on('end', () => resolve({ text, authorized: s.authorized }))
        })
        s.on('error', reject)
      })
    expect(await hello('a.test', sniA.cert)).toEqual({ text: 'A', authorized: true })
    expect(await hello('b.test', sniB.cert)).toEqual({ text: 'B', authorized: true })
  })

  it('tcp: sends a PROXY v1 header naming the client to the backend', async () => {
    const { text, localPort } = await readAll(port('proxied'))
    const got = JSON.parse(text) as { version: number; addresses: { source: { address: string; port: number }; destination: { port: number } } }
    expect(got.version).toBe(1)
    expect(got.addresses.source).toEqual({ address: '127.0.0.1', port: localPort })
    expect(got.addresses.destination.port).toBe(port('proxied'))
  })

  it('http: takes the client address from a trusted PROXY header', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: port('accept') }, () => {
        s.write('PROXY TCP4 198.51.100.9 127.0.0.1 5555 80\r\nGET /echo HTTP/1.1\r\nHost: proxied.test\r\nConnection: close\r\n\r\n')
      })
      let text = ''
      s.setEncoding('utf8')
      s.on('data', (d: string) => (text += d))
      s.on('end', () => resolve(text))
      s.on('error', reject)
    })
    const body = answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1)
    const echo = JSON.parse(body) as Echo
    expect(echo.headers['x-real-ip']).toBe('198.51.100.9')
    expect(echo.headers['x-forwarded-for']).toBe('198.51.100.9')
  })

  it('stop leaves no process behind', async () => {
    const pids = [balancer.pid, ...childPids(balancer.pid)]
    await balancer.stop()
    for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).toBe(false)
    expect(balancer.cpuUs()).toBeUndefined()
  })

  return { balancer: () => balancer }
}
