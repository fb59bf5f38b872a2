import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { destroyAgents, httpListener, keepAliveAgent, poolOf, RawClient, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

async function oneBackend(handler?: Parameters<typeof httpBackend>[1], listener: Record<string, unknown> = {}, routes?: unknown[]) {
  const backend = await httpBackend('b1', handler)
  const engine = await engineFrom({
    listeners: [httpListener(routes ?? [{ pool: 'app' }], listener)],
    pools: { app: poolOf([backend]) },
  })
  return { backend, engine, address: listenerAddress(engine, 'web') }
}

describe('keep-alive', () => {
  it('200 sequential requests on one client connection reuse a few upstream connections', async () => {
    const { backend, engine, address } = await oneBackend()
    const agent = keepAliveAgent()
    for (let i = 0; i < 200; i++) {
      const r = await send(address, `/n/${i}`, { agent })
      expect(r.status).toBe(200)
      expect(r.echo().url).toBe(`/n/${i}`)
    }
    expect(backend.seen.requests).toBe(200)
    expect(backend.seen.connections).toBeLessThanOrEqual(3)
    const web = engine.stats().listeners.find((l) => l.name === 'web')!
    expect(web.connections.total).toBe(1)
    expect(web.requests).toBe(200)
    expect(web.responses['2xx']).toBe(200)
  })

  it('answers pipelined requests in order, even when later ones are faster', async () => {
    const delays: Record<string, number> = { '/p/0': 120, '/p/1': 60, '/p/2': 0, '/p/3': 30, '/p/4': 0 }
    const { address } = await oneBackend((req, res) => {
      setTimeout(() => res.end(`body of ${req.url}`), delays[req.url ?? ''] ?? 0)
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write(Object.keys(delays).map((p) => `GET ${p} HTTP/1.1\r\nHost: t\r\n\r\n`).join(''))
    const responses = await client.responses(5)
    expect(responses.map((r) => r.body.toString())).toEqual(Object.keys(delays).map((p) => `body of ${p}`))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    client.destroy()
  })

  it('pipelined requests with bodies keep their framing', async () => {
    const { address } = await oneBackend()
    const client = await RawClient.connect(address.port)
    client.write(
      'POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello' +
        'POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
        'GET /c HTTP/1.1\r\nHost: t\r\n\r\n',
    )
    const responses = await client.responses(3)
    const echoes = responses.map((r) => JSON.parse(r.body.toString()) as { url: string; body: string })
    expect(echoes.map((e) => [e.url, e.body])).toEqual([
      ['/a', 'hello'],
      ['/b', 'abc'],
      ['/c', ''],
    ])
    client.destroy()
  })

  it('HTTP/1.0 without keep-alive: one response, then the connection closes', async () => {
    const { address } = await oneBackend()
    const client = await RawClient.connect(address.port)
    client.write('GET /old HTTP/1.0\r\nHost: t\r\n\r\n')
    await client.waitClosed()
    const [r] = await client.responses(1)
    expect(r!.status).toBe(200)
    expect(r!.header('transfer-encoding')).toBeUndefined()
    const echo = JSON.parse(r!.body.toString()) as { url: string; httpVersion: string }
    expect(echo.url).toBe('/old')
    expect(echo.httpVersion).toBe('1.0')
  })

  it('HTTP/1.0 with Connection: keep-alive: the connection carries a second request', async () => {
    // A backend answering a 1.0 request without a length must close; this one sends a length.
    const { address } = await oneBackend((req, res) => {
      const body = JSON.stringify({ url: req.url, httpVersion: req.httpVersion })
      res.setHeader('content-length', Buffer.byteLength(body))
      res.end(body)
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('GET /one HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n')
    const [first] = await client.responses(1)
    expect(first!.status).toBe(200)
    expect(first!.header('connection')?.toLowerCase()).toBe('keep-alive')
    expect(first!.header('content-length')).toBeDefined()
    expect(first!.header('transfer-encoding')).toBeUndefined()
    expect(client.ended).toBe(false)
    client.write('GET /two HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n')
    const both = await client.responses(2)
    expect(JSON.parse(both[1]!.body.toString())).toEqual({ url: '/two', httpVersion: '1.0' })
    client.destroy()
  })

  it('HTTP/1.0 client and a chunked backend response: the body is delimited by close, not chunked', async () => {
    const { address } = await oneBackend((_req, res) => {
      res.write('part one, ')
      setTimeout(() => res.end('part two'), 20)
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n')
    await client.until((b) => b.includes('part two'))
    const [r] = await client.responses(1)
    expect(r!.header('transfer-encoding')).toBeUndefined()
    expect(r!.body.toString()).toBe('part one, part two')
    client.destroy()
  })
})

describe('forwarded headers', () => {
  it('appends to X-Forwarded-For and sets X-Real-IP, X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const { address } = await oneBackend()
    const r = await send(address, '/', {
      headers: {
        host: 'shop.example.com:8080',
        'x-forwarded-for': '203.0.113.7, 198.51.100.1',
        'x-real-ip': '6.6.6.6',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'spoofed.example',
      },
    })
    const h = r.echo().headers
    expect(h['x-forwarded-for']).toBe('203.0.113.7, 198.51.100.1, 127.0.0.1')
    expect(h['x-real-ip']).toBe('127.0.0.1')
    expect(h['x-forwarded-proto']).toBe('http')
    expect(h['x-forwarded-host']).toBe('shop.example.com:8080')
    expect(h.host).toBe('shop.example.com:8080')
  })

  it('starts the X-Forwarded-For chain when there is none', async () => {
    const { address } = await oneBackend()
    const h = (await send(address, '/')).echo().headers
    expect(h['x-forwarded-for']).toBe('127.0.0.1')
  })

  it('joins several incoming X-Forwarded-For lines in order', async () => {
    const { address } = await oneBackend()
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n\r\n')
    const [r] = await client.responses(1)
    const echo = JSON.parse(r!.body.toString()) as { headers: Record<string, string> }
    expect(echo.headers['x-forwarded-for']).toBe('10.0.0.1, 10.0.0.2, 127.0.0.1')
    client.destroy()
  })

  it('forwarded: false leaves the forwarding headers alone', async () => {
    const { address } = await oneBackend(undefined, { headers: { forwarded: false } })
    const h = (await send(address, '/', { headers: { 'x-forwarded-for': '203.0.113.7' } })).echo().headers
    expect(h['x-forwarded-for']).toBe('203.0.113.7')
    expect(h['x-real-ip']).toBeUndefined()
    expect(h['x-forwarded-proto']).toBeUndefined()
  })

  it('generates X-Request-Id when absent and passes it on when present', async () => {
    const { address } = await oneBackend()
    const a = (await send(address, '/')).echo().headers['x-request-id']
    const b = (await send(address, '/')).echo().headers['x-request-id']
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(b).toMatch(/^[0-9a-f-]{36}$/)
    expect(a).not.toBe(b)
    const kept = (await send(address, '/', { headers: { 'x-request-id': 'trace-abc-123' } })).echo().headers['x-request-id']
    expect(kept).toBe('trace-abc-123')
  })

  it('requestId: false adds none', async () => {
    const { address } = await oneBackend(undefined, { headers: { requestId: false } })
    expect((await send(address, '/')).echo().headers['x-request-id']).toBeUndefined()
  })
})

describe('hop-by-hop headers', () => {
  it('are not forwarded upstream: Connection and its tokens, Keep-Alive, TE, Proxy-Connection, Upgrade without upgrade', async () => {
    const { address } = await oneBackend()
    const client = await RawClient.connect(address.port)
    client.write(
      'GET /h HTTP/1.1\r\nHost: t\r\nConnection: keep-alive, X-Session-Hop\r\nX-Session-Hop: secret\r\nKeep-Alive: timeout=5\r\n' +
        'TE: trailers\r\nProxy-Connection: keep-alive\r\nTrailer: X-Sum\r\nX-End-To-End: kept\r\n\r\n',
    )
    const [r] = await client.responses(1)
    const h = (JSON.parse(r!.body.toString()) as { headers: Record<string, string> }).headers
    for (const name of ['x-session-hop', 'keep-alive', 'te', 'proxy-connection', 'trailer']) expect(h[name], name).toBeUndefined()
    expect(h.connection ?? 'keep-alive').not.toMatch(/x-session-hop/i)
    expect(h['x-end-to-end']).toBe('kept')
    client.destroy()
  })

  it('are not forwarded downstream: a backend Connection token, Keep-Alive, Proxy-Connection', async () => {
    const { address } = await oneBackend((_req, res) => {
      res.setHeader('connection', 'X-Backend-Hop')
      res.setHeader('x-backend-hop', 'private')
      res.setHeader('keep-alive', 'timeout=99')
      res.setHeader('proxy-connection', 'keep-alive')
      res.setHeader('x-visible', 'yes')
      res.end('ok')
      return true
    })
    const r = await send(address, '/')
    expect(r.status).toBe(200)
    expect(r.text).toBe('ok')
    expect(r.headers['x-backend-hop']).toBeUndefined()
    expect(r.headers['proxy-connection']).toBeUndefined()
    expect(r.headers['keep-alive']).not.toBe('timeout=99')
    expect(r.headers['x-visible']).toBe('yes')
  })
})

describe('configured header edits', () => {
  const listener = {
    headers: {
      request: { add: { 'X-Gateway': 'layerbench' }, remove: ['X-Internal-Token'] },
      response: { add: { 'Strict-Transport-Security': 'max-age=63072000' }, remove: ['Server'] },
    },
  }
  const routes = [
    {
      name: 'admin',
      match: { path: { prefix: '/admin/' } },
      pool: 'app',
      headers: {
        request: { add: { 'X-Gateway': 'admin-gw', 'X-Route': 'admin' } },
        response: { add: { 'X-Frame-Options': 'DENY' }, remove: ['X-Powered-By', 'Strict-Transport-Security'] },
      },
    },
    { name: 'default', pool: 'app' },
  ]
  const backendHandler = (_req: unknown, res: import('node:http').ServerResponse) => {
    res.setHeader('server', 'backend/1.0')
    res.setHeader('x-powered-by', 'Express')
    res.setHeader('strict-transport-security', 'max-age=1')
  }

  it('listener level: request header added and removed, HSTS added (replacing the backend value), Server removed', async () => {
    const { address } = await oneBackend((req, res) => void backendHandler(req, res), listener, routes)
    const r = await send(address, '/page', { headers: { 'x-internal-token': 'hunter2', 'x-gateway': 'client-sent' } })
    const h = r.echo().headers
    expect(h['x-gateway']).toBe('layerbench')
    expect(h['x-internal-token']).toBeUndefined()
    expect(h['x-route']).toBeUndefined()
    expect(r.headers['strict-transport-security']).toBe('max-age=63072000')
    expect(r.headers.server).toBeUndefined()
    expect(r.headers['x-powered-by']).toBe('Express')
    expect(r.headers['x-frame-options']).toBeUndefined()
  })

  it('route level: merged over the listener, later levels win', async () => {
    const { address } = await oneBackend((req, res) => void backendHandler(req, res), listener, routes)
    const r = await send(address, '/admin/users', { headers: { 'x-internal-token': 'hunter2' } })
    const h = r.echo().headers
    expect(h['x-gateway']).toBe('admin-gw')
    expect(h['x-route']).toBe('admin')
    expect(h['x-internal-token']).toBeUndefined()
    expect(r.headers['x-frame-options']).toBe('DENY')
    expect(r.headers['x-powered-by']).toBeUndefined()
    expect(r.headers['strict-transport-security']).toBeUndefined()
    expect(r.headers.server).toBeUndefined()
  })
})

describe('request targets', () => {
  it.each([
    ['GET http://shop.example.com/cart?item=3 HTTP/1.1', '/cart?item=3'],
    ['GET http://shop.example.com HTTP/1.1', '/'],
    ['GET http://shop.example.com?x=1 HTTP/1.1', '/?x=1'],
    ['GET /a%2Fb/../c?q=%20 HTTP/1.1', '/a%2Fb/../c?q=%20'],
    ['OPTIONS * HTTP/1.1', '*'],
  ])('%s reaches the backend as %s', async (line, url) => {
    const { address } = await oneBackend()
    const client = await RawClient.connect(address.port)
    client.write(`${line}\r\nHost: shop.example.com\r\n\r\n`)
    const [r] = await client.responses(1)
    expect(r!.status).toBe(200)
    expect((JSON.parse(r!.body.toString()) as { url: string }).url).toBe(url)
    client.destroy()
  })
})
