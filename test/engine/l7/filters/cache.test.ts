import { afterEach, describe, expect, it } from 'vitest'
import type { HttpHeader } from '../../../../engine/http/http-head.js'
import { cacheFilter } from '../../../../engine/l7/filters/cache.js'
import type { Filter, FilterAnswer, FilterContext, BodyTap } from '../../../../engine/l7/filters/filter.js'
import { cacheSchema } from '../../../../engine/l7/filters/filter-config.js'
import { admin, engineFrom, listenerAddress, stopEngines } from '../../../helpers/engine.js'
import { closeServers, httpBackend } from '../../../helpers/test-servers.js'
import { ADMIN, destroyAgents, httpListener, poolOf, send } from '../clients.js'
import { filterConformance } from './conformance.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const T0 = Date.parse('2026-01-01T00:00:00Z')
let now = T0
const env = { nowMs: () => now - T0, wallMs: () => now, requestId: () => 'id' }
const make = (c: Record<string, unknown> = {}) => cacheFilter(cacheSchema.parse({ type: 'cache', ...c }), env)

/** A request head as the filter sees it. */
function ctxOf(target: string, headers: Record<string, string> = {}, method = 'GET'): FilterContext {
  const list: HttpHeader[] = Object.entries({ host: 'shop.test', ...headers }).map(([name, value]) => ({ name, value }))
  const request = { method, target, headers: list, get: (n: string) => list.find((h) => h.name.toLowerCase() === n)?.value }
  return { request, decisions: undefined } as unknown as FilterContext
}

const date = () => new Date(now).toUTCString()

interface Origin {
  readonly status?: number
  readonly headers: Record<string, string>
  readonly body?: string
}

/**
 * One request through the filter's stages as the engine runs them: answered from the cache (its
 * answer), or a miss that the origin answers (the headers the client got). `origin` counts calls.
 */
function request(f: Filter, ctx: FilterContext, origin: Origin, calls: { n: number }): { fromCache?: FilterAnswer; headers: HttpHeader[] } {
  const a = f.onRequest!(ctx)
  if (a instanceof Promise) throw new Error('unexpected wait')
  if (a !== undefined) return { fromCache: a, headers: [...(a.headers ?? [])] }
  calls.n++
  const status = origin.status ?? 200
  const body = origin.body ?? 'x'.repeat(100)
  const headers: HttpHeader[] = Object.entries({ date: date(), 'content-length': String(body.length), ...origin.headers }).map(([name, value]) => ({ name, value }))
  f.onResponseHead!(ctx, status, headers, false)
  const tap = f.onResponseStream!(ctx, status, headers, false) as BodyTap | undefined
  tap?.observe(Buffer.from(body, 'latin1'))
  f.onDone!(ctx, { status, ok: true, bodyBytes: body.length })
  return { headers }
}

