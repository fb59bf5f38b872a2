import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend, type Echo } from '../../helpers/test-servers.js'
import { countBy, httpListener, poolOf, send } from './clients.js'
import { closeH2Sessions, h2Connect, h2Request } from './h2-clients.js'

afterEach(async () => {
  closeH2Sessions()
  await stopEngines()
  await closeServers()
})

async function threeBackends() {
  return Promise.all(['b1', 'b2', 'b3'].map((id) => httpBackend(id)))
}

describe('HTTP/2 towards clients, HTTP/1.1 to the backends', () => {
  it('h2c with prior knowledge and HTTP/1.1 share one port; every stream of one connection is picked on its own', async () => {
    const backends = await threeBackends()
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf(backends) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const replies = await Promise.all(Array.from({ length: 90 }, (_, i) => h2Request(session, `/item/${i}?q=${i}`)))
    expect(replies.every((r) => r.status === 200)).toBe(true)
    const echoes = replies.map((r) => JSON.parse(r.text) as Echo)
    // One connection, round robin per request: the backends counted the same thirds.
    expect(countBy(echoes.map((e) => e.backend))).toEqual(new Map([['b1', 30], ['b2', 30], ['b3', 30]]))
    expect(backends.map((b) => b.seen.requests)).toEqual([30, 30, 30])
    expect(echoes[7]!.url).toBe('/item/7?q=7')
    expect(echoes[7]!.httpVersion).toBe('1.1')
    expect(echoes[7]!.headers.host).toBe(`${a.host}:${a.port}`)
    expect(echoes[7]!.headers['x-forwarded-proto']).toBe('http')
    // The same port still speaks HTTP/1.1.
    const h1 = await send(a, '/plain')
    expect(h1.status).toBe(200)
    expect(h1.echo().url).toBe('/plain')
  })

  it('request bodies: with Content-Length as is, without it framed chunked for HTTP/1.1; chunked responses decoded into DATA', async () => {
    const backend = await httpBackend('b1', (req, res, body) => {
      if (req.url !== '/chunked') return false
      res.setHeader('content-type', 'text/plain')
      res.write('part one, ')
      setTimeout(() => res.end(`part two (${body.length} bytes received)`), 5)
      return true
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const big = Buffer.alloc(300_000, 'x')
    const sized = JSON.parse((await h2Request(session, '/upload', { method: 'POST', headers: { 'content-length': String(big.length) }, body: big })).text) as Echo
    expect(sized.bodyBytes).toBe(big.length)
    expect(sized.headers['content-length']).toBe(String(big.length))
    const unsized = JSON.parse((await h2Request(session, '/upload', { method: 'POST', body: big })).text) as Echo
    expect(unsized.bodyBytes).toBe(big.length)
    expect(unsized.headers['transfer-encoding']).toBe('chunked')
    const chunked = await h2Request(session, '/chunked', { method: 'POST', body: 'hello' })
    expect(chunked.status).toBe(200)
    expect(chunked.text).toBe('part one, part two (5 bytes received)')
    expect(chunked.headers['transfer-encoding']).toBeUndefined()
  })

  it('routes, filters answering (429), response-head filters and the engine’s own errors apply per stream', async () => {
    const [api, web] = await Promise.all([httpBackend('api'), httpBackend('web')])
    const engine = await engineFrom({
      listeners: [
        httpListener(
          [
            { name: 'limited', match: { path: { prefix: '/limited/' } }, pool: 'api', filters: [{ type: 'rate-limit', ratePerS: 0.1, burst: 2, key: { source: 'route' } }] },
            { name: 'api', match: { path: { prefix: '/api/' } }, pool: 'api' },
            { name: 'web', match: { path: { prefix: '/web/' } }, pool: 'web' },
          ],
          { filters: [{ type: 'security-headers', frameOptions: 'DENY' }] },
        ),
      ],
      pools: { api: poolOf([api]), web: poolOf([web]) },
    })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const [r1, r2, r3] = await Promise.all([h2Request(session, '/api/x'), h2Request(session, '/web/y'), h2Request(session, '/nowhere')])
    expect((JSON.parse(r1.text) as Echo).backend).toBe('api')
    expect((JSON.parse(r2.text) as Echo).backend).toBe('web')
    expect(r1.headers['x-frame-options']).toBe('DENY')
    expect(r3.status).toBe(404)
    expect(r3.headers['x-layerbench-error']).toBe('LB_ERR_NO_ROUTE')
    expect(r3.headers['x-frame-options']).toBe('DENY')
    const limited = await Promise.all(Array.from({ length: 5 }, () => h2Request(session, '/limited/z')))
    expect(limited.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429])
    // The 429s were answered on the connection that carries the other streams: it still works.
    expect((await h2Request(session, '/web/after')).status).toBe(200)
  })

  it('the body stage runs on streams too: compress re-frames a backend body into DATA, a cache hit never reaches the backend', async () => {
    const json = JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ i, name: `item ${i}` })))
    const backend = await httpBackend('b1', (req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url === '/cached') res.setHeader('cache-control', 'max-age=60')
      res.end(json)
      return true
    })
    const engine = await engineFrom({
      listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'cache', maxBytes: 4_000_000 }, { type: 'compress', minBytes: 256 }] })],
      pools: { app: poolOf([backend]) },
    })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const zipped = await h2Request(session, '/data', { headers: { 'accept-encoding': 'gzip' } })
    expect(zipped.status).toBe(200)
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers['content-length']).toBeUndefined()
    expect(gunzipSync(zipped.body).toString('utf8')).toBe(json)
    expect(zipped.body.length).toBeLessThan(json.length)
    // Cached: the second stream is answered by the balancer, compressed on the way as well.
    const first = await h2Request(session, '/cached', { headers: { 'accept-encoding': 'gzip' } })
    const second = await h2Request(session, '/cached', { headers: { 'accept-encoding': 'gzip' } })
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['miss', 'hit'])
    expect(gunzipSync(second.body).toString('utf8')).toBe(json)
    expect(backend.seen.requests).toBe(2)
  })

  it('a stream whose backend fails is answered 502 on its own; the other streams of the connection are unaffected', async () => {
    const backend = await httpBackend('b1', (req) => {
      if (req.url === '/reset') {
        req.socket.destroy()
        return true
      }
      return false
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend], { retries: { attempts: 0 } }) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const [bad, good] = await Promise.all([h2Request(session, '/reset', { method: 'POST', body: 'x' }), h2Request(session, '/fine')])
    expect(bad.status).toBe(502)
    expect(bad.headers['x-layerbench-error']).toBe('LB_ERR_UPSTREAM_RESET')
    expect(good.status).toBe(200)
  })
})

