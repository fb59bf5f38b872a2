import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorBody } from '../../../../engine/l7/error-response.js'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { accessLogFilter, combinedLine } from '../../../../engine/l7/filters/access-log.js'
import { accessLogSchema } from '../../../../engine/l7/filters/filter-config.js'
import type { FilterContext } from '../../../../engine/l7/filters/filter.js'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../../helpers/engine.js'
import { closeServers, httpBackend } from '../../../helpers/test-servers.js'
import { destroyAgents, httpListener, keepAliveAgent, poolOf, RawClient, send } from '../clients.js'
import { filterConformance } from './conformance.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const dir = mkdtempSync(join(tmpdir(), 'layerbench-access-log-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')

describe('access-log, unit', () => {
  it('a combined-format line: the Apache fields, then route, backend, timings and decisions', () => {
    const line = combinedLine({
      time: Date.UTC(2026, 9, 10, 13, 55, 36),
      client: '127.0.0.1',
      method: 'GET',
      target: '/a?b=c',
      version: '1.1',
      status: 429,
      bytes: 0,
      route: 'api',
      backend: undefined,
      referer: undefined,
      userAgent: 'curl/8 "quoted"',
      identity: 'sub:alice',
      headMs: 0.125,
      connectMs: undefined,
      firstByteMs: 0.25,
      totalMs: 0.5,
      decisions: { 'rate-limit': 'limited' },
    })
    expect(line).toBe('127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "GET /a?b=c HTTP/1.1" 429 0 "-" "curl/8 \\"quoted\\"" route=api backend=- identity=sub:alice head_ms=0.125 connect_ms=- first_byte_ms=0.25 total_ms=0.5 rate-limit=limited\n')
  })

  it('a writer behind by more than maxBufferedBytes drops lines and counts them: requests = lines + dropped', async () => {
    const file = join(dir, 'behind.log')
    const f = accessLogFilter(accessLogSchema.parse({ type: 'access-log', destination: { file }, maxBufferedBytes: 4096 }), { nowMs: () => 1, wallMs: () => 0, requestId: () => 'id' })
    const ctx = { client: { address: '127.0.0.1' }, request: { method: 'GET', target: `/${'x'.repeat(100)}`, version: '1.1', get: () => undefined }, headStartedAt: 0, headParsedAt: 0, connectedAt: 0 } as unknown as FilterContext
    // One synchronous burst: the file is not even open yet, so nothing drains meanwhile.
    for (let i = 0; i < 200; i++) f.onDone!(ctx, { status: 200, ok: true, bodyBytes: 0 })
    const { counters } = f.stats!()
    expect(counters.requests).toBe(200)
    expect(counters.dropped).toBeGreaterThan(0)
    expect(counters.lines! + counters.dropped!).toBe(200)
    await eventually(() => expect(lines(file)).toHaveLength(counters.lines!))
  })

  it('close writes out every buffered line; a request ending after it is counted dropped', async () => {
    const file = join(dir, 'closed.log')
    const f = accessLogFilter(accessLogSchema.parse({ type: 'access-log', destination: { file } }), { nowMs: () => 1, wallMs: () => 0, requestId: () => 'id' })
    const ctx = { client: { address: '127.0.0.1' }, request: { method: 'GET', target: '/', version: '1.1', get: () => undefined }, headStartedAt: 0, headParsedAt: 0, connectedAt: 0 } as unknown as FilterContext
    for (let i = 0; i < 1000; i++) f.onDone!(ctx, { status: 200, ok: true, bodyBytes: 0 })
    await f.close!()
    expect(lines(file)).toHaveLength(1000)
    f.onDone!(ctx, { status: 200, ok: true, bodyBytes: 0 })
    expect(f.stats!().counters).toEqual({ requests: 1001, lines: 1000, dropped: 1 })
  })

  it('configuration is strict', () => {
    expect(() => accessLogSchema.parse({ type: 'access-log', format: 'common' })).toThrow()
    expect(() => accessLogSchema.parse({ type: 'access-log', destination: { path: 'x' } })).toThrow()
    expect(accessLogSchema.parse({ type: 'access-log' })).toMatchObject({ format: 'json', destination: 'stdout' })
  })
})

let n = 0
filterConformance('access-log', () => accessLogFilter(accessLogSchema.parse({ type: 'access-log', destination: { file: join(dir, `conformance-${n++}.log`) } }), { nowMs: () => performance.now(), wallMs: () => Date.now(), requestId: () => 'id' }))

