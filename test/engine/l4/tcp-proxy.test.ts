import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, eventually, stopEngines } from '../../helpers/engine.js'
import { closeServers, tcpServer } from '../../helpers/test-servers.js'
import { connectTo, pushUntilStalled, received, sendAll, sha256, sleep, slowRead } from './l4-support.js'

afterEach(async () => {
  await stopEngines()
  await closeServers()
})

const MiB = 1024 * 1024

/** A one-listener TCP engine in front of `backends`. */
function tcpEngine(backends: { id: string; port: number }[], pool: Record<string, unknown> = {}) {
  return engineFrom({
    admin: { listen: '127.0.0.1:0' },
    listeners: [{ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'app' }],
    pools: { app: { ...pool, backends: backends.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })) } },
  })
}

/** A backend that writes its id and closes: the client learns who served it. */
const namedBackend = (id: string) => tcpServer(id, (s) => s.end(id))

/** Which backend served one new connection. */
async function servedBy(engine: Awaited<ReturnType<typeof tcpEngine>>): Promise<string> {
  const socket = await connectTo(engine, 'tcp')
  return (await received(socket)).data.toString()
}

/** Bytes the process holds outside the V8 heap's free space: buffers and live objects. */
const heldBytes = () => {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

describe('TCP relay', () => {
  it('relays 20 MiB each way byte-exact through slow readers without buffering it', { timeout: 90_000 }, async () => {
    const up = randomBytes(20 * MiB)
    const down = randomBytes(20 * MiB)
    let backendSide: Promise<[{ sha256: string; bytes: number }, { drainWaits: number }]> | undefined
    const backend = await tcpServer(
      'slow',
      (socket) => {
        const reading = slowRead(socket)
        const writing = sendAll(socket, down).then((r) => {
          socket.end()
          return r
        })
        backendSide = Promise.all([reading, writing])
      },
      0,
      { allowHalfOpen: true },
    )
    const engine = await tcpEngine([backend])

    const baseline = heldBytes()
    let peak = baseline
    const sampler = setInterval(() => (peak = Math.max(peak, heldBytes())), 20)
    try {
      const client = await connectTo(engine, 'tcp', { allowHalfOpen: true })
      const clientReading = slowRead(client)
      const clientWriting = await sendAll(client, up)
      client.end()
      const fromBackend = await clientReading
      await eventually(() => expect(backendSide).toBeDefined(), 10_000)
      const [atBackend, backendWriting] = await backendSide!

      expect(atBackend).toEqual({ sha256: sha256(up), bytes: up.length })
      expect(fromBackend).toEqual({ sha256: sha256(down), bytes: down.length })
      // Both writers met backpressure (the stall test below shows it comes from the far reader).
      expect(clientWriting.drainWaits).toBeGreaterThan(0)
      expect(backendWriting.drainWaits).toBeGreaterThan(0)
    } finally {
      clearInterval(sampler)
    }
    expect(peak - baseline).toBeLessThan(64 * MiB)
  })

  it('stops a writer when the reader on the other side stops reading, in both directions', { timeout: 60_000 }, async () => {
    // A stalled hop on loopback absorbs a few MiB of kernel buffers; an engine that kept reading
    // regardless would let the writer push everything.
    const limit = 96 * MiB
    const bound = 48 * MiB
    const backendSockets: net.Socket[] = []
    const backend = await tcpServer(
      'stalled',
      (socket) => {
        socket.pause()
        backendSockets.push(socket)
      },
      0,
      { allowHalfOpen: true },
    )
    const engine = await tcpEngine([backend])

    // Client → backend, the backend not reading.
    const client = await connectTo(engine, 'tcp', { allowHalfOpen: true })
    const pushed = await pushUntilStalled(client, limit)
    expect(pushed.stalled).toBe(true)
    expect(pushed.acceptedBytes).toBeLessThan(bound)
    // Reading resumes: everything written arrives, and the writer's queue drains.
    const atBackend = backendSockets[0]!
    const counted = new Promise<number>((resolve) => {
      let n = 0
      atBackend.on('data', (c: Buffer) => (n += c.length))
      atBackend.once('end', () => resolve(n))
    })
    atBackend.resume()
    client.end()
    expect(await counted).toBe(pushed.writtenBytes)

    // Backend → client, the client not reading.
    const client2 = await connectTo(engine, 'tcp', { allowHalfOpen: true })
    client2.pause()
    await eventually(() => expect(backendSockets).toHaveLength(2), 10_000)
    const backendSocket = backendSockets[1]!
    const pushedDown = await pushUntilStalled(backendSocket, limit)
    expect(pushedDown.stalled).toBe(true)
    expect(pushedDown.acceptedBytes).toBeLessThan(bound)
    const countedDown = new Promise<number>((resolve) => {
      let n = 0
      client2.on('data', (c: Buffer) => (n += c.length))
      client2.once('end', () => resolve(n))
    })
    client2.resume()
    backendSocket.end()
    expect(await countedDown).toBe(pushedDown.writtenBytes)
    client2.destroy()
  })

  it('relays many concurrent connections, each to its own stream', async () => {
    const backend = await tcpServer('echo')
    const engine = await tcpEngine([backend])
    const payloads = Array.from({ length: 50 }, () => randomBytes(64 * 1024))
    const echoes = await Promise.all(
      payloads.map(async (p) => {
        const socket = await connectTo(engine, 'tcp')
        const got = received(socket)
        socket.end(p)
        return (await got).data
      }),
    )
    echoes.forEach((e, i) => expect(sha256(e)).toBe(sha256(payloads[i]!)))
    expect(backend.seen.connections).toBe(50)
  })
})

describe('choosing a backend per connection', () => {
  it('round-robin spreads 30 connections evenly over 3 backends', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map(namedBackend))
    const engine = await tcpEngine(backends, { algorithm: 'round-robin' })
    const counts: Record<string, number> = {}
    for (let i = 0; i < 30; i++) {
      const id = await servedBy(engine)
      counts[id] = (counts[id] ?? 0) + 1
    }
    expect(Object.keys(counts).sort()).toEqual(['a', 'b', 'c'])
    for (const n of Object.values(counts)) {
      expect(n).toBeGreaterThanOrEqual(8)
      expect(n).toBeLessThanOrEqual(12)
    }
  })

  it.each(['ring-hash', 'maglev'])('%s on source-ip keeps one client address on one backend', async (algorithm) => {
    const backends = await Promise.all(['a', 'b', 'c'].map(namedBackend))
    const engine = await tcpEngine(backends, { algorithm, hashKey: { source: 'source-ip' } })
    const served = new Set<string>()
    for (let i = 0; i < 20; i++) served.add(await servedBy(engine))
    expect(served.size).toBe(1)
  })

  it.each(['ring-hash', 'maglev'])('%s on source-address (ip:port) spreads one client address', async (algorithm) => {
    const backends = await Promise.all(['a', 'b', 'c'].map(namedBackend))
    const engine = await tcpEngine(backends, { algorithm, hashKey: { source: 'source-address' } })
    const served = new Set<string>()
    // Each connection has a new source port; 30 landing on one of three backends is a 3⁻²⁹ chance.
    for (let i = 0; i < 30; i++) served.add(await servedBy(engine))
    expect(served.size).toBeGreaterThan(1)
  })
})

