import { afterEach, describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../../engine/config/load-lb-config.js'
import type { FilterContext } from '../../../../engine/l7/filters/filter.js'
import { securityHeadersSchema } from '../../../../engine/l7/filters/filter-config.js'
import { securityHeadersFilter } from '../../../../engine/l7/filters/security-headers.js'
import type { RunningHttpListener } from '../../../../engine/l7/http-listener.js'
import type { HttpHeader } from '../../../../engine/http/http-head.js'
import { admin, engineFrom, listenerAddress, stopEngines } from '../../../helpers/engine.js'
import { closedPort, closeServers, httpBackend } from '../../../helpers/test-servers.js'
import { ADMIN, destroyAgents, httpListener, poolOf, RawClient, send, sendTls } from '../clients.js'
import { filterConformance } from './conformance.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const make = (c: Record<string, unknown> = {}) => securityHeadersFilter(securityHeadersSchema.parse({ type: 'security-headers', ...c }))
const ctx = (proto: 'http' | 'https') => ({ proto }) as FilterContext
const names = (headers: readonly HttpHeader[]) => headers.map((h) => h.name.toLowerCase())

describe('security-headers, unit', () => {
  it('sets the preset on a response that has none; HSTS only over TLS', () => {
    const plain: HttpHeader[] = []
    make().onResponseHead!(ctx('http'), 200, plain, false)
    expect(Object.fromEntries(plain.map((h) => [h.name, h.value]))).toEqual({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'SAMEORIGIN',
      'Referrer-Policy': 'strict-origin-when-cross-origin',
    })
    const secure: HttpHeader[] = []
    make({ hsts: { maxAgeS: 600, includeSubDomains: false, preload: true } }).onResponseHead!(ctx('https'), 200, secure, false)
    expect(secure.find((h) => h.name === 'Strict-Transport-Security')?.value).toBe('max-age=600; preload')
  })

  it.each([
    ['keeps what the backend set, and never sets a header twice', false, ['DENY'], 'DENY'],
    ['override: replaces the backend’s value, every line of it', true, ['DENY', 'ALLOW-FROM x'], 'SAMEORIGIN'],
  ] as const)('%s', (_what, override, backendValues, expected) => {
    const headers: HttpHeader[] = [{ name: 'content-type', value: 'text/html' }, ...backendValues.map((v) => ({ name: 'x-frame-options', value: v }))]
    make({ override }).onResponseHead!(ctx('http'), 200, headers, false)
    const frames = headers.filter((h) => h.name.toLowerCase() === 'x-frame-options').map((h) => h.value)
    expect(frames).toEqual(override ? [expected] : [...backendValues])
    expect(names(headers).filter((n) => n === 'x-content-type-options')).toHaveLength(1)
  })

  it('each header can be turned off; CSP only when given', () => {
    const headers: HttpHeader[] = []
    make({ hsts: false, contentTypeOptions: false, frameOptions: false, referrerPolicy: false, contentSecurityPolicy: "default-src 'self'" }).onResponseHead!(ctx('https'), 200, headers, false)
    expect(headers).toEqual([{ name: 'Content-Security-Policy', value: "default-src 'self'" }])
  })

  it('configuration is strict: unknown keys, bad values and CR/LF in a policy are refused', () => {
    expect(() => securityHeadersSchema.parse({ type: 'security-headers', hstss: {} })).toThrow()
    expect(() => securityHeadersSchema.parse({ type: 'security-headers', frameOptions: 'ALLOW' })).toThrow()
    expect(() => securityHeadersSchema.parse({ type: 'security-headers', contentSecurityPolicy: "a\r\nb: c" })).toThrow()
    expect(() => parseLbConfig({ listeners: [{ name: 't', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'p', filters: [{ type: 'security-headers' }] }], pools: { p: { backends: [{ host: '127.0.0.1', port: 1 }] } } }, 'x')).toThrow(/filters are for http and https listeners/)
    expect(() => parseLbConfig({ listeners: [httpListener([{ pool: 'p' }], { filters: [{ type: 'no-such-filter' }] })], pools: { p: { backends: [{ host: '127.0.0.1', port: 1 }] } } }, 'x')).toThrow(/filters/)
  })
})

filterConformance('security-headers', () => make())

describe('security-headers through the engine', () => {
  it('on backend responses and on the engine’s own 404, 502, 503 and 504; a route entry replaces the listener’s', async () => {
    const ok = await httpBackend('ok', (req, res) => {
      if (req.url === '/own') res.setHeader('x-frame-options', 'DENY')
      if (req.url !== '/slow') return
      setTimeout(() => res.end('late'), 2000)
      return true
    })
    const dead = await closedPort()
    const engine = await engineFrom({
      admin: ADMIN,
      listeners: [
        httpListener(
          [
            { match: { path: { prefix: '/dead' } }, pool: 'dead' },
            { match: { path: { prefix: '/none' } }, pool: 'none' },
            { match: { path: { prefix: '/strict' } }, pool: 'app', filters: [{ type: 'security-headers', frameOptions: 'DENY', override: true }] },
            { match: { host: 'app.test' }, pool: 'app' },
          ],
          { filters: [{ type: 'security-headers' }] },
        ),
      ],
      pools: {
        app: { ...poolOf([ok]), timeouts: { responseMs: 300 } },
        dead: { backends: [{ id: 'dead', host: '127.0.0.1', port: dead }], retries: { attempts: 0 } },
        none: poolOf([{ id: 'n', port: ok.port }]),
      },
    })
    const address = listenerAddress(engine, 'web')
    expect((await admin(engine, '/pools/none/backends/n/health', { method: 'POST', body: { healthy: false } })).status).toBe(200)
    const host = { host: 'app.test' }
    const cases: [string, Record<string, string>, number][] = [
      ['/', host, 200],
      ['/dead', host, 502],
      ['/none', host, 503],
      ['/slow', host, 504],
      ['/nothing-matches', { host: 'other.test' }, 404],
    ]
    for (const [path, headers, status] of cases) {
      const r = await send(address, path, { headers })
      expect(r.status, path).toBe(status)
      expect(r.headers['x-content-type-options'], path).toBe('nosniff')
      expect(r.headers['x-frame-options'], path).toBe('SAMEORIGIN')
      expect(r.headers['referrer-policy'], path).toBe('strict-origin-when-cross-origin')
      expect(r.headers['strict-transport-security'], `${path}: plain HTTP gets no HSTS`).toBeUndefined()
    }
    expect((await send(address, '/own', { headers: host })).headers['x-frame-options']).toBe('DENY')
    const strict = await send(address, '/strict', { headers: host })
    expect(strict.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'x-frame-options')).toHaveLength(1)
    expect(strict.headers['x-frame-options']).toBe('DENY')
  })

  it('on the engine’s own 400 (a malformed head) and 408 (a head too slow), from the listener’s entry; a throwing filter leaves the plain answer, counted', async () => {
    const b = await httpBackend('b')
    const throwing = {
      name: 'throws',
      onRejectHead: () => {
        throw new Error('boom')
      },
    }
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'security-headers', frameOptions: 'DENY' }], timeouts: { requestHeadMs: 300 } })], pools: { app: poolOf([b]) } })
    const { port } = listenerAddress(engine, 'web')
    const bad = await RawClient.connect(port)
    bad.write('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')
    const slow = await RawClient.connect(port)
    slow.write('GET / HTTP/1.1\r\nHost')
    const [r400] = await bad.responses(1)
    const [r408] = await slow.responses(1)
    for (const [r, status] of [[r400!, 400], [r408!, 408]] as const) {
      expect(r.status).toBe(status)
      expect(r.header('x-frame-options')).toBe('DENY')
      expect(r.header('x-content-type-options')).toBe('nosniff')
      expect(r.header('x-layerbench-error')).toBeDefined()
    }
    const plain = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'security-headers' }] })], pools: { app: poolOf([b]) } }, { filters: [throwing] })
    const c = await RawClient.connect(listenerAddress(plain, 'web').port)
    c.write('GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n')
    const [r] = await c.responses(1)
    expect(r!.status).toBe(400)
    expect(r!.header('x-content-type-options')).toBeUndefined()
    expect(r!.header('x-layerbench-error')).toBe('HTTP_ERR_CONFLICTING_FRAMING')
    expect(plain.stats().listeners[0]!.errors.LB_ERR_FILTER).toBe(1)
  })

  it('HSTS over TLS', async () => {
    const b = await httpBackend('b')
    const engine = await engineFrom({
      listeners: [{ name: 'secure', protocol: 'https', bind: '127.0.0.1:0', tls: { certificates: [{ selfSigned: { dnsNames: ['self.test'] } }] }, routes: [{ pool: 'app' }], filters: [{ type: 'security-headers' }] }],
      pools: { app: poolOf([b]) },
    })
    const l = engine.listeners.find((x) => x.name === 'secure') as RunningHttpListener
    const r = await sendTls(listenerAddress(engine, 'secure'), '/', { tls: { ca: l.certificates[0]!, servername: 'self.test' } })
    expect(r.status).toBe(200)
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
  })
})
