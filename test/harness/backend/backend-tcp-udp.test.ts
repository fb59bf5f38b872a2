import dgram from 'node:dgram'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { killBackends, RawConnection, spawnBackend, type SpawnedBackend } from './backend-harness.js'

let backend: SpawnedBackend
const CLEAR = { latency: null, errorRate: null, resetRate: null, responseBytes: null }

beforeAll(async () => {
  backend = await spawnBackend({ id: 'db-1', tcp: { port: 0 }, udp: { port: 0 }, control: { port: 0 } })
})
afterEach(async () => {
  await backend.control('PUT', '/behaviour', CLEAR)
  await backend.control('POST', '/reset-counters')
})
afterAll(() => killBackends())

const behave = (patch: unknown) => backend.control('PUT', '/behaviour', patch)
const tcp = () => RawConnection.open(backend.ready.tcp!)

describe('backend TCP line protocol', () => {
  it('listens on tcp and udp only, as the readiness line says', () => {
    expect(backend.ready).toEqual({ id: 'db-1', pid: backend.child.pid, tcp: expect.any(Number), udp: expect.any(Number), control: expect.any(Number) })
  })

  it('echoes each line with the id, in order, CRLF or LF', async () => {
    const c = await tcp()
    c.write('SELECT 1\nSELECT 2\r\n\nca')
    c.write('fé\n')
    expect(await c.line()).toBe('db-1 SELECT 1')
    expect(await c.line()).toBe('db-1 SELECT 2')
    expect(await c.line()).toBe('db-1 ')
    // Payload bytes come back unchanged.
    expect(Buffer.from(await c.line(), 'latin1').toString('utf8')).toBe('db-1 café')
    const state = (await backend.control('GET', '/state')).body.served.tcp
    expect(state).toEqual({ requests: 4, errors: 0, resets: 0, connections: 1 })
    c.close()
  })

  it('answers WHO as the first line with the address it saw; later WHO is a payload', async () => {
    const c = await tcp()
    c.write('WHO\nWHO\n')
    expect(await c.line()).toBe(`db-1 127.0.0.1:${c.socket.localPort}`)
    expect(await c.line()).toBe('db-1 WHO')
    expect((await backend.control('GET', '/state')).body.served.tcp.requests).toBe(1)
    c.close()
  })

  it('waits the latency before each reply', async () => {
    await behave({ latency: { kind: 'fixed', ms: 200 } })
    const c = await tcp()
    const t = performance.now()
    c.write('q1\nq2\n')
    expect(await c.line()).toBe('db-1 q1')
    expect(performance.now() - t).toBeGreaterThanOrEqual(190)
    expect(await c.line()).toBe('db-1 q2')
    // Lines are answered one after another: the second waited its own 200 ms.
    expect(performance.now() - t).toBeGreaterThanOrEqual(380)
    c.close()
    const { service } = (await backend.control('GET', '/state')).body
    expect(service).toMatchObject({ holds: 2, requestedMeanUs: 200_000 })
    expect(service.overshootUs.min).toBeGreaterThanOrEqual(0)
  })

  it('replies ERR at errorRate 1 and resets at resetRate 1', async () => {
    await behave({ errorRate: 1 })
    const c = await tcp()
    c.write('a\nb\n')
    expect([await c.line(), await c.line()]).toEqual(['db-1 ERR', 'db-1 ERR'])
    c.close()
    await behave({ errorRate: null, resetRate: 1 })
    const d = await tcp()
    d.write('WHO\n')
    expect(await d.line()).toMatch(/^db-1 127\.0\.0\.1:\d+$/)
    // Sent only once the reply is read: Linux reports an RST that arrives behind unread data as EOF.
    d.write('boom\n')
    expect(await d.closed).toBe('ECONNRESET')
    expect((await backend.control('GET', '/state')).body.served.tcp).toEqual({ requests: 3, errors: 2, resets: 1, connections: 2 })
  })

  it('pads replies to responseBytes including the newline', async () => {
    await behave({ responseBytes: 100 })
    const c = await tcp()
    c.write('payload\n')
    const line = await c.line()
    expect(line.length + 1).toBe(100)
    expect(line.trimEnd()).toBe('db-1 payload')
    c.close()
  })
})

describe('backend UDP echo', () => {
  async function exchange(messages: string[], waitMs: number): Promise<string[]> {
    const socket = dgram.createSocket('udp4')
    const replies: string[] = []
    socket.on('message', (m) => replies.push(m.toString('latin1')))
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
    for (const m of messages) socket.send(m, backend.ready.udp!, '127.0.0.1')
    const deadline = performance.now() + waitMs
    while (replies.length < messages.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    socket.close()
    return replies
  }

  it('answers each datagram with <id>:<datagram>', async () => {
    const replies = await exchange(['ping', 'hello world', ''], 2000)
    expect(replies.sort()).toEqual(['db-1:', 'db-1:hello world', 'db-1:ping'])
    expect((await backend.control('GET', '/state')).body.served.udp).toEqual({ datagrams: 3 })
  })

  it('applies latency, and drops datagrams at errorRate 1', async () => {
    await behave({ latency: { kind: 'fixed', ms: 200 } })
    const t = performance.now()
    expect(await exchange(['late'], 3000)).toEqual(['db-1:late'])
    expect(performance.now() - t).toBeGreaterThanOrEqual(190)
    const { service } = (await backend.control('GET', '/state')).body
    expect(service).toMatchObject({ holds: 1, requestedMeanUs: 200_000 })
    expect(service.overshootUs.min).toBeGreaterThanOrEqual(0)
    await behave({ latency: null, errorRate: 1 })
    expect(await exchange(['lost', 'lost'], 300)).toEqual([])
    expect((await backend.control('GET', '/state')).body.served.udp).toEqual({ datagrams: 3 })
  })
})