describe('half-close', () => {
  it('passes the client FIN on and still relays the reply that follows it', async () => {
    const request = randomBytes(2 * MiB)
    // More than the kernel buffers hold, read slowly: the backend is done and closed while the
    // engine still has the reply's tail to deliver.
    const reply = randomBytes(16 * MiB)
    let atBackend: Promise<{ bytes: Buffer; sawFin: boolean }> | undefined
    const backend = await tcpServer(
      'replies-after-fin',
      (socket) => {
        atBackend = new Promise((resolve) => {
          const chunks: Buffer[] = []
          socket.on('data', (c: Buffer) => chunks.push(c))
          socket.once('end', () => {
            resolve({ bytes: Buffer.concat(chunks), sawFin: true })
            // The reply starts only after the client's FIN has arrived.
            socket.end(reply)
          })
        })
      },
      0,
      { allowHalfOpen: true },
    )
    const engine = await tcpEngine([backend])
    const client = await connectTo(engine, 'tcp', { allowHalfOpen: true })
    const got = slowRead(client, 256 * 1024, 20)
    client.end(request)
    expect(await got).toEqual({ sha256: sha256(reply), bytes: reply.length })
    const seen = await atBackend!
    expect(seen.sawFin).toBe(true)
    expect(sha256(seen.bytes)).toBe(sha256(request))
  })

  it('passes on a client FIN that arrives before the backend connection is up', async () => {
    const backend = await tcpServer('greets-after-fin', (socket) => socket.once('end', () => socket.end('bye')), 0, { allowHalfOpen: true })
    const engine = await tcpEngine([backend])
    for (let i = 0; i < 5; i++) {
      const client = await connectTo(engine, 'tcp', { allowHalfOpen: true })
      const got = received(client)
      // Nothing to send: the FIN alone, at once.
      client.end()
      expect((await got).data.toString()).toBe('bye')
    }
  })

  it('passes the backend FIN on and still relays what the client sends after it', async () => {
    const greeting = randomBytes(2 * MiB)
    const answer = randomBytes(2 * MiB)
    let atBackend: Promise<Buffer> | undefined
    const backend = await tcpServer(
      'fin-first',
      (socket) => {
        const chunks: Buffer[] = []
        socket.on('data', (c: Buffer) => chunks.push(c))
        atBackend = new Promise((resolve) => socket.once('end', () => resolve(Buffer.concat(chunks))))
        socket.end(greeting)
      },
      0,
      { allowHalfOpen: true },
    )
    const engine = await tcpEngine([backend])
    const client = await connectTo(engine, 'tcp', { allowHalfOpen: true })
    const chunks: Buffer[] = []
    client.on('data', (c: Buffer) => chunks.push(c))
    await once(client, 'end')
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(greeting))
    // The client's direction is still open after the backend's FIN.
    const closing = once(client, 'close')
    client.end(answer)
    await eventually(() => expect(atBackend).toBeDefined(), 10_000)
    expect(sha256(await atBackend!)).toBe(sha256(answer))
    await closing
  })
})

describe('graceful stop', () => {
  it('lets open connections finish while refusing new ones, then stops', async () => {
    const backend = await tcpServer('echo')
    const engine = await tcpEngine([backend])
    const open = await connectTo(engine, 'tcp')
    let stopped = false
    const stopping = engine.stop({ drainMs: 120_000 }).then(() => (stopped = true))
    await sleep(100)
    // The open connection still works while the engine drains…
    const echoed = once(open, 'data')
    open.write('still here')
    expect(String((await echoed)[0])).toBe('still here')
    // …new ones are refused…
    await expect(connectTo(engine, 'tcp')).rejects.toThrow()
    expect(stopped).toBe(false)
    // …and the stop completes once the last connection is gone (the deadline is beyond the test timeout).
    open.end()
    await stopping
    expect(engine.stats().listeners[0]!.connections.active).toBe(0)
  })
})
