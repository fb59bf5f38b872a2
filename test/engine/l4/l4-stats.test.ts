import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, eventually, stopEngines } from '../../helpers/engine.js'
import { closeServers, tcpServer } from '../../helpers/test-servers.js'
import { backendStats, connectTo, listenerStats, received } from './l4-support.js'

afterEach(async () => {
  await stopEngines()
  await closeServers()
})

describe('/stats of a TCP listener', () => {
  it('counts connections, bytes both ways and engine time per connection', async () => {
    const echo = await tcpServer('echo')
    const engine = await engineFrom({
      admin: { listen: '127.0.0.1:0' },
      listeners: [{ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'app' }],
      pools: { app: { backends: [{ id: 'echo', host: '127.0.0.1', port: echo.port }] } },
    })
    const sizes = [1, 1000, 65_536, 300_000, 1_048_576, 7, 42, 123_456, 10, 2]
    await Promise.all(
      sizes.map(async (n) => {
        const socket = await connectTo(engine, 'tcp')
        const got = received(socket)
        socket.end(randomBytes(n))
        expect((await got).data.length).toBe(n)
      }),
    )
    const total = sizes.reduce((a, b) => a + b, 0)
    await eventually(async () => expect((await listenerStats(engine, 'tcp')).connections.active).toBe(0))
    const l = await listenerStats(engine, 'tcp')
    expect(l).toMatchObject({
      protocol: 'tcp',
      layer: 4,
      connections: { active: 0, total: sizes.length, rejected: 0 },
      requests: sizes.length,
      bytes: { fromClients: total, toClients: total },
      errors: {},
    })
    expect(l.engineTimeUs.count).toBe(sizes.length)
    expect(l.engineTimeUs.max).toBeGreaterThan(0)
    expect(l.engineTimeUs.min).toBeLessThanOrEqual(l.engineTimeUs.p50)
    await eventually(async () => expect((await backendStats(engine, 'app', 'echo')).connections.active).toBe(0))
    expect(await backendStats(engine, 'app', 'echo')).toMatchObject({
      connections: { active: 0, total: sizes.length },
      requests: sizes.length,
      bytes: { toBackend: total, fromBackend: total },
      connectFailures: 0,
    })
  })

  it('counts the PROXY header a pool sends in the bytes to the backend, not in the client bytes', async () => {
    const sink = await tcpServer('sink', (s) => s.resume().on('end', () => s.end()))
    const engine = await engineFrom({
      admin: { listen: '127.0.0.1:0' },
      listeners: [{ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'app' }],
      pools: { app: { proxyProtocol: 'v2', backends: [{ id: 'sink', host: '127.0.0.1', port: sink.port }] } },
    })
    const socket = await connectTo(engine, 'tcp')
    const got = received(socket)
    socket.end(Buffer.alloc(100))
    await got
    await eventually(async () => expect((await backendStats(engine, 'app', 'sink')).connections.active).toBe(0))
    // A v2 header for IPv4 is 16 + 12 bytes.
    expect((await backendStats(engine, 'app', 'sink')).bytes.toBackend).toBe(100 + 28)
    expect((await listenerStats(engine, 'tcp')).bytes.fromClients).toBe(100)
  })
})
