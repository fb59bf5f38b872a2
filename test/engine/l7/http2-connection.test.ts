import http2, { constants } from 'node:http2'
import { afterEach, describe, expect, it } from 'vitest'
import { connectionAge } from '../../../engine/l7/h2/h2-client-session.js'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend, type Echo } from '../../helpers/test-servers.js'
import { httpListener, poolOf } from './clients.js'
import { closeH2Sessions, h2Connect, h2Request } from './h2-clients.js'

afterEach(async () => {
  closeH2Sessions()
  await stopEngines()
  await closeServers()
})

/** A backend that answers `/slow` after `ms` and `/big` with `bytes`, counting what it could write. */
async function backend(ms = 300, bytes = 0) {
  const written = { big: 0 }
  const b = await httpBackend('b1', (req, res) => {
    if (req.url === '/slow') {
      setTimeout(() => res.end('slow done'), ms)
      return true
    }
    if (req.url === '/big') {
      const chunk = Buffer.alloc(256 * 1024, 'b')
      const pump = () => {
        while (written.big < bytes) {
          written.big += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
      return true
    }
    return false
  })
  return { b, written }
}

describe('HTTP/2 client connections', () => {
  it('drain: GOAWAY, the streams in flight finish, the connection then closes', async () => {
    const { b } = await backend(400)
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([b]) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)))
    const inFlight = Promise.all([h2Request(session, '/slow'), h2Request(session, '/slow')])
    await eventually(() => expect(b.seen.requests).toBe(2))
    const stopped = engine.stop({ drainMs: 5000 })
    expect(await goaway).toBe(constants.NGHTTP2_NO_ERROR)
    const replies = await inFlight
    expect(replies.map((r) => [r.status, r.text])).toEqual([
      [200, 'slow done'],
      [200, 'slow done'],
    ])
    await stopped
    await eventually(() => expect(session.closed || session.destroyed).toBe(true))
  })

  it('maximum connection age: GOAWAY after the age (with jitter), in-flight streams finish, the client reconnects', async () => {
    const { b } = await backend(200)
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { http2: { maxConnectionAgeMs: 300, maxConnectionAgeJitter: 0.1 } })], pools: { app: poolOf([b]) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()))
    const slow = h2Request(session, '/slow')
    await goaway
    expect((await slow).status).toBe(200)
    // A new connection is served as before.
    const next = await h2Connect(`http://${a.host}:${a.port}`)
    expect((await h2Request(next, '/after')).status).toBe(200)
    await eventually(() => expect(session.closed || session.destroyed).toBe(true))
  })

  it('connection age jitter stays within its share either way', () => {
    expect(connectionAge(1000, 0.1, 0)).toBe(900)
    expect(connectionAge(1000, 0.1, 0.5)).toBe(1000)
    expect(connectionAge(1000, 0.1, 0.999999)).toBeCloseTo(1100, 3)
    expect(connectionAge(1000, 0, 0.3)).toBe(1000)
  })

  it('rapid reset: a client resetting more streams than maxResetsPerSession loses the connection (GOAWAY ENHANCE_YOUR_CALM)', async () => {
    const { b } = await backend(2000)
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { http2: { maxResetsPerSession: 20 } })], pools: { app: poolOf([b]) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)))
    for (let i = 0; i < 40 && !session.destroyed && !session.closed; i++) {
      const s = session.request({ ':path': '/slow' })
      s.on('error', () => {})
      s.close(constants.NGHTTP2_CANCEL)
      await new Promise((r) => setImmediate(r))
    }
    expect(await goaway).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM)
    const errors = engine.stats().listeners.find((l) => l.name === 'web')!.errors
    expect(errors.LB_ERR_H2_RESET_FLOOD).toBe(1)
    // Other clients are served.
    const other = await h2Connect(`http://${a.host}:${a.port}`)
    expect((await h2Request(other, '/fine')).status).toBe(200)
  })

  it('flow control: a stream whose reader stalls holds back its own backend only; other streams of the connection go on', async () => {
    const total = 64 * 1024 * 1024
    const { b, written } = await backend(0, total)
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([b]) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const big = session.request({ ':path': '/big' })
    big.on('error', () => {})
    big.pause()
    await eventually(() => expect(written.big).toBeGreaterThan(0))
    // While the big body is not read, the other streams of the same connection are answered.
    for (let i = 0; i < 5; i++) expect((JSON.parse((await h2Request(session, `/small/${i}`)).text) as Echo).url).toBe(`/small/${i}`)
    // What the backend could write is bounded by windows and socket buffers, not the body's size.
    await eventually(async () => {
      const before = written.big
      await new Promise((r) => setTimeout(r, 150))
      expect(written.big).toBe(before)
    }, 8000)
    expect(written.big).toBeLessThan(total / 2)
    // Reading again lets the rest through.
    let got = 0
    big.on('data', (c: Buffer) => (got += c.length))
    big.resume()
    await new Promise<void>((resolve) => big.on('end', () => resolve()))
    expect(got).toBe(total)
  })

  it('layer 4 relays HTTP/2 as bytes: every stream of one connection reaches the one backend the connection was given', async () => {
    const servers = await Promise.all(['h1', 'h2', 'h3'].map(async (id) => {
      const server = http2.createServer()
      let streams = 0
      server.on('stream', (stream) => {
        streams++
        stream.respond({ ':status': 200, 'x-backend': id })
        stream.end(id)
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return { id, server, port: (server.address() as { port: number }).port, streams: () => streams }
    }))
    try {
      const engine = await engineFrom({ listeners: [{ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'app' }], pools: { app: poolOf(servers) } })
      const a = listenerAddress(engine, 'tcp')
      const session = await h2Connect(`http://${a.host}:${a.port}`)
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => h2Request(session, `/l4/${i}`)))
      expect(new Set(replies.map((r) => r.text)).size).toBe(1)
      expect(servers.map((s) => s.streams()).sort((x, y) => x - y)).toEqual([0, 0, 30])
    } finally {
      closeH2Sessions()
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))))
    }
  })
})
