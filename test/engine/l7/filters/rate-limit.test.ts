import { afterEach, describe, expect, it } from 'vitest'
import type { FilterAnswer, FilterContext } from '../../../../engine/l7/filters/filter.js'
import { rateLimitSchema } from '../../../../engine/l7/filters/filter-config.js'
import { rateLimitFilter } from '../../../../engine/l7/filters/rate-limit.js'
import { parseLbConfig } from '../../../../engine/config/load-lb-config.js'
import type { EngineError } from '../../../../engine/errors.js'
import { SignJWT, type JWTPayload } from 'jose'
import { fullBucket, takeToken } from '../../../../engine/l7/filters/token-bucket.js'
import { admin, engineFrom, listenerAddress, stopEngines } from '../../../helpers/engine.js'
import { closeServers, httpBackend } from '../../../helpers/test-servers.js'
import { ADMIN, destroyAgents, httpListener, poolOf, send } from '../clients.js'
import { filterConformance } from './conformance.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

describe('token bucket arithmetic (injected time)', () => {
  // rate 2/s, burst 3: three at once from idle, then one every 500 ms.
  const shape = { ratePerS: 2, burst: 3 }
  it.each([
    // [ms of each request], expected allowed pattern
    [[0, 0, 0, 0], 'AAAL'],
    [[0, 0, 0, 499, 500], 'AAALA'],
    [[0, 0, 0, 1000, 1000, 1000], 'AAAAAL'],
    [[0, 10_000, 10_000, 10_000, 10_000], 'AAAAL'],
  ] as const)('requests at %j ms → %s', (times, pattern) => {
    const state = fullBucket(shape, 0)
    expect(times.map((t) => (takeToken(state, shape, t).allowed ? 'A' : 'L')).join('')).toBe(pattern)
  })

  it('says when the next token comes and when the bucket is full again', () => {
    const state = fullBucket(shape, 0)
    for (let i = 0; i < 3; i++) takeToken(state, shape, 0)
    const r = takeToken(state, shape, 100)
    expect(r.allowed).toBe(false)
    expect(r.remaining).toBe(0)
    expect(r.retryAfterMs).toBe(400)
    expect(r.resetMs).toBe(1400)
  })

  it('a clock going backwards neither adds nor removes tokens', () => {
    const state = fullBucket(shape, 1000)
    takeToken(state, shape, 1000)
    const before = state.tokens
    takeToken(state, shape, 500)
    expect(state.tokens).toBeCloseTo(before - 1, 9)
  })
})

