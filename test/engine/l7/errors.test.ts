import net, { type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { admin, engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend, tcpServer } from '../../helpers/test-servers.js'
import { ADMIN, destroyAgents, engineWithClosedPort, httpListener, keepAliveAgent, parseResponses, poolOf, RawClient, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const configOver = (backends: readonly { id: string; port: number }[], pool: Record<string, unknown> = {}) => ({
  admin: ADMIN,
  listeners: [httpListener([{ pool: 'app' }])],
  pools: { app: poolOf(backends, pool) },
})

async function engineOver(backends: readonly { id: string; port: number }[], pool: Record<string, unknown> = {}) {
  const engine = await engineFrom(configOver(backends, pool))
  return { engine, address: listenerAddress(engine, 'web') }
}

const errorsOf = (engine: Awaited<ReturnType<typeof engineFrom>>) => engine.stats().listeners.find((l) => l.name === 'web')!.errors

/** A raw backend that answers the first bytes of every request with `reply` (then does `after`). */
async function rawBackend(reply: string, after: 'close' | 'keep' = 'keep') {
  return tcpServer('raw', (socket: Socket) => {
    socket.once('data', () => {
      socket.write(reply)
      if (after === 'close') socket.end()
    })
  })
}

describe('balancer-made error responses', () => {
  it('connection refused → 502 LB_ERR_UPSTREAM_CONNECT with a readable body', async () => {
    const engine = await engineWithClosedPort((port) => configOver([{ id: 'gone', port }]))
    const address = listenerAddress(engine, 'web')
    const r = await send(address, '/')
    expect(r.status).toBe(502)
    expect(r.headers['x-layerbench-error']).toBe('LB_ERR_UPSTREAM_CONNECT')
    expect(r.headers['content-type']).toMatch(/^text\/plain/)
    expect(r.text).toMatch(/^502 Bad Gateway: .*\(LB_ERR_UPSTREAM_CONNECT\)\n$/)
    expect(errorsOf(engine).LB_ERR_UPSTREAM_CONNECT).toBe(1)
    const backend = engine.stats().pools[0]!.backends[0]!
    expect(backend.connectFailures).toBeGreaterThanOrEqual(1)
  })

  it('every backend unhealthy → 503 LB_ERR_NO_HEALTHY_BACKEND; healthy again → served', async () => {
    const [a, b] = await Promise.all([httpBackend('a'), httpBackend('b')])
    const { engine, address } = await engineOver([a!, b!])
    for (const id of ['a', 'b']) expect((await admin(engine, `/pools/app/backends/${id}/health`, { method: 'POST', body: { healthy: false } })).status).toBe(200)
    const agent = keepAliveAgent()
    const r = await send(address, '/', { agent })
    expect(r.status).toBe(503)
    expect(r.headers['x-layerbench-error']).toBe('LB_ERR_NO_HEALTHY_BACKEND')
    expect(r.text).toContain('no healthy backend')
    expect(a!.seen.requests + b!.seen.requests).toBe(0)
    expect(engine.stats().pools[0]!.noHealthyBackend).toBe(1)
    await admin(engine, '/pools/app/backends/b/health', { method: 'POST', body: { healthy: true } })
    const ok = await send(address, '/', { agent })
    expect(ok.status).toBe(200)
    expect(ok.headers['x-backend']).toBe('b')
  })

  it('a backend that never answers → 504 LB_ERR_UPSTREAM_TIMEOUT after responseMs', async () => {
    const silent = await httpBackend('silent', () => true)
    const { engine, address } = await engineOver([silent], { timeouts: { responseMs: 300 } })
    // The client's own deadline is generous: the balancer's 504 must come well before it.
    const r = await send(address, '/', { timeoutMs: 10_000 })
    expect(r.status).toBe(504)
    expect(r.headers['x-layerbench-error']).toBe('LB_ERR_UPSTREAM_TIMEOUT')
    expect(r.text).toContain('no response within 300 ms')
    expect(engine.stats().pools[0]!.backends[0]!.timeouts).toBe(1)
  })

  it('the response timeout starts once the request is sent: a slow upload is not a backend timeout', async () => {
    const b = await httpBackend('b')
    const { address } = await engineOver([b], { timeouts: { responseMs: 300 } })
    const client = await RawClient.connect(address.port)
    client.write('POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello')
    // The rest of the body comes well after responseMs.
    await new Promise((r) => setTimeout(r, 900))
    client.write('world')
    const [r] = await client.responses(1)
    expect(r!.status).toBe(200)
    expect((JSON.parse(r!.body.toString()) as { body: string }).body).toBe('helloworld')
    client.destroy()
  })

  it('after a slow upload, a backend that never answers still times out', async () => {
    const silent = await httpBackend('silent', () => true)
    const { address } = await engineOver([silent], { timeouts: { responseMs: 300 } })
    const client = await RawClient.connect(address.port)
    client.write('POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')
    await new Promise((r) => setTimeout(r, 600))
    client.write('0\r\n\r\n')
    const [r] = await client.responses(1)
    expect(r!.status).toBe(504)
    expect(r!.header('x-layerbench-error')).toBe('LB_ERR_UPSTREAM_TIMEOUT')
    client.destroy()
  })

  it('a GET that hangs is not retried on another backend after a response timeout', async () => {
    const silent = await httpBackend('silent', () => true)
    const other = await httpBackend('other')
    const { address } = await engineOver([silent, other], { algorithm: 'round-robin', timeouts: { responseMs: 300 } })
    const replies = [await send(address, '/'), await send(address, '/')]
    expect(replies.map((r) => r.status).sort()).toEqual([200, 504])
  })

  it('a backend closing before any response → 502 LB_ERR_UPSTREAM_RESET', async () => {
    const rude = await tcpServer('rude', (socket) => socket.once('data', () => socket.destroy()))
    const { address } = await engineOver([rude], { retries: { attempts: 0 } })
    const r = await send(address, '/')
    expect(r.status).toBe(502)
    expect(r.headers['x-layerbench-error']).toBe('LB_ERR_UPSTREAM_RESET')
  })

  it('a backend closing mid-response cuts the client connection instead of hanging it', async () => {
    const half = await httpBackend('half', (_req, res) => {
      res.setHeader('content-length', 10_000)
      res.write('x'.repeat(1000))
      setTimeout(() => res.socket?.destroy(), 20)
      return true
    })
    const { engine, address } = await engineOver([half])
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    await client.waitClosed(5000)
    const text = client.received.toString('latin1')
    expect(text).toMatch(/^HTTP\/1\.1 200 /)
    expect(text).toContain('content-length: 10000')
    expect(client.received.length).toBeLessThan(10_000)
    expect(errorsOf(engine).LB_ERR_UPSTREAM_RESET).toBe(1)
  })

  it('a chunked response cut short also cuts the client', async () => {
    const half = await httpBackend('half', (_req, res) => {
      res.write('first chunk')
      setTimeout(() => res.socket?.destroy(), 20)
      return true
    })
    const { address } = await engineOver([half])
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    await client.waitClosed(5000)
    expect(client.received.toString('latin1')).toContain('first chunk')
    expect(client.received.toString('latin1')).not.toContain('\r\n0\r\n\r\n')
  })

  it.each([
    ['a status line that is not HTTP', 'HTTP/1.1 abc OK\r\ncontent-length: 0\r\n\r\n'],
    ['a bare-LF status line', 'HTTP/1.1 200 OK\ncontent-length: 0\n\n'],
    ['an unknown version', 'HTTP/2.0 200 OK\r\ncontent-length: 0\r\n\r\n'],
    ['conflicting framing', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    ['two different lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd'],
  ])('%s → 502 LB_ERR_UPSTREAM_BAD_RESPONSE', async (_, reply) => {
    const bad = await rawBackend(reply)
    const { engine, address } = await engineOver([bad])
    const r = await send(address, '/')
    expect(r.status).toBe(502)
    expect(r.headers['x-layerbench-error']).toBe('LB_ERR_UPSTREAM_BAD_RESPONSE')
    // The body names the codec's reason (which may hold non-ASCII text) and is exactly as long as declared.
    expect(r.text).toMatch(/: HTTP_ERR_[A-Z_]+: .*\(LB_ERR_UPSTREAM_BAD_RESPONSE\)\n$/)
    expect(r.body.length).toBe(Number(r.headers['content-length']))
    expect(errorsOf(engine).LB_ERR_UPSTREAM_BAD_RESPONSE).toBe(1)
  })

  it('a malformed chunked body from the backend cuts the client after the head', async () => {
    const bad = await rawBackend('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\nZZ\r\n')
    const { engine, address } = await engineOver([bad])
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    await client.waitClosed(5000)
    expect(client.received.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /)
    expect(errorsOf(engine).LB_ERR_UPSTREAM_BAD_RESPONSE).toBe(1)
  })

  it('a backend answering before the request body is complete: the client gets the answer, then a close', async () => {
    const early = await tcpServer('early', (socket) => socket.once('data', () => socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\n\r\ntoo big!')))
    const { engine, address } = await engineOver([early])
    const client = await RawClient.connect(address.port)
    client.write('POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n')
    client.write(Buffer.alloc(1000, 'x'))
    const [r] = await client.responses(1)
    expect(r!.status).toBe(413)
    expect(r!.body.toString()).toBe('too big!')
    // The rest of the body will never be read: the balancer must say it closes, and close.
    expect(r!.header('connection')).toBe('close')
    // More body bytes after the answer are not mistaken for a new request.
    client.write('not a request\r\n\r\n')
    await client.waitClosed(5000)
    expect(parseResponses(client.received, { closed: true }).responses).toHaveLength(1)
    const web = engine.stats().listeners[0]!
    expect(web.responses['4xx']).toBe(1)
    expect(Object.keys(web.errors).filter((c) => c.startsWith('HTTP_ERR_'))).toEqual([])
  })

  it('CONNECT is refused with 405 LB_ERR_METHOD_NOT_ALLOWED', async () => {
    const b = await httpBackend('b')
    const { address } = await engineOver([b])
    const client = await RawClient.connect(address.port)
    client.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    const [r] = await client.responses(1)
    expect(r!.status).toBe(405)
    expect(r!.header('x-layerbench-error')).toBe('LB_ERR_METHOD_NOT_ALLOWED')
    expect(b.seen.requests).toBe(0)
    client.destroy()
  })

  it('a client paused while its body waited for a connection reads its next request after the error answer', async () => {
    // One connection per backend: a held request makes the next one queue its body (over 1 MiB, so
    // reading from the client pauses); then the backend goes away and the queued request fails.
    const held: Socket[] = []
    const holder = await tcpServer('holder', (socket) => void held.push(socket))
    const { address } = await engineOver([holder], { maxConnectionsPerBackend: 1, retries: { attempts: 0 } })
    const first = await RawClient.connect(address.port)
    first.write('GET /hold HTTP/1.1\r\nHost: t\r\n\r\n')
    await eventually(() => expect(held).toHaveLength(1))
    const client = await RawClient.connect(address.port)
    const size = (1 << 20) + 1
    client.write(`POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: ${size}\r\n\r\n`)
    client.write(Buffer.alloc(size, 'u'))
    await new Promise((r) => setTimeout(r, 200))
    holder.server.close()
    held[0]!.destroy()
    const [failed] = await client.responses(1)
    expect(failed!.status).toBe(502)
    expect(failed!.header('connection')).toBe('keep-alive')
    client.write('GET /next HTTP/1.1\r\nHost: t\r\n\r\n')
    const [, next] = await client.responses(2, 5000)
    expect(next!.status).toBe(502)
    expect(next!.header('x-layerbench-error')).toBe('LB_ERR_UPSTREAM_CONNECT')
    first.destroy()
    client.destroy()
  })

  it('after an error response the kept-alive connection serves the next request', async () => {
    const b = await httpBackend('b')
    const engine = await engineWithClosedPort((port) => ({
      listeners: [httpListener([{ match: { path: { prefix: '/down/' } }, pool: 'down' }, { pool: 'up' }])],
      pools: { down: poolOf([{ id: 'gone', port }]), up: poolOf([b]) },
    }))
    const client = await RawClient.connect(listenerAddress(engine, 'web').port)
    client.write('GET /down/x HTTP/1.1\r\nHost: t\r\n\r\nGET /up HTTP/1.1\r\nHost: t\r\n\r\n')
    const [first, second] = await client.responses(2)
    expect(first!.status).toBe(502)
    expect(first!.header('connection')).toBe('keep-alive')
    expect(second!.status).toBe(200)
    client.destroy()
  })
})

describe('lingering close', () => {
  /** An engine whose only route needs /only: anything else is answered 404 by the balancer itself. */
  async function engineWithLinger(lingerMs: number) {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ match: { path: { exact: '/only' } }, pool: 'app' }], { timeouts: { lingerMs } })], pools: { app: poolOf([backend]) } })
    return listenerAddress(engine, 'web')
  }

  it('answers a refused upload, reads on for lingerMs, then cuts a client that keeps sending', async () => {
    const address = await engineWithLinger(400)
    // allowHalfOpen: the client does not end its side when the balancer ends its own; it streams on.
    const socket = net.connect({ host: '127.0.0.1', port: address.port, allowHalfOpen: true })
    await new Promise((resolve) => socket.once('connect', resolve))
    const client = RawClient.wrap(socket)
    client.write('POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n' + 'x'.repeat(1000))
    await client.until((r) => r.includes('\r\n\r\n'))
    const answeredAt = Date.now()
    let sentAfterAnswer = 0
    expect(client.received.toString('latin1')).toMatch(/^HTTP\/1\.1 404 /)
    // The client streams on regardless, for up to 8 s.
    const chunk = Buffer.alloc(1024, 0x78)
    const pump = setInterval(() => {
      if (client.socket.destroyed || client.socket.writableEnded) return
      client.write(chunk)
      sentAfterAnswer += chunk.length
    }, 20)
    let stoppedByClient = false
    const stop = setTimeout(() => {
      stoppedByClient = true
      client.socket.destroy()
    }, 8000)
    await client.closed
    clearInterval(pump)
    clearTimeout(stop)
    const lingered = Date.now() - answeredAt
    // Cut by the balancer after the linger (less a sweep tick at most), not by the client's 8 s stop.
    expect(lingered).toBeGreaterThanOrEqual(300)
    expect(stoppedByClient).toBe(false)
    expect(sentAfterAnswer).toBeGreaterThan(0)
  })

  it('lets a client that stops sending close by itself, with the answer intact', async () => {
    const address = await engineWithLinger(30_000)
    const client = await RawClient.connect(address.port)
    client.write('POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n' + 'x'.repeat(100))
    await client.until((r) => r.includes('\r\n\r\n'))
    expect(client.received.toString('latin1')).toMatch(/^HTTP\/1\.1 404 /)
    expect(client.received.toString('latin1')).toMatch(/\r\nconnection: close\r\n/i)
    // The balancer has ended its side: the client sees the end of the stream.
    await client.until(() => client.ended).catch(() => undefined)
    expect(client.ended).toBe(true)
  })
})
