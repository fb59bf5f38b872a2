import { afterEach, describe, expect, it } from 'vitest'
import { nativeGenerator } from '../../../harness/load/native-generator.js'
import { autocannonGenerator } from '../../../harness/load/autocannon-generator.js'
import type { ResponseInfo } from '../../../harness/load/load-types.js'
import { closeServers, httpBackend, udpEcho } from '../../helpers/test-servers.js'

afterEach(closeServers)

describe('load generator: clients, mixes, cookies, source addresses', () => {
  it('sends each request its own shape from requestFor, and reports every reply with its client', async () => {
    const paths: string[] = []
    const backend = await httpBackend('b1', (req, res) => {
      paths.push(`${req.method} ${req.url} ${req.headers['x-kind']}`)
      res.end('ok')
      return true
    })
    const seen: ResponseInfo[] = []
    const summary = await nativeGenerator.run({
      protocol: 'http',
      target: { host: '127.0.0.1', port: backend.port },
      mode: 'closed',
      connections: 3,
      durationMs: 5000,
      maxRequests: 60,
      requestFor: (i) => (i % 2 === 0 ? { path: `/even/${i}`, headers: { 'x-kind': 'even' } } : { method: 'POST', path: `/odd/${i}`, bodyBytes: 5, headers: { 'x-kind': 'odd' } }),
      onResponse: (r) => seen.push(r),
    })
    expect(summary.sent).toBe(60)
    expect(seen).toHaveLength(60)
    expect(new Set(seen.map((r) => r.client))).toEqual(new Set([0, 1, 2]))
    expect(seen.every((r) => r.ok && r.backend === 'b1' && r.status === '200')).toBe(true)
    for (const p of paths) expect(p).toMatch(/^(GET \/even\/\d*[02468] even|POST \/odd\/\d*[13579] odd)$/)
  })

  it('keeps a cookie jar per client: cookies set by a response come back on that client only', async () => {
    let issued = 0
    const received: string[] = []
    const backend = await httpBackend('b1', (req, res) => {
      const cookie = req.headers.cookie
      received.push(cookie ?? 'none')
      if (cookie === undefined) res.setHeader('set-cookie', `session=s${issued++}; Path=/; HttpOnly`)
      res.end('ok')
      return true
    })
    const clients = new Set<number>()
    await nativeGenerator.run({
      protocol: 'http',
      target: { host: '127.0.0.1', port: backend.port },
      mode: 'closed',
      connections: 4,
      durationMs: 5000,
      maxRequests: 80,
      cookies: true,
      newConnectionPerRequest: true,
      onResponse: (r) => clients.add(r.client),
    })
    // One session per client, kept across reconnections (one connection per request here):
    // only each client's first request arrives without a cookie.
    expect(issued).toBe(4)
    expect(clients.size).toBe(4)
    expect(received.filter((c) => c === 'none')).toHaveLength(4)
    expect(new Set(received.filter((c) => c !== 'none'))).toEqual(new Set(['session=s0', 'session=s1', 'session=s2', 'session=s3']))
  })

  it('connects each client from its own source address', async () => {
    const addresses = new Set<string>()
    const backend = await httpBackend('b1', (req, res) => {
      addresses.add(req.socket.remoteAddress ?? '')
      res.end('ok')
      return true
    })
    const udp = await udpEcho('u1')
    const local = ['127.0.1.1', '127.0.1.2', '127.0.1.3']
    await nativeGenerator.run({ protocol: 'http', target: { host: '127.0.0.1', port: backend.port }, mode: 'closed', connections: 6, durationMs: 5000, maxRequests: 30, localAddresses: local })
    expect([...addresses].sort()).toEqual(local)
    const s = await nativeGenerator.run({ protocol: 'udp', target: { host: '127.0.0.1', port: udp.port }, mode: 'closed', connections: 3, durationMs: 5000, maxRequests: 30, localAddresses: local })
    expect(s.ok).toBe(30)
  })

  it('rejects addresses outside 127/8, and client features on autocannon', async () => {
    const plan = { protocol: 'http' as const, target: { host: '127.0.0.1', port: 9 }, mode: 'closed' as const, connections: 1, durationMs: 100 }
    await expect(nativeGenerator.run({ ...plan, localAddresses: ['10.0.0.1'] })).rejects.toMatchObject({ code: 'LB_ERR_INVALID_OPTIONS' })
    await expect(autocannonGenerator.run({ ...plan, cookies: true })).rejects.toMatchObject({ code: 'LB_ERR_INVALID_OPTIONS' })
  })
})