describe('rate-limit filter, unit', () => {
  let now = 0
  const env = { nowMs: () => now, wallMs: () => 0, requestId: () => 'id' }
  const ctx = (address: string, headers: Record<string, string> = {}) =>
    ({ client: { address, port: 1, localAddress: '127.0.0.1', localPort: 80 }, request: { get: (n: string) => headers[n] }, decisions: undefined }) as unknown as FilterContext
  const make = (c: Record<string, unknown>) => rateLimitFilter(rateLimitSchema.parse({ type: 'rate-limit', ...c }), env)

  it('answers 429 with Retry-After and RateLimit-* once a key is over; other keys are untouched', () => {
    now = 0
    const f = make({ ratePerS: 1, burst: 2 })
    const a = ctx('10.0.0.1')
    expect(f.onRequest!(a)).toBeUndefined()
    expect(f.onRequest!(a)).toBeUndefined()
    now = 250
    const limited = f.onRequest!(a) as FilterAnswer
    expect(limited.status).toBe(429)
    const h = Object.fromEntries(limited.headers!.map((x) => [x.name, x.value]))
    expect(h).toMatchObject({ 'Retry-After': '1', 'RateLimit-Limit': '2', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2' })
    expect(a.decisions).toEqual({ 'rate-limit': 'limited' })
    expect(f.onRequest!(ctx('10.0.0.2'))).toBeUndefined()
    expect(f.stats!()).toEqual({ counters: { allowed: 3, limited: 1, evicted: 0 }, gauges: { keys: 2 } })
  })

  it('keys by a header; requests without it share one bucket', () => {
    now = 0
    const f = make({ ratePerS: 1, burst: 1, key: { source: 'header', name: 'X-Api-Key' } })
    expect(f.onRequest!(ctx('a', { 'x-api-key': 'k1' }))).toBeUndefined()
    expect(f.onRequest!(ctx('b', { 'x-api-key': 'k1' }))).toMatchObject({ status: 429 })
    expect(f.onRequest!(ctx('c', { 'x-api-key': 'k2' }))).toBeUndefined()
    expect(f.onRequest!(ctx('d'))).toBeUndefined()
    expect(f.onRequest!(ctx('e'))).toMatchObject({ status: 429 })
  })

  it('keys by identity (what auth recorded); requests without one share one bucket', () => {
    now = 0
    const f = make({ ratePerS: 1, burst: 1, key: { source: 'identity' } })
    const as = (identity: string | undefined) => ({ ...ctx('10.0.0.1'), identity }) as FilterContext
    expect(f.onRequest!(as('sub:alice'))).toBeUndefined()
    expect(f.onRequest!(as('sub:alice'))).toMatchObject({ status: 429 })
    expect(f.onRequest!(as('sub:bob'))).toBeUndefined()
    expect(f.onRequest!(as('key:abc'))).toBeUndefined()
    expect(f.onRequest!(as(undefined))).toBeUndefined()
    expect(f.onRequest!(as(undefined))).toMatchObject({ status: 429 })
    expect(f.stats!().gauges).toEqual({ keys: 4 })
  })

  it('a full key table forgets the key idle longest, and counts it', () => {
    now = 0
    const f = make({ ratePerS: 1, burst: 1, maxKeys: 2 })
    f.onRequest!(ctx('a'))
    f.onRequest!(ctx('b'))
    f.onRequest!(ctx('c')) // forgets a
    expect(f.stats!()).toEqual({ counters: { allowed: 3, limited: 0, evicted: 1 }, gauges: { keys: 2 } })
    // a starts over with a full bucket; c, still tracked, is over.
    expect(f.onRequest!(ctx('a'))).toBeUndefined()
    expect(f.onRequest!(ctx('c'))).toMatchObject({ status: 429 })
  })

  it('configuration is strict', () => {
    expect(() => rateLimitSchema.parse({ type: 'rate-limit' })).toThrow()
    expect(() => rateLimitSchema.parse({ type: 'rate-limit', ratePerS: 1, key: { source: 'header' } })).toThrow()
    expect(() => rateLimitSchema.parse({ type: 'rate-limit', ratePerS: 1, brust: 2 })).toThrow()
    expect(rateLimitSchema.parse({ type: 'rate-limit', ratePerS: 5 }).key).toEqual({ source: 'source-ip' })
  })
})

filterConformance('rate-limit', () => rateLimitFilter(rateLimitSchema.parse({ type: 'rate-limit', ratePerS: 1000, burst: 1000 }), { nowMs: () => 0, wallMs: () => 0, requestId: () => 'id' }))

describe('rate-limit through the engine', () => {
  it('keyed by identity: each JWT subject and each API key has its own bucket, whatever address it comes from', async () => {
    const backend = await httpBackend('b')
    const secret = 'a-shared-secret-of-at-least-32-characters'
    const engine = await engineFrom({
      listeners: [
        httpListener([{ pool: 'app' }], {
          filters: [
            { type: 'auth', jwt: { keys: [{ alg: 'HS256', secret }] }, apiKeys: { keys: ['key-one-0123456789abc', 'key-two-0123456789abc'] } },
            { type: 'rate-limit', ratePerS: 0.1, burst: 2, key: { source: 'identity' } },
          ],
        }),
      ],
      pools: { app: poolOf([backend]) },
    })
    const address = listenerAddress(engine, 'web')
    const exp = Math.floor(Date.now() / 1000) + 600
    const token = (claims: JWTPayload) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
    const as = async (headers: Record<string, string>, n: number) => {
      const out: number[] = []
      for (let i = 0; i < n; i++) out.push((await send(address, '/', { headers })).status)
      return out
    }
    const alice = { authorization: `Bearer ${await token({ sub: 'alice', exp })}` }
    expect(await as(alice, 3)).toEqual([200, 200, 429])
    // A second token for the same subject shares alice's bucket.
    expect(await as({ authorization: `Bearer ${await token({ sub: 'alice', exp, jti: 'other' })}` }, 1)).toEqual([429])
    expect(await as({ authorization: `Bearer ${await token({ sub: 'bob', exp })}` }, 3)).toEqual([200, 200, 429])
    expect(await as({ 'x-api-key': 'key-one-0123456789abc' }, 3)).toEqual([200, 200, 429])
    expect(await as({ 'x-api-key': 'key-two-0123456789abc' }, 1)).toEqual([200])
    // Tokens without a subject: one shared bucket.
    expect(await as({ authorization: `Bearer ${await token({ exp })}` }, 3)).toEqual([200, 200, 429])
    expect(backend.seen.requests).toBe(9)
  })

  it('an identity key without an auth filter before it is a configuration error, with its path', () => {
    const limit = { type: 'rate-limit', ratePerS: 1, key: { source: 'identity' } }
    const auth = { type: 'auth', apiKeys: { keys: ['key-one-0123456789abc'] } }
    const config = (listener: unknown[], route: unknown[]) => ({ listeners: [httpListener([{ name: 'r', pool: 'app', filters: route }], { filters: listener })], pools: { app: { backends: [{ id: 'b', host: '127.0.0.1', port: 1 }] } } })
    const problems = (c: unknown) => {
      try {
        parseLbConfig(c, 'test')
        return []
      } catch (e) {
        return (e as EngineError).issues.map((d) => d.path)
      }
    }
    expect(problems(config([limit], []))).toEqual(['listeners[0].filters[0]'])
    expect(problems(config([limit, auth], []))).toEqual(['listeners[0].filters[0]'])
    expect(problems(config([], [limit]))).toEqual(['listeners[0].routes[0].filters[0]'])
    expect(problems(config([auth, limit], []))).toEqual([])
    expect(problems(config([auth], [limit]))).toEqual([])
    expect(problems(config([limit], [auth]))).toEqual(['listeners[0].filters[0]'])
  })

  it('a key over its burst gets 429s that never reach the backend; another key is served; counted in /stats and /metrics', async () => {
    const backend = await httpBackend('b')
    // 0.1 per second: no token comes back while the test runs, however slow the host.
    const limit = { type: 'rate-limit', ratePerS: 0.1, burst: 3, key: { source: 'header', name: 'x-api-key' } }
    const engine = await engineFrom({
      admin: ADMIN,
      listeners: [
        httpListener(
          [
            { name: 'a', match: { path: { prefix: '/a' } }, pool: 'app' },
            { name: 'b', match: { path: { prefix: '/b' } }, pool: 'app' },
            { name: 'own', match: { path: { prefix: '/own' } }, pool: 'app', filters: [{ ...limit, burst: 1 }] },
          ],
          { filters: [limit] },
        ),
      ],
      pools: { app: poolOf([backend]) },
    })
    const address = listenerAddress(engine, 'web')
    const key = (k: string) => ({ headers: { 'x-api-key': k } })
    // Routes inheriting the listener's entry share its table: 2 on /a and 1 on /b use up k1's burst.
    const statuses = [await send(address, '/a', key('k1')), await send(address, '/a', key('k1')), await send(address, '/b', key('k1'))].map((r) => r.status)
    expect(statuses).toEqual([200, 200, 200])
    const limited = await send(address, '/b', key('k1'))
    expect(limited.status).toBe(429)
    expect(limited.headers['retry-after']).toBe('10')
    expect(limited.headers['ratelimit-limit']).toBe('3')
    expect(limited.headers['ratelimit-remaining']).toBe('0')
    expect((await send(address, '/a', key('k2'))).status).toBe(200)
    // A route's own entry has its own table.
    expect((await send(address, '/own', key('k1'))).status).toBe(200)
    expect((await send(address, '/own', key('k1'))).status).toBe(429)
    expect(backend.seen.requests).toBe(5)
    const web = engine.stats().listeners[0]!
    expect(web.filters).toEqual([
      { name: 'rate-limit', route: '*', counters: { allowed: 4, limited: 1, evicted: 0 }, gauges: { keys: 2 } },
      { name: 'rate-limit', route: 'own', counters: { allowed: 1, limited: 1, evicted: 0 }, gauges: { keys: 1 } },
    ])
    expect(web.responses['4xx']).toBe(2)
    const metrics = (await admin<string>(engine, '/metrics')).body
    expect(metrics).toContain('layerbench_listener_filter_events_total{listener="web",protocol="http",layer="7",filter="rate-limit",route="*",event="limited"} 1')
  })
})