const header = (headers: readonly HttpHeader[], name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value

describe('cache, RFC 9111 cases (injected clock)', () => {
  it('max-age: a hit within it, with Age counted from storing, and a miss after it', () => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    const origin = { headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }, body: 'hello' }
    expect(header(request(f, ctxOf('/a'), origin, calls).headers, 'x-cache')).toBe('miss')
    now = T0 + 30_000
    const hit = request(f, ctxOf('/a'), origin, calls)
    expect(hit.fromCache).toMatchObject({ status: 200, body: 'hello' })
    expect(header(hit.headers, 'age')).toBe('30')
    expect(header(hit.headers, 'x-cache')).toBe('hit')
    expect(header(hit.headers, 'content-type')).toBe('text/plain')
    expect(header(hit.headers, 'content-length')).toBeUndefined()
    now = T0 + 61_000
    expect(request(f, ctxOf('/a'), origin, calls).fromCache).toBeUndefined()
    expect(calls.n).toBe(2)
    expect(f.stats!().counters).toMatchObject({ hit: 1, miss: 2, stored: 2 })
  })

  it('an Age from upstream shortens the freshness left (§4.2.3)', () => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    request(f, ctxOf('/a'), { headers: { 'cache-control': 'max-age=60', age: '50' } }, calls)
    now = T0 + 5_000
    expect(header(request(f, ctxOf('/a'), { headers: {} }, calls).headers, 'age')).toBe('55')
    now = T0 + 11_000
    expect(request(f, ctxOf('/a'), { headers: {} }, calls).fromCache).toBeUndefined()
  })

  it('s-maxage governs a shared cache over max-age (§5.2.2.10)', () => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    request(f, ctxOf('/a'), { headers: { 'cache-control': 'max-age=1, s-maxage=100' } }, calls)
    now = T0 + 50_000
    expect(request(f, ctxOf('/a'), { headers: {} }, calls).fromCache).toBeDefined()
  })

  it('Expires against Date; Last-Modified gives a heuristic freshness of a tenth of its age (§4.2.2)', () => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    request(f, ctxOf('/e'), { headers: { expires: new Date(T0 + 20_000).toUTCString() } }, calls)
    request(f, ctxOf('/lm'), { headers: { 'last-modified': new Date(T0 - 100_000).toUTCString() } }, calls)
    now = T0 + 9_000
    expect(request(f, ctxOf('/e'), { headers: {} }, calls).fromCache).toBeDefined()
    expect(request(f, ctxOf('/lm'), { headers: {} }, calls).fromCache).toBeDefined()
    now = T0 + 11_000
    expect(request(f, ctxOf('/lm'), { headers: {} }, calls).fromCache).toBeUndefined()
    expect(request(f, ctxOf('/e'), { headers: {} }, calls).fromCache).toBeDefined()
    now = T0 + 21_000
    expect(request(f, ctxOf('/e'), { headers: {} }, calls).fromCache).toBeUndefined()
  })

  it.each([
    ['no-store', { 'cache-control': 'no-store, max-age=60' }],
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['a cookie set', { 'cache-control': 'max-age=60', 'set-cookie': 'id=1' }],
    ['Vary: *', { 'cache-control': 'max-age=60', vary: '*' }],
    ['no lifetime at all', {}],
    ['max-age=0', { 'cache-control': 'max-age=0' }],
  ] as const)('does not store a response with %s', (_what, headers) => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    request(f, ctxOf('/a'), { headers }, calls)
    expect(request(f, ctxOf('/a'), { headers }, calls).fromCache).toBeUndefined()
    expect(calls.n).toBe(2)
    expect(f.stats!().counters['stored']).toBe(0)
  })

  it('requests with Authorization, and other methods than GET, bypass it both ways', () => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    const origin = { headers: { 'cache-control': 'public, max-age=60' } }
    expect(header(request(f, ctxOf('/a', { authorization: 'Bearer t' }), origin, calls).headers, 'x-cache')).toBe('bypass')
    expect(request(f, ctxOf('/a'), origin, calls).fromCache).toBeUndefined()
    expect(request(f, ctxOf('/a', { authorization: 'Bearer t' }), origin, calls).fromCache).toBeUndefined()
    expect(request(f, ctxOf('/a', {}, 'POST'), origin, calls).fromCache).toBeUndefined()
    expect(request(f, ctxOf('/a'), origin, calls).fromCache).toBeDefined()
    expect(f.stats!().counters).toMatchObject({ bypass: 3, miss: 1, hit: 1 })
  })

  it('Vary keeps variants apart by the request headers it names', () => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    const origin = (lang: string) => ({ headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language', 'content-language': lang }, body: lang })
    request(f, ctxOf('/a', { 'accept-language': 'fr' }), origin('fr'), calls)
    request(f, ctxOf('/a', { 'accept-language': 'de' }), origin('de'), calls)
    expect(request(f, ctxOf('/a', { 'accept-language': 'fr' }), origin('fr'), calls).fromCache?.body).toBe('fr')
    expect(request(f, ctxOf('/a', { 'accept-language': 'de' }), origin('de'), calls).fromCache?.body).toBe('de')
    expect(request(f, ctxOf('/a'), origin(''), calls).fromCache).toBeUndefined()
    expect(calls.n).toBe(3)
  })

  it('a request’s own Cache-Control: no-cache and max-age go to the origin (§5.2.1)', () => {
    now = T0
    const f = make()
    const calls = { n: 0 }
    const origin = { headers: { 'cache-control': 'max-age=600' } }
    request(f, ctxOf('/a'), origin, calls)
    now = T0 + 20_000
    expect(request(f, ctxOf('/a', { 'cache-control': 'no-cache' }), origin, calls).fromCache).toBeUndefined()
    now = T0 + 40_000
    expect(request(f, ctxOf('/a', { 'cache-control': 'max-age=10' }), origin, calls).fromCache).toBeUndefined()
    expect(request(f, ctxOf('/a', { 'cache-control': 'max-age=30' }), origin, calls).fromCache).toBeDefined()
  })

  it('bounded in bytes: the key used least recently goes; a body over maxEntryBytes is not stored', () => {
    now = T0
    const f = make({ maxBytes: 4096, maxEntryBytes: 1500 })
    const calls = { n: 0 }
    const origin = { headers: { 'cache-control': 'max-age=60' }, body: 'y'.repeat(1000) }
    request(f, ctxOf('/1'), origin, calls)
    request(f, ctxOf('/2'), origin, calls)
    request(f, ctxOf('/1'), origin, calls) // /1 is now the most recent
    request(f, ctxOf('/3'), origin, calls) // 3 entries of ~1.5 KB exceed 4 KB: /2 goes
    expect(f.stats!().counters['evicted']).toBe(1)
    expect(f.stats!().gauges!['bytes']).toBeLessThanOrEqual(4096)
    expect(request(f, ctxOf('/1'), origin, calls).fromCache).toBeDefined()
    expect(request(f, ctxOf('/2'), origin, calls).fromCache).toBeUndefined()
    const big = { headers: { 'cache-control': 'max-age=60' }, body: 'z'.repeat(2000) }
    request(f, ctxOf('/big'), big, calls)
    expect(request(f, ctxOf('/big'), big, calls).fromCache).toBeUndefined()
    // Without a Content-Length the body is measured as it passes.
    const ctx = ctxOf('/chunked')
    expect(f.onRequest!(ctx)).toBeUndefined()
    const headers: HttpHeader[] = [{ name: 'cache-control', value: 'max-age=60' }]
    f.onResponseHead!(ctx, 200, headers, false)
    const tap = f.onResponseStream!(ctx, 200, headers, false) as BodyTap
    for (let i = 0; i < 4; i++) tap.observe(Buffer.alloc(500, 'c'))
    f.onDone!(ctx, { status: 200, ok: true, bodyBytes: 0 })
    expect(f.onRequest!(ctxOf('/chunked'))).toBeUndefined()
  })

  it('coalescing: misses on a key in flight wait for it, then are answered from what it stored', async () => {
    now = T0
    const f = make()
    const leader = ctxOf('/hot')
    expect(f.onRequest!(leader)).toBeUndefined()
    const waiting = [f.onRequest!(ctxOf('/hot')), f.onRequest!(ctxOf('/hot'))]
    expect(waiting.every((w) => w instanceof Promise)).toBe(true)
    const headers: HttpHeader[] = [{ name: 'cache-control', value: 'max-age=60' }, { name: 'date', value: date() }]
    f.onResponseHead!(leader, 200, headers, false)
    ;(f.onResponseStream!(leader, 200, headers, false) as BodyTap).observe(Buffer.from('hot'))
    f.onDone!(leader, { status: 200, ok: true, bodyBytes: 0 })
    const answers = await Promise.all(waiting)
    expect(answers.map((a) => a?.body)).toEqual(['hot', 'hot'])
    expect(f.stats!().counters).toMatchObject({ miss: 1, hit: 2, coalesced: 2 })
  })

  it('coalescing: when the first response cannot be stored, those waiting go to the origin each', async () => {
    now = T0
    const f = make()
    const leader = ctxOf('/x')
    f.onRequest!(leader)
    const waiting = f.onRequest!(ctxOf('/x'))
    f.onResponseHead!(leader, 200, [{ name: 'cache-control', value: 'no-store' }], false)
    f.onDone!(leader, { status: 200, ok: true, bodyBytes: 0 })
    expect(await waiting).toBeUndefined()
    expect(f.stats!().counters).toMatchObject({ miss: 2, coalesced: 0 })
  })

  it('an incomplete response is not stored', () => {
    now = T0
    const f = make()
    const ctx = ctxOf('/a')
    f.onRequest!(ctx)
    const headers: HttpHeader[] = [{ name: 'cache-control', value: 'max-age=60' }]
    f.onResponseHead!(ctx, 200, headers, false)
    ;(f.onResponseStream!(ctx, 200, headers, false) as BodyTap).observe(Buffer.from('par'))
    f.onDone!(ctx, { status: 200, ok: false, bodyBytes: 0 })
    expect(f.onRequest!(ctxOf('/a'))).toBeUndefined()
  })

  it('stale-if-error: a stale response answers a failure within the window, not after it, nor with must-revalidate', () => {
    now = T0
    const f = make({ staleIfErrorS: 30 })
    const calls = { n: 0 }
    request(f, ctxOf('/a'), { headers: { 'cache-control': 'max-age=10' }, body: 'old' }, calls)
    request(f, ctxOf('/m'), { headers: { 'cache-control': 'max-age=10, must-revalidate' }, body: 'old' }, calls)
    now = T0 + 20_000
    const stale = f.onUpstreamError!(ctxOf('/a'), 503)
    expect(stale).toMatchObject({ status: 200, body: 'old' })
    expect(header(stale!.headers!, 'x-cache')).toBe('stale')
    expect(header(stale!.headers!, 'age')).toBe('20')
    expect(f.onUpstreamError!(ctxOf('/m'), 503)).toBeUndefined()
    now = T0 + 41_000
    expect(f.onUpstreamError!(ctxOf('/a'), 503)).toBeUndefined()
    expect(make().onUpstreamError!(ctxOf('/a'), 503)).toBeUndefined()
  })

  it('configuration is strict', () => {
    expect(() => cacheSchema.parse({ type: 'cache', size: 10 })).toThrow()
    expect(() => cacheSchema.parse({ type: 'cache', maxBytes: 2048, maxEntryBytes: 4096 })).toThrow()
    expect(cacheSchema.parse({ type: 'cache' })).toMatchObject({ maxBytes: 64 << 20, maxEntryBytes: 1 << 20, coalesce: true, staleIfErrorS: 0 })
  })
})