describe('HTTP/2 over TLS', () => {
  let ca: CertificateAndKey
  let cert: CertificateAndKey
  beforeAll(async () => {
    ca = await generateCertificateAuthority({ commonName: 'layerbench h2 test CA' })
    cert = await issueCertificate(ca, { commonName: 'h2.test', dnsNames: ['h2.test'] })
  })

  it('ALPN offers h2 and http/1.1; streams are balanced per request', async () => {
    const backends = await threeBackends()
    const engine = await engineFrom({
      listeners: [{ name: 'secure', protocol: 'https', bind: '127.0.0.1:0', tls: { certificates: [{ cert: cert.cert, key: cert.key }] }, routes: [{ pool: 'app' }] }],
      pools: { app: poolOf(backends) },
    })
    const a = listenerAddress(engine, 'secure')
    const session = await h2Connect(`https://${a.host}:${a.port}`, { ca: ca.cert, servername: 'h2.test' })
    expect(session.alpnProtocol).toBe('h2')
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => h2Request(session, `/s/${i}`)))
    expect(countBy(replies.map((r) => (JSON.parse(r.text) as Echo).backend))).toEqual(new Map([['b1', 10], ['b2', 10], ['b3', 10]]))
    expect((JSON.parse(replies[0]!.text) as Echo).headers['x-forwarded-proto']).toBe('https')
  })

  it('with http2.enabled false, ALPN picks http/1.1 and prior knowledge is refused', async () => {
    const backends = await threeBackends()
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { http2: { enabled: false } })], pools: { app: poolOf(backends) } })
    const a = listenerAddress(engine, 'web')
    await expect(h2Connect(`http://${a.host}:${a.port}`).then((s) => h2Request(s, '/x', { timeoutMs: 2000 }))).rejects.toThrow()
  })
})

const curl = ['/usr/bin/curl', '/usr/local/bin/curl'].find((p) => existsSync(p))

describe.skipIf(curl === undefined)('curl', () => {
  it('curl --http2-prior-knowledge gets an HTTP/2 answer from a backend', async () => {
    const backends = await threeBackends()
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf(backends) } })
    const a = listenerAddress(engine, 'web')
    // One URL per run: curl 7.88 fails a second request reusing a prior-knowledge connection,
    // against node:http2's own server as well.
    const fetchWithCurl = (path: string) =>
      new Promise<string>((resolve, reject) =>
        execFile(curl!, ['-sS', '--http2-prior-knowledge', '-w', ' %{http_version} %{http_code}', `http://${a.host}:${a.port}${path}`], { timeout: 10_000 }, (e, stdout) => (e === null ? resolve(stdout) : reject(e))),
      )
    const [c, d] = await Promise.all([fetchWithCurl('/c'), fetchWithCurl('/d')])
    expect(c).toMatch(/"url":"\/c".* 2 200$/)
    expect(d).toMatch(/"url":"\/d".* 2 200$/)
  })
})
