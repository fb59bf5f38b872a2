import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, eventually, stopEngines } from '../../helpers/engine.js'
import { closedPort, closeServers, tcpServer } from '../../helpers/test-servers.js'
import { backendStats, closed, connectTo, listenerStats, poolStats, received, sleep } from './l4-support.js'

const children: ChildProcess[] = []
const fillers: net.Socket[] = []

afterEach(async () => {
  for (const s of fillers.splice(0)) s.destroy()
  for (const c of children.splice(0)) c.kill()
  await stopEngines()
  await closeServers()
})

type BackendRef = { id: string; port: number }

/** A one-listener TCP engine with an admin listener. */
function tcpEngine(backends: BackendRef[], pool: Record<string, unknown> = {}, listener: Record<string, unknown> = {}) {
  return engineFrom({
    admin: { listen: '127.0.0.1:0' },
    listeners: [{ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'app', ...listener }],
    pools: { app: { ...pool, backends: backends.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })) } },
  })
}

/** Sends one line through a new connection; resolves with the echo, or '' when the engine closed it. */
async function echoOnce(engine: Awaited<ReturnType<typeof tcpEngine>>, line = 'ping'): Promise<string> {
  const socket = await connectTo(engine, 'tcp')
  const got = received(socket)
  socket.end(line)
  return (await got).data.toString()
}

/**
 * A listening port whose accept queue is full: a child process listens with backlog 1 and then
 * blocks its event loop, so it never accepts; the queue is filled with connections until a new one
 * no longer completes. Further SYNs are dropped by the kernel and a connect attempt simply hangs.
 */
async function unresponsivePort(): Promise<number> {
  const script = `
    const net = require('node:net')
    const server = net.createServer()
    server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
      process.stdout.write(server.address().port + '\\n')
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000)
    })`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const [line] = (await once(child.stdout!, 'data')) as [Buffer]
  const port = Number(line.toString().trim())
  for (let i = 0; i < 64; i++) {
    const s = net.connect({ host: '127.0.0.1', port })
    s.on('error', () => {})
    fillers.push(s)
    const connected = await Promise.race([once(s, 'connect').then(() => true), sleep(500).then(() => false)])
    if (!connected) return port
  }
  throw new Error('the accept queue never filled up')
}

