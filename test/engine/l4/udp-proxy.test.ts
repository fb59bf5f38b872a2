import dgram from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import type { Engine } from '../../../engine/runtime/engine.js'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, udpEcho } from '../../helpers/test-servers.js'
import { backendStats, listenerStats, sleep } from './l4-support.js'

const clients: dgram.Socket[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await stopEngines()
  await closeServers()
})

/** A UDP client on 127.0.0.1 talking to the engine's `udp` listener, keeping every reply. */
async function udpClient(engine: Engine) {
  const socket = dgram.createSocket('udp4')
  clients.push(socket)
  const replies: string[] = []
  socket.on('message', (m) => replies.push(m.toString()))
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = listenerAddress(engine, 'udp')
  return {
    replies,
    port: socket.address().port,
    send: (text: string) => new Promise<void>((resolve, reject) => socket.send(text, port, '127.0.0.1', (e) => (e ? reject(e) : resolve()))),
  }
}

/** Which backend each reply came from (`udpEcho` prefixes its id). */
const backendsOf = (replies: readonly string[]) => new Set(replies.map((r) => r.slice(0, r.indexOf(':'))))

/** An engine with one UDP listener over the given echo backends. */
async function udpEngine(backends: { id: string; port: number }[], pool: Record<string, unknown> = {}, listener: Record<string, unknown> = {}) {
  return engineFrom({
    admin: { listen: '127.0.0.1:0' },
    listeners: [{ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0', pool: 'echo', ...listener }],
    pools: { echo: { ...pool, backends: backends.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })) } },
  })
}