describe('access-log through the engine', () => {
  it('one line per request, the engine’s own answers and limited requests included; lines = requests in /stats', async () => {
    const backend = await httpBackend('b1')
    const json = join(dir, 'json.log')
    const combined = join(dir, 'combined.log')
    const engine = await engineFrom({
      listeners: [
        httpListener([{ name: 'api', match: { host: 'api.test' }, pool: 'app' }], {
          filters: [
            { type: 'rate-limit', ratePerS: 0.1, burst: 3, key: { source: 'route' } },
            { type: 'access-log', destination: { file: json } },
            { type: 'access-log', format: 'combined', destination: { file: combined } },
          ],
        }),
      ],
      pools: { app: poolOf([backend]) },
    })
    // Two entries of one type: the route keeps the listener's list as it is.
    const address = listenerAddress(engine, 'web')
    const agent = keepAliveAgent()
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await send(address, `/r/${i}`, { agent, headers: { host: 'api.test', 'user-agent': 'test-client' } })).status)
    statuses.push((await send(address, '/nowhere', { agent, headers: { host: 'other.test' } })).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429, 404])
    await eventually(() => expect(lines(json)).toHaveLength(6))
    await eventually(() => expect(lines(combined)).toHaveLength(6))
    const records = lines(json).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.map((r) => r.status)).toEqual(statuses)
    expect(records[0]).toMatchObject({ method: 'GET', target: '/r/0', route: 'api', backend: 'b1', userAgent: 'test-client', client: '127.0.0.1' })
    expect(records[0]!.bytes).toBeGreaterThan(0)
    for (const k of ['headMs', 'connectMs', 'firstByteMs', 'totalMs'] as const) expect(typeof records[0]![k]).toBe('number')
    expect(records[0]!.headMs as number).toBeGreaterThanOrEqual(0)
    expect(records[0]!.connectMs as number).toBeLessThanOrEqual(records[0]!.firstByteMs as number)
    expect(records[0]!.firstByteMs as number).toBeLessThanOrEqual(records[0]!.totalMs as number)
    expect(records[3]).toMatchObject({ status: 429, decisions: { 'rate-limit': 'limited' } })
    expect(records[3]!.backend).toBeUndefined()
    expect(records[3]!.connectMs, 'answered by a filter: no upstream connection').toBeUndefined()
    // The bytes are those of the body the client got: here the balancer's own 404 text.
    const notFound = errorBody(404, 'LB_ERR_NO_ROUTE', undefined).length
    expect(lines(combined)[5]).toMatch(new RegExp(`^127\\.0\\.0\\.1 - - \\[.+\\] "GET /nowhere HTTP/1\\.1" 404 ${notFound} "-" "-" route=- backend=-`))
    const logs = engine.stats().listeners[0]!.filters!.filter((f) => f.name === 'access-log')
    expect(logs.map((f) => f.counters)).toEqual([
      { requests: 6, lines: 6, dropped: 0 },
      { requests: 6, lines: 6, dropped: 0 },
    ])
  })

  it('the engine’s stop writes the log out: right after it, lines in the file = requests in /stats; the head time runs from the accept', async () => {
    const backend = await httpBackend('b1')
    const file = join(dir, 'stop.log')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'access-log', destination: { file } }] })], pools: { app: poolOf([backend]) } })
    const address = listenerAddress(engine, 'web')
    // A client that connects, waits, then sends: its first head time covers the wait.
    const c = await RawClient.connect(address.port)
    await new Promise((r) => setTimeout(r, 60))
    c.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.responses(1)
    c.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.responses(2)
    const agent = keepAliveAgent()
    await Promise.all(Array.from({ length: 50 }, (_, i) => send(address, `/r/${i}`, { agent })))
    const counters = engine.stats().listeners[0]!.filters!.find((f) => f.name === 'access-log')!.counters
    await engine.stop({ drainMs: 1000 })
    expect(counters).toEqual({ requests: 52, lines: 52, dropped: 0 })
    const records = lines(file).map((l) => JSON.parse(l) as { target: string; headMs: number })
    expect(records).toHaveLength(52)
    const first = records.find((r) => r.target === '/first')!
    const second = records.find((r) => r.target === '/second')!
    // The first head waited ~60 ms after the accept; the second, sent at once in one segment, did not.
    expect(first.headMs).toBeGreaterThanOrEqual(30)
    expect(second.headMs).toBeLessThan(first.headMs)
  })
})