describe('connect failures', () => {
  it('retries a refused connect on another backend: every connection succeeds', async () => {
    const live = await tcpServer('live')
    const engine = await tcpEngine(
      [
        { id: 'dead', port: await closedPort() },
        { id: 'live', port: live.port },
      ],
      { retries: { attempts: 2, budgetPercent: 100 } },
    )
    for (let i = 0; i < 20; i++) expect(await echoOnce(engine, `ping ${i}`)).toBe(`ping ${i}`)
    const dead = await backendStats(engine, 'app', 'dead')
    // Round-robin sends half of the first attempts to the dead backend.
    expect(dead.connectFailures).toBeGreaterThanOrEqual(5)
    expect(dead.connections.total).toBe(0)
    expect((await backendStats(engine, 'app', 'live')).connections.total).toBe(20)
    expect((await poolStats(engine, 'app')).retries).toBe(dead.connectFailures)
    expect((await listenerStats(engine, 'tcp')).errors).toEqual({})
  })

  it('without retries, connections that picked the refusing backend are closed', async () => {
    const live = await tcpServer('live')
    const engine = await tcpEngine(
      [
        { id: 'dead', port: await closedPort() },
        { id: 'live', port: live.port },
      ],
      { retries: { attempts: 0 } },
    )
    const answers = []
    for (let i = 0; i < 20; i++) answers.push(await echoOnce(engine))
    const failed = answers.filter((a) => a === '').length
    expect(failed).toBeGreaterThanOrEqual(5)
    expect(answers.filter((a) => a === 'ping')).toHaveLength(20 - failed)
    expect((await backendStats(engine, 'app', 'dead')).connectFailures).toBe(failed)
    expect((await listenerStats(engine, 'tcp')).errors).toEqual({ LB_ERR_UPSTREAM_CONNECT: failed })
  })

  it('ejects a backend after consecutive connect failures (passive outlier detection)', async () => {
    const live = await tcpServer('live')
    const engine = await tcpEngine(
      [
        { id: 'dead', port: await closedPort() },
        { id: 'live', port: live.port },
      ],
      { retries: { attempts: 1, budgetPercent: 100 }, outlierDetection: { consecutiveFailures: 2, maxEjectionPercent: 50, baseEjectionMs: 60_000 } },
    )
    for (let i = 0; i < 20; i++) expect(await echoOnce(engine)).toBe('ping')
    const dead = await backendStats(engine, 'app', 'dead')
    expect(dead).toMatchObject({ connectFailures: 2, ejections: 1, ready: false })
    expect((await backendStats(engine, 'app', 'live')).connections.total).toBe(20)
  })

  it('closes the client promptly when every backend refuses', async () => {
    const engine = await tcpEngine([
      { id: 'a', port: await closedPort() },
      { id: 'b', port: await closedPort() },
    ])
    for (let i = 0; i < 5; i++) {
      const socket = await connectTo(engine, 'tcp')
      const r = await received(socket)
      expect(r.data.length).toBe(0)
    }
    const l = await listenerStats(engine, 'tcp')
    expect(l.errors).toEqual({ LB_ERR_UPSTREAM_CONNECT: 5 })
    expect(l.connections).toMatchObject({ active: 0, total: 5 })
  })

  it('closes the client with LB_ERR_NO_HEALTHY_BACKEND once health checks mark every backend down', async () => {
    const engine = await tcpEngine(
      [
        { id: 'a', port: await closedPort() },
        { id: 'b', port: await closedPort() },
      ],
      { healthCheck: { type: 'tcp', intervalMs: 100, timeoutMs: 50, fall: 1 } },
    )
    await eventually(async () => expect((await poolStats(engine, 'app')).readyBackends).toBe(0), 10_000)
    const socket = await connectTo(engine, 'tcp')
    expect((await received(socket)).data.length).toBe(0)
    expect((await listenerStats(engine, 'tcp')).errors).toEqual({ LB_ERR_NO_HEALTHY_BACKEND: 1 })
    expect((await poolStats(engine, 'app')).noHealthyBackend).toBe(1)
  })

  it('gives up on a backend that never completes the handshake after connectMs', async () => {
    const port = await unresponsivePort()
    const engine = await tcpEngine([{ id: 'silent', port }], { timeouts: { connectMs: 300 }, retries: { attempts: 0 } })
    const socket = await connectTo(engine, 'tcp')
    expect((await received(socket)).data.length).toBe(0)
    expect((await listenerStats(engine, 'tcp')).errors).toEqual({ LB_ERR_UPSTREAM_CONNECT_TIMEOUT: 1 })
    expect(await backendStats(engine, 'app', 'silent')).toMatchObject({ connectFailures: 1, timeouts: 1 })
  })

  it('reports a connect timeout when every backend timed out, also once none is left to try', async () => {
    const [a, b] = [await unresponsivePort(), await unresponsivePort()]
    // Three attempts allowed, two backends: the third pick finds every backend tried.
    const engine = await tcpEngine(
      [
        { id: 'a', port: a },
        { id: 'b', port: b },
      ],
      { timeouts: { connectMs: 200 }, retries: { attempts: 3 } },
    )
    const socket = await connectTo(engine, 'tcp')
    expect((await received(socket)).data.length).toBe(0)
    expect((await listenerStats(engine, 'tcp')).errors).toEqual({ LB_ERR_UPSTREAM_CONNECT_TIMEOUT: 1 })
    expect(await backendStats(engine, 'app', 'a')).toMatchObject({ connectFailures: 1, timeouts: 1 })
    expect(await backendStats(engine, 'app', 'b')).toMatchObject({ connectFailures: 1, timeouts: 1 })
  })
})

describe('timeouts and limits', () => {
  it('closes a connection idle for timeouts.idleMs, not one that keeps talking', async () => {
    const backend = await tcpServer('echo')
    const engine = await tcpEngine([backend], {}, { timeouts: { idleMs: 1000 } })

    const idle = await connectTo(engine, 'tcp')
    const idleReceived = received(idle)
    idle.write('hello')
    const busy = await connectTo(engine, 'tcp')
    busy.on('data', () => {})
    // The busy connection sends a byte every 50 ms for longer than the idle timeout.
    const ticker = setInterval(() => busy.write('.'), 50)
    try {
      const r = await idleReceived
      expect(r.data.toString()).toBe('hello')
      expect(busy.destroyed).toBe(false)
      await sleep(300)
      expect(busy.destroyed).toBe(false)
    } finally {
      clearInterval(ticker)
    }
    await closed(busy)
    expect((await listenerStats(engine, 'tcp')).connections.active).toBe(0)
  })

  it('refuses connections beyond limits.maxConnections', async () => {
    const backend = await tcpServer('echo')
    const engine = await tcpEngine([backend], {}, { limits: { maxConnections: 2 } })
    const first = await connectTo(engine, 'tcp')
    const second = await connectTo(engine, 'tcp')
    for (const s of [first, second]) {
      const echoed = once(s, 'data')
      s.write('x')
      expect(String((await echoed)[0])).toBe('x')
    }
    const third = await connectTo(engine, 'tcp')
    expect((await received(third)).data.length).toBe(0)
    let l = await listenerStats(engine, 'tcp')
    expect(l.connections).toEqual({ active: 2, total: 3, rejected: 1 })
    expect(l.errors).toEqual({ LB_ERR_CONNECTION_LIMIT: 1 })

    // A freed slot is usable again.
    first.destroy()
    await eventually(async () => expect((await listenerStats(engine, 'tcp')).connections.active).toBe(1))
    expect(await echoOnce(engine)).toBe('ping')
    second.destroy()
    l = await listenerStats(engine, 'tcp')
    expect(l.connections.rejected).toBe(1)
  })
})