describe('UDP flows', () => {
  it('answers each client, keeping each client on the backend of its flow', async () => {
    const a = await udpEcho('a')
    const b = await udpEcho('b')
    const engine = await udpEngine([a, b])
    const cs = await Promise.all([0, 1, 2].map(() => udpClient(engine)))
    for (let n = 0; n < 5; n++) await Promise.all(cs.map((c, i) => c.send(`c${i}-${n}`)))
    await eventually(() => cs.forEach((c) => expect(c.replies).toHaveLength(5)), 10_000)
    cs.forEach((c, i) => {
      const [backend] = [...backendsOf(c.replies)]
      expect(backendsOf(c.replies).size).toBe(1)
      // Every reply is to one of this client's own datagrams.
      expect([...c.replies].sort()).toEqual([0, 1, 2, 3, 4].map((n) => `${backend}:c${i}-${n}`))
    })
    // Three flows over two backends under round-robin: both are used.
    expect(new Set(cs.flatMap((c) => [...backendsOf(c.replies)])).size).toBe(2)
    expect(a.seen.requests + b.seen.requests).toBe(15)
  })

  it("gives a new socket on a gone client's address and port that client's flow, without a pick, until it idles", async () => {
    // Why a load generator's UDP warm-up must send from other addresses than its measured phase:
    // the kernel may hand a measured socket a port the warm-up just closed.
    const backends = await Promise.all(['a', 'b', 'c'].map((id) => udpEcho(id)))
    const engine = await udpEngine(backends, { algorithm: 'round-robin' })
    const first = await udpClient(engine)
    await first.send('one')
    await eventually(() => expect(first.replies).toHaveLength(1), 10_000)
    const port = first.port
    clients.splice(clients.length - 1, 1)[0]!.close()
    const again = dgram.createSocket('udp4')
    clients.push(again)
    const replies: string[] = []
    again.on('message', (m) => replies.push(m.toString()))
    await new Promise<void>((resolve) => again.bind(port, '127.0.0.1', resolve))
    for (const text of ['two', 'three']) again.send(text, listenerAddress(engine, 'udp').port, '127.0.0.1')
    await eventually(() => expect(replies).toHaveLength(2), 10_000)
    // Round robin would have moved a new flow on; the old one answers, and no flow was opened.
    expect(backendsOf(replies)).toEqual(backendsOf(first.replies))
    expect((await listenerStats(engine, 'udp')).connections).toMatchObject({ active: 1, total: 1 })
  })

  it('expires flows after timeouts.idleMs', async () => {
    const a = await udpEcho('a')
    const engine = await udpEngine([a], {}, { timeouts: { idleMs: 200 } })
    const cs = await Promise.all([0, 1, 2].map(() => udpClient(engine)))
    await Promise.all(cs.map((c) => c.send('hello')))
    await eventually(() => cs.forEach((c) => expect(c.replies).toEqual(['a:hello'])), 10_000)
    expect((await listenerStats(engine, 'udp')).connections.total).toBe(3)
    await eventually(async () => expect((await listenerStats(engine, 'udp')).connections.active).toBe(0), 10_000)
    // A client that comes back opens a new flow.
    await cs[0]!.send('again')
    await eventually(() => expect(cs[0]!.replies).toEqual(['a:hello', 'a:again']), 10_000)
    expect((await listenerStats(engine, 'udp')).connections).toMatchObject({ active: 1, total: 4 })
  })

  it('rendezvous on source-address puts a returning client back on the same backend', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map((id) => udpEcho(id)))
    const engine = await udpEngine(backends, { algorithm: 'rendezvous', hashKey: { source: 'source-address' } }, { timeouts: { idleMs: 200 } })
    const cs = await Promise.all(Array.from({ length: 8 }, () => udpClient(engine)))
    await Promise.all(cs.map((c) => c.send('first')))
    await eventually(() => cs.forEach((c) => expect(c.replies).toHaveLength(1)), 10_000)
    const firstBackends = cs.map((c) => [...backendsOf(c.replies)][0])
    // The hash spreads clients (8 clients on one of 3 backends would be a 3⁻⁷ chance).
    expect(new Set(firstBackends).size).toBeGreaterThan(1)
    await eventually(async () => expect((await listenerStats(engine, 'udp')).connections.active).toBe(0), 10_000)
    await Promise.all(cs.map((c) => c.send('second')))
    await eventually(() => cs.forEach((c) => expect(c.replies).toHaveLength(2)), 10_000)
    expect(cs.map((c) => [...backendsOf(c.replies)])).toEqual(firstBackends.map((b) => [b]))
    expect((await listenerStats(engine, 'udp')).connections.total).toBe(16)
  })

  it('drops and counts datagrams that would open a flow beyond limits.maxConnections', async () => {
    const a = await udpEcho('a')
    const engine = await udpEngine([a], {}, { limits: { maxConnections: 1 } })
    const first = await udpClient(engine)
    const second = await udpClient(engine)
    await first.send('one')
    await eventually(() => expect(first.replies).toEqual(['a:one']), 10_000)
    for (let n = 0; n < 3; n++) await second.send(`dropped ${n}`)
    await first.send('two')
    await eventually(() => expect(first.replies).toEqual(['a:one', 'a:two']), 10_000)
    // Give a wrongly forwarded datagram time to come back before concluding it was dropped.
    await sleep(300)
    expect(second.replies).toEqual([])
    expect(a.seen.requests).toBe(2)
    const l = await listenerStats(engine, 'udp')
    expect(l.connections).toEqual({ active: 1, total: 4, rejected: 3 })
    expect(l.errors).toEqual({ LB_ERR_CONNECTION_LIMIT: 3 })
  })

  it('ends a flow whose backend port is unreachable; the next datagram opens a new one', async () => {
    const dead = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve))
    const deadPort = dead.address().port
    await new Promise<void>((resolve) => dead.close(resolve))
    const engine = await udpEngine([{ id: 'dead', port: deadPort }])
    const c = await udpClient(engine)
    for (const [n, text] of ['one', 'two'].entries()) {
      await c.send(text)
      // The ICMP port-unreachable reaches the flow's connected socket and ends the flow.
      await eventually(async () => expect((await backendStats(engine, 'echo', 'dead')).connectFailures).toBe(n + 1), 10_000)
      await eventually(async () => expect((await listenerStats(engine, 'udp')).connections).toMatchObject({ active: 0, total: n + 1 }), 10_000)
    }
    expect(c.replies).toEqual([])
  })

  it('counts datagrams, bytes and engine time in /stats', async () => {
    const a = await udpEcho('a')
    const engine = await udpEngine([a])
    const c = await udpClient(engine)
    const payloads = ['x', 'yy', 'z'.repeat(1000)]
    for (const p of payloads) await c.send(p)
    await eventually(() => expect(c.replies).toHaveLength(3), 10_000)
    const sent = payloads.reduce((n, p) => n + p.length, 0)
    const l = await listenerStats(engine, 'udp')
    expect(l.requests).toBe(3)
    expect(l.bytes).toEqual({ fromClients: sent, toClients: sent + 3 * 'a:'.length })
    expect(l.engineTimeUs.count).toBe(3)
    expect(l.connections).toEqual({ active: 1, total: 1, rejected: 0 })
  })
})
