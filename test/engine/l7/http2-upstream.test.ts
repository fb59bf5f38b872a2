import http2, { type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { admin, engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { ADMIN, countBy, httpListener, keepAliveAgent, destroyAgents, poolOf, send } from './clients.js'
import { closeH2Sessions, h2Connect, h2Request } from './h2-clients.js'

/** An h2c backend that answers with what it saw and counts its sessions and streams. */
interface H2Backend {
  readonly id: string
  readonly port: number
  readonly seen: { sessions: number; streams: number; maxConcurrent: number }
  close(): Promise<void>
}

const backends = new Set<H2Backend>()

async function h2Backend(id: string, handle?: (stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => boolean, settings: http2.Settings = {}): Promise<H2Backend> {
  const seen = { sessions: 0, streams: 0, maxConcurrent: 0 }
  let active = 0
  const server = http2.createServer({ settings })
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('session', (s) => {
    seen.sessions++
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
  })
  server.on('stream', (stream, headers) => {
    seen.streams++
    active++
    seen.maxConcurrent = Math.max(seen.maxConcurrent, active)
    stream.on('close', () => active--)
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      const body = Buffer.concat(chunks)
      if (handle?.(stream, headers, body) === true) return
      setTimeout(() => {
        if (stream.destroyed) return
        stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-backend': id })
        stream.end(JSON.stringify({ backend: id, path: headers[':path'], authority: headers[':authority'], bodyBytes: body.length, headers }))
      }, 5)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const b: H2Backend = {
    id,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        server.close(() => resolve())
      }),
  }
  backends.add(b)
  return b
}

afterEach(async () => {
  closeH2Sessions()
  destroyAgents()
  await stopEngines()
  await Promise.all([...backends].map((b) => b.close()))
  backends.clear()
})

describe('HTTP/2 to the backends (pool protocol h2)', () => {
  it('HTTP/1.1 clients over a few multiplexed sessions: streams below the per-session cap, sessions up to their cap', async () => {
    const b = await h2Backend('h2a')
    const engine = await engineFrom({
      admin: ADMIN,
      listeners: [httpListener([{ pool: 'app' }])],
      pools: { app: poolOf([{ id: b.id, port: b.port }], { protocol: 'h2', http2: { maxStreamsPerSession: 4, maxSessionsPerBackend: 2 } }) },
    })
    const a = listenerAddress(engine, 'web')
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => send(a, `/r/${i}`, { method: 'POST', body: `body-${i}` })))
    expect(replies.every((r) => r.status === 200)).toBe(true)
    const echo = JSON.parse(replies[5]!.text) as { path: string; authority: string; bodyBytes: number; headers: Record<string, string> }
    expect(echo.path).toBe('/r/5')
    expect(echo.authority).toBe(`${a.host}:${a.port}`)
    expect(echo.bodyBytes).toBe('body-5'.length)
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1')
    // 24 concurrent requests, 2 sessions of 4 streams each: never more than 8 at once, on 2 sessions.
    expect(b.seen.streams).toBe(24)
    expect(b.seen.sessions).toBe(2)
    expect(b.seen.maxConcurrent).toBeLessThanOrEqual(8)
    expect(b.seen.maxConcurrent).toBeGreaterThan(1)
    const stats = await admin<{ pools: { backends: { id: string; http2: { sessions: { active: number; total: number }; streamsActive: number }; requests: number }[] }[] }>(engine, '/stats')
    const st = stats.body.pools[0]!.backends[0]!
    expect(st.requests).toBe(24)
    expect(st.http2).toEqual({ sessions: { active: 2, total: 2 }, streamsActive: 0 })
    const metrics = await fetch(`http://${engine.admin!.host}:${engine.admin!.port}/metrics`).then((r) => r.text())
    expect(metrics).toMatch(/layerbench_backend_http2_sessions_active\{[^}]*backend="h2a"[^}]*\} 2/)
    expect(metrics).toMatch(/layerbench_backend_http2_sessions_total\{[^}]*backend="h2a"[^}]*\} 2/)
  })

  it('the backend’s own SETTINGS_MAX_CONCURRENT_STREAMS bounds a session below the configured cap', async () => {
    const b = await h2Backend('h2a', undefined, { maxConcurrentStreams: 2 })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([{ id: b.id, port: b.port }], { protocol: 'h2', http2: { maxStreamsPerSession: 100, maxSessionsPerBackend: 1 } }) } })
    const a = listenerAddress(engine, 'web')
    // Wait for the session (and the backend's SETTINGS) first, so the limit is known when the burst comes.
    expect((await send(a, '/warm')).status).toBe(200)
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => send(a, `/r/${i}`)))
    expect(replies.every((r) => r.status === 200)).toBe(true)
    expect(b.seen.sessions).toBe(1)
    expect(b.seen.maxConcurrent).toBeLessThanOrEqual(2)
  })

  it('sessions are retired after maxRequestsPerSession (GOAWAY once their streams are over) and a fresh one takes over', async () => {
    const b = await h2Backend('h2a')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([{ id: b.id, port: b.port }], { protocol: 'h2', http2: { maxRequestsPerSession: 5 } }) } })
    const a = listenerAddress(engine, 'web')
    const agent = keepAliveAgent()
    for (let i = 0; i < 20; i++) expect((await send(a, `/s/${i}`, { agent })).status).toBe(200)
    expect(b.seen.streams).toBe(20)
    expect(b.seen.sessions).toBe(4)
  })

  it('HTTP/2 clients to HTTP/2 backends: per-stream picks across backends, chunked HTTP/1.1 semantics never leak', async () => {
    const bs = await Promise.all(['x', 'y'].map((id) => h2Backend(id)))
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf(bs.map((b) => ({ id: b.id, port: b.port })), { protocol: 'h2' }) } })
    const a = listenerAddress(engine, 'web')
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => h2Request(session, `/m/${i}`, { method: 'POST', body: 'z'.repeat(i) })))
    expect(replies.every((r) => r.status === 200 && r.headers['transfer-encoding'] === undefined)).toBe(true)
    expect(countBy(replies.map((r) => r.headers['x-backend']))).toEqual(new Map([['x', 20], ['y', 20]]))
    expect((JSON.parse(replies[9]!.text) as { bodyBytes: number }).bodyBytes).toBe(9)
  })

  it('a backend that cannot be reached is a 502 (connect failure, retried on the other backend)', async () => {
    const b = await h2Backend('live')
    const dead = await h2Backend('dead')
    await dead.close()
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([{ id: 'dead', port: dead.port }, { id: b.id, port: b.port }], { protocol: 'h2' }) } })
    const a = listenerAddress(engine, 'web')
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => send(a, `/d/${i}`)))
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(replies.every((r) => r.headers['x-backend'] === 'live')).toBe(true)
  })
})
