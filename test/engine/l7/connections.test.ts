import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend, tcpServer } from '../../helpers/test-servers.js'
import { destroyAgents, httpListener, keepAliveAgent, poolOf, RawClient, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

describe('upstream connections', () => {
  it('maxConnectionsPerBackend: concurrent requests wait for the one connection and all succeed', async () => {
    const backend = await httpBackend('b1', (_req, res) => {
      setTimeout(() => res.end('ok'), 10)
      return true
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend], { maxConnectionsPerBackend: 1 }) } })
    const address = listenerAddress(engine, 'web')
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => send(address, `/c/${i}`)))
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(backend.seen.connections).toBe(1)
    expect(backend.seen.requests).toBe(8)
  })

  it('a kept-alive upstream connection the backend closed while idle is replaced transparently', async () => {
    const backend = await httpBackend('b1')
    backend.server.keepAliveTimeout = 100
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } })
    const address = listenerAddress(engine, 'web')
    const agent = keepAliveAgent()
    expect((await send(address, '/1', { agent })).status).toBe(200)
    // The backend closes the idle connection; the balancer notices or finds out on reuse.
    await eventually(() => expect(engine.stats().pools[0]!.backends[0]!.connections.active).toBe(0), 10_000)
    expect((await send(address, '/2', { agent })).status).toBe(200)
    expect(backend.seen.connections).toBe(2)
  })

  it('a reused connection that dies as the request is sent is retried once on a fresh connection', async () => {
    // The backend answers the first request on each connection and silently closes on the second.
    let answered = 0
    const backend = await tcpServer('flaky', (socket: Socket) => {
      let requests = 0
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.includes('\r\n\r\n')) return
        requests++
        if (requests === 1) {
          answered++
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n${answered}`)
        } else socket.destroy()
      })
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend], { retries: { attempts: 0 } }) } })
    const address = listenerAddress(engine, 'web')
    const agent = keepAliveAgent()
    expect((await send(address, '/a', { agent })).text).toBe('1')
    expect((await send(address, '/b', { agent })).text).toBe('2')
    expect(backend.seen.connections).toBe(2)
  })

  it('keepAlive.idleTimeoutMs closes pooled connections that sit idle', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend], { keepAlive: { idleTimeoutMs: 100 } }) } })
    const address = listenerAddress(engine, 'web')
    await send(address, '/')
    await eventually(() => expect(engine.stats().pools[0]!.backends[0]!.connections.active).toBe(0), 5000)
    expect((await send(address, '/')).status).toBe(200)
    expect(backend.seen.connections).toBe(2)
  })

  it('keepAlive.maxIdlePerBackend: 0 closes every upstream connection after its exchange', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend], { keepAlive: { maxIdlePerBackend: 0 } }) } })
    const address = listenerAddress(engine, 'web')
    const agent = keepAliveAgent()
    for (let i = 0; i < 3; i++) expect((await send(address, '/', { agent })).status).toBe(200)
    expect(backend.seen.connections).toBe(3)
  })
})

describe('client connections', () => {
  it('limits.maxConnections refuses connections over the limit and counts them', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { limits: { maxConnections: 1 } })], pools: { app: poolOf([backend]) } })
    const address = listenerAddress(engine, 'web')
    const first = await RawClient.connect(address.port)
    first.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    await first.responses(1)
    const second = await RawClient.connect(address.port)
    second.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    await second.waitClosed(5000)
    expect(second.received.length).toBe(0)
    const web = engine.stats().listeners[0]!
    expect(web.connections.rejected).toBe(1)
    expect(web.errors.LB_ERR_CONNECTION_LIMIT).toBe(1)
    first.destroy()
    await eventually(async () => {
      const third = await RawClient.connect(address.port)
      third.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
      expect((await third.responses(1, 2000))[0]!.status).toBe(200)
      third.destroy()
    })
  })

  it('timeouts.idleMs closes a kept-alive client connection that sits idle', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { timeouts: { idleMs: 200 } })], pools: { app: poolOf([backend]) } })
    const client = await RawClient.connect(listenerAddress(engine, 'web').port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    const [r] = await client.responses(1)
    const answeredAt = performance.now()
    expect(r!.header('connection')).not.toBe('close')
    await client.waitClosed(5000)
    // Closed for sitting idle, not after the response: timers never fire early (a margin for the sweep's clock reads).
    expect(performance.now() - answeredAt).toBeGreaterThanOrEqual(150)
  })

  it('Connection: close from the client is honoured after the response', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } })
    const client = await RawClient.connect(listenerAddress(engine, 'web').port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
    await client.waitClosed(5000)
    const [r] = await client.responses(1)
    expect(r!.status).toBe(200)
    expect(r!.header('connection')).toBe('close')
  })

  it('a graceful stop lets the request in flight finish, tells the client to close, and refuses new connections', async () => {
    let release: () => void = () => {}
    const backend = await httpBackend('b1', (req, res) => {
      if (req.url !== '/slow') return false
      release = () => res.end('finished')
      return true
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } })
    const address = listenerAddress(engine, 'web')
    const idle = await RawClient.connect(address.port)
    idle.write('GET /idle HTTP/1.1\r\nHost: t\r\n\r\n')
    await idle.responses(1)
    const busy = await RawClient.connect(address.port)
    busy.write('GET /slow HTTP/1.1\r\nHost: t\r\n\r\n')
    await eventually(() => expect(backend.seen.requests).toBe(2))

    const stopped = engine.stop({ drainMs: 10_000 })
    // The idle kept-alive connection is closed at once; the busy one waits for its response.
    await idle.waitClosed(5000)
    expect(busy.ended).toBe(false)
    await expect(RawClient.connect(address.port)).rejects.toThrow()
    release()
    const [r] = await busy.responses(1)
    expect(r!.status).toBe(200)
    expect(r!.body.toString()).toBe('finished')
    expect(r!.header('connection')).toBe('close')
    await busy.waitClosed(5000)
    await stopped
  })
})