filterConformance('cache', () => make(), { passing: { path: '/never-stored' } })

describe('cache through the engine', () => {
  async function setUp(cache: Record<string, unknown> = {}, delayMs = 0) {
    const backend = await httpBackend('b', (req, res) => {
      const url = req.url ?? ''
      if (!url.startsWith('/c/')) return false
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': url.startsWith('/c/short') ? 'max-age=1' : 'max-age=60', vary: 'Accept-Language' })
        res.end(`${url} for ${req.headers['accept-language'] ?? '-'}`)
      }
      if (delayMs > 0) setTimeout(answer, delayMs)
      else answer()
      return true
    })
    const engine = await engineFrom({ admin: ADMIN, listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'cache', ...cache }] })], pools: { app: poolOf([backend]) } })
    return { backend, engine, address: listenerAddress(engine, 'web') }
  }

  it('answers a hit without the backend, with Age and x-cache; Vary and Authorization are honoured; counted in /stats and /metrics', async () => {
    const { backend, engine, address } = await setUp()
    const first = await send(address, '/c/1', { headers: { 'accept-language': 'fr' } })
    expect(first.headers['x-cache']).toBe('miss')
    const hit = await send(address, '/c/1', { headers: { 'accept-language': 'fr' } })
    expect(hit.headers['x-cache']).toBe('hit')
    expect(hit.text).toBe('/c/1 for fr')
    expect(hit.headers['age']).toMatch(/^\d+$/)
    expect(hit.headers['x-backend']).toBe('b')
    expect(backend.seen.requests).toBe(1)
    expect((await send(address, '/c/1', { headers: { 'accept-language': 'de' } })).text).toBe('/c/1 for de')
    const authed = await send(address, '/c/1', { headers: { 'accept-language': 'fr', authorization: 'Bearer x' } })
    expect(authed.headers['x-cache']).toBe('bypass')
    expect(backend.seen.requests).toBe(3)
    const web = engine.stats().listeners[0]!
    expect(web.filters).toEqual([{ name: 'cache', route: '*', counters: { hit: 1, miss: 2, bypass: 1, stale: 0, coalesced: 0, stored: 2, evicted: 0 }, gauges: { entries: 1, bytes: expect.any(Number) } }])
    const metrics = (await admin<string>(engine, '/metrics')).body
    expect(metrics).toContain('layerbench_listener_filter_events_total{listener="web",protocol="http",layer="7",filter="cache",route="*",event="hit"} 1')
    expect(metrics).toContain('filter="cache",route="*",what="entries"} 1')
  })

  it('configured on one route, it caches that route only', async () => {
    const backend = await httpBackend('b', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' })
      res.end(req.url)
      return true
    })
    const routes = [{ name: 'cached', match: { path: { prefix: '/cached/' } }, pool: 'app', filters: [{ type: 'cache' }] }, { pool: 'app' }]
    const engine = await engineFrom({ listeners: [httpListener(routes)], pools: { app: poolOf([backend]) } })
    const address = listenerAddress(engine, 'web')
    for (let i = 0; i < 3; i++) await send(address, '/cached/a')
    for (let i = 0; i < 3; i++) expect((await send(address, '/plain')).headers['x-cache']).toBeUndefined()
    expect(backend.seen.requests).toBe(4)
    expect(engine.stats().listeners[0]!.filters).toEqual([expect.objectContaining({ name: 'cache', route: 'cached', counters: expect.objectContaining({ hit: 2, miss: 1 }) })])
  })

  it('coalesces concurrent misses: one backend request for twenty clients', async () => {
    const { backend, engine, address } = await setUp({}, 300)
    const replies = await Promise.all(Array.from({ length: 20 }, () => send(address, '/c/hot')))
    expect(replies.every((r) => r.status === 200 && r.text === '/c/hot for -')).toBe(true)
    expect(backend.seen.requests).toBe(1)
    expect(replies.filter((r) => r.headers['x-cache'] === 'miss')).toHaveLength(1)
    expect(replies.filter((r) => r.headers['x-cache'] === 'hit')).toHaveLength(19)
    expect(engine.stats().listeners[0]!.filters![0]!.counters).toMatchObject({ miss: 1, hit: 19, coalesced: 19 })
  })

  it('without coalescing, each concurrent miss goes to the backend', async () => {
    const { backend, address } = await setUp({ coalesce: false }, 300)
    await Promise.all(Array.from({ length: 5 }, () => send(address, '/c/hot')))
    expect(backend.seen.requests).toBe(5)
  })

  it('a hit is compressed by a compress filter after it; stored identity, so each client gets what it asks for', async () => {
    const backend = await httpBackend('b', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' })
      res.end('z'.repeat(5000))
      return true
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'cache' }, { type: 'compress' }] })], pools: { app: poolOf([backend]) } })
    const address = listenerAddress(engine, 'web')
    const miss = await send(address, '/', { headers: { 'accept-encoding': 'gzip' } })
    expect(miss.headers['content-encoding']).toBe('gzip')
    const hit = await send(address, '/', { headers: { 'accept-encoding': 'gzip' } })
    expect(hit.headers['x-cache']).toBe('hit')
    expect(hit.headers['content-encoding']).toBe('gzip')
    const { gunzipSync } = await import('node:zlib')
    expect(gunzipSync(hit.body).toString()).toBe('z'.repeat(5000))
    const plain = await send(address, '/')
    expect(plain.headers['x-cache']).toBe('hit')
    expect(plain.text).toBe('z'.repeat(5000))
    expect(backend.seen.requests).toBe(1)
  })

  it('stale-if-error: once the backend is gone, the stale response answers with x-cache: stale', async () => {
    const backend = await httpBackend('b', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=1' })
      res.end('kept')
      return true
    })
    const port = backend.port
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'cache', staleIfErrorS: 600 }] })], pools: { app: poolOf([{ id: 'b', port }], { retries: { attempts: 0 } }) } })
    const address = listenerAddress(engine, 'web')
    expect((await send(address, '/')).headers['x-cache']).toBe('miss')
    await backend.close()
    // Past max-age=1: stale, and the backend refuses connections.
    await new Promise((r) => setTimeout(r, 1100))
    const r = await send(address, '/')
    expect(r.status).toBe(200)
    expect(r.text).toBe('kept')
    expect(r.headers['x-cache']).toBe('stale')
    expect(engine.stats().listeners[0]!.filters![0]!.counters).toMatchObject({ stale: 1 })
  })
})
