import { randomBytes } from 'node:crypto'
import http from 'node:http'
import zlib from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import type { HttpHeader } from '../../../../engine/http/http-head.js'
import { compressFilter } from '../../../../engine/l7/filters/compress.js'
import type { FilterContext } from '../../../../engine/l7/filters/filter.js'
import { compressSchema } from '../../../../engine/l7/filters/filter-config.js'
import { admin, engineFrom, eventually, listenerAddress, stopEngines } from '../../../helpers/engine.js'
import { closeServers, httpBackend } from '../../../helpers/test-servers.js'
import { ADMIN, destroyAgents, httpListener, keepAliveAgent, poolOf, RawClient, send } from '../clients.js'
import { filterConformance } from './conformance.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const make = (c: Record<string, unknown> = {}) => compressFilter(compressSchema.parse({ type: 'compress', ...c }))
const ctx = (acceptEncoding?: string) => ({ request: { get: (n: string) => (n === 'accept-encoding' ? acceptEncoding : undefined) }, decisions: undefined }) as unknown as FilterContext
const h = (o: Record<string, string>): HttpHeader[] => Object.entries(o).map(([name, value]) => ({ name, value }))
const get = (headers: readonly HttpHeader[], name: string) => headers.filter((x) => x.name.toLowerCase() === name).map((x) => x.value)

describe('compress, unit', () => {
  it('compresses an allowed type for a client that asks, saying so in Content-Encoding and Vary, and weakens a strong ETag', () => {
    const headers = h({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '5000', ETag: '"v1"' })
    const c = ctx('gzip, br')
    const stage = make().onResponseStream!(c, 200, headers, false)
    expect(stage).toBeDefined()
    expect(get(headers, 'content-encoding')).toEqual(['br'])
    expect(get(headers, 'vary')).toEqual(['Accept-Encoding'])
    expect(get(headers, 'etag')).toEqual(['W/"v1"'])
    expect(c.decisions).toEqual({ compress: 'br' })
  })

  it.each([
    ['a type outside the allow-list', 200, { 'Content-Type': 'image/png', 'Content-Length': '5000' }],
    ['no Content-Type', 200, { 'Content-Length': '5000' }],
    ['shorter than minBytes', 200, { 'Content-Type': 'text/html', 'Content-Length': '1023' }],
    ['already encoded', 200, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' }],
    ['already encoded, even as identity', 200, { 'Content-Type': 'text/html', 'Content-Encoding': 'identity' }],
    ['Cache-Control: no-transform', 200, { 'Content-Type': 'text/html', 'Cache-Control': 'public, No-Transform' }],
    ['a partial response', 206, { 'Content-Type': 'text/html', 'Content-Range': 'bytes 0-9/100' }],
  ] as const)('leaves alone %s, without Vary', (_what, status, fields) => {
    const headers = h(fields)
    const before = [...headers]
    const f = make()
    expect(f.onResponseStream!(ctx('gzip'), status, headers, false)).toBeUndefined()
    expect(headers).toEqual(before)
    expect(f.stats!().counters).toMatchObject({ skipped: 1 })
  })

  it('a client asking for no coding gets identity, but Vary still says the response depends on it', () => {
    const headers = h({ 'Content-Type': 'text/html', Vary: 'Cookie' })
    const f = make()
    expect(f.onResponseStream!(ctx(undefined), 200, headers, false)).toBeUndefined()
    expect(get(headers, 'vary')).toEqual(['Cookie, Accept-Encoding'])
    expect(get(headers, 'content-encoding')).toEqual([])
    const again = h({ 'Content-Type': 'text/html', Vary: 'accept-encoding' })
    f.onResponseStream!(ctx('identity'), 200, again, false)
    expect(get(again, 'vary')).toEqual(['accept-encoding'])
    expect(f.stats!().counters).toMatchObject({ identity: 2, gzip: 0, br: 0 })
  })

  it('types by exact name and by range; the configured order breaks ties', () => {
    const f = make({ contentTypes: ['text/*', 'application/x-ndjson'], algorithms: ['gzip', 'br'] })
    expect(f.onResponseStream!(ctx('br, gzip'), 200, h({ 'Content-Type': 'TEXT/CSV' }), false)).toBeDefined()
    const nd = h({ 'Content-Type': 'application/x-ndjson' })
    expect(f.onResponseStream!(ctx('br, gzip'), 200, nd, false)).toBeDefined()
    expect(get(nd, 'content-encoding')).toEqual(['gzip'])
    expect(f.onResponseStream!(ctx('gzip'), 200, h({ 'Content-Type': 'application/json' }), false)).toBeUndefined()
  })

  it('configuration is strict', () => {
    expect(() => compressSchema.parse({ type: 'compress', level: 3 })).toThrow()
    expect(() => compressSchema.parse({ type: 'compress', algorithms: ['deflate'] })).toThrow()
    expect(() => compressSchema.parse({ type: 'compress', algorithms: ['gzip', 'gzip'] })).toThrow()
    expect(() => compressSchema.parse({ type: 'compress', levels: { gzip: 10 } })).toThrow()
    expect(() => compressSchema.parse({ type: 'compress', contentTypes: ['json'] })).toThrow()
    expect(compressSchema.parse({ type: 'compress' })).toMatchObject({ algorithms: ['br', 'gzip'], minBytes: 1024, levels: { gzip: 6, br: 4 } })
  })
})

filterConformance('compress', () => make())

/** A JSON-like body that compresses well. */
const jsonBody = (n: number) => Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 3 === 0 }))))

/** Sends a request and returns the raw (still encoded) body with the head. */
function fetchRaw(address: { host: string; port: number }, path: string, headers: Record<string, string>, method = 'GET', agent: http.Agent | false = false) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request({ ...address, path, method, headers, agent }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('compress through the engine', () => {
  async function setUp(filter: Record<string, unknown> = { type: 'compress' }) {
    const big = jsonBody(20_000)
    const backend = await httpBackend('b', (req, res) => {
      const url = req.url ?? ''
      if (url === '/length') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': big.length, etag: '"e1"' })
        res.end(big)
      } else if (url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/html' })
        for (let o = 0; o < big.length; o += 10_000) res.write(big.subarray(o, o + 10_000))
        res.end()
      } else if (url === '/encoded') {
        const gz = zlib.gzipSync(big)
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length })
        res.end(gz)
      } else if (url === '/empty') {
        res.writeHead(204)
        res.end()
      } else return false
      return true
    })
    const engine = await engineFrom({ admin: ADMIN, listeners: [httpListener([{ pool: 'app' }], { filters: [filter] })], pools: { app: poolOf([backend]) } })
    return { big, backend, engine, address: listenerAddress(engine, 'web') }
  }

  it.each([
    ['gzip', '/length', zlib.gunzipSync],
    ['br', '/length', zlib.brotliDecompressSync],
    ['gzip', '/chunked', zlib.gunzipSync],
    ['br', '/chunked', zlib.brotliDecompressSync],
  ] as const)('%s of a %s body: re-framed chunked, and decompresses to the backend’s bytes', async (coding, path, decompress) => {
    const { big, address } = await setUp()
    const r = await fetchRaw(address, path, { 'accept-encoding': coding })
    expect(r.status).toBe(200)
    expect(r.headers['content-encoding']).toBe(coding)
    expect(r.headers['vary']).toBe('Accept-Encoding')
    expect(r.headers['content-length']).toBeUndefined()
    expect(r.headers['transfer-encoding']).toBe('chunked')
    expect(r.body.length).toBeLessThan(big.length / 3)
    expect(decompress(r.body).equals(big)).toBe(true)
  })

  it('passes untouched what it must not compress: an encoded body, a client that asks for none, HEAD, 204', async () => {
    const { big, address, engine } = await setUp()
    const encoded = await fetchRaw(address, '/encoded', { 'accept-encoding': 'gzip, br' })
    expect(encoded.headers['content-encoding']).toBe('gzip')
    expect(Number(encoded.headers['content-length'])).toBe(encoded.body.length)
    expect(zlib.gunzipSync(encoded.body).equals(big)).toBe(true)
    const plain = await fetchRaw(address, '/length', {})
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.headers['vary']).toBe('Accept-Encoding')
    expect(plain.body.equals(big)).toBe(true)
    const head = await fetchRaw(address, '/length', { 'accept-encoding': 'gzip' }, 'HEAD')
    expect(head.headers['content-encoding']).toBeUndefined()
    expect(head.body.length).toBe(0)
    const empty = await fetchRaw(address, '/empty', { 'accept-encoding': 'gzip' })
    expect(empty.status).toBe(204)
    expect(empty.headers['content-encoding']).toBeUndefined()
    // The echo is JSON below minBytes: as it came.
    const small = await send(address, '/small', { headers: { 'accept-encoding': 'gzip' } })
    expect(small.headers['content-encoding']).toBeUndefined()
    expect(small.echo().url).toBe('/small')
    const web = engine.stats().listeners[0]!
    expect(web.filters![0]!.counters).toMatchObject({ gzip: 0, identity: 1 })
    expect(web.filters![0]!.counters['skipped']).toBeGreaterThanOrEqual(2)
  })

  it('keeps a kept-alive connection going across compressed responses, and counts bytes in /stats and /metrics', async () => {
    const { big, address, engine } = await setUp()
    const agent = keepAliveAgent()
    for (const coding of ['gzip', 'br', 'gzip'] as const) {
      const r = await fetchRaw(address, '/chunked', { 'accept-encoding': coding }, 'GET', agent)
      expect((coding === 'gzip' ? zlib.gunzipSync(r.body) : zlib.brotliDecompressSync(r.body)).equals(big)).toBe(true)
    }
    const web = engine.stats().listeners[0]!
    expect(web.connections.total).toBe(1)
    const counters = web.filters![0]!.counters
    expect(counters).toMatchObject({ gzip: 2, br: 1, inBytes: 3 * big.length })
    expect(counters['outBytes']).toBeLessThan(big.length)
    const metrics = (await admin<string>(engine, '/metrics')).body
    expect(metrics).toContain(`layerbench_listener_filter_bytes_total{listener="web",protocol="http",layer="7",filter="compress",route="*",what="in"} ${3 * big.length}`)
    expect(metrics).toContain('filter="compress",route="*",event="gzip"} 2')
  })

  it('an HTTP/1.0 client gets the compressed body delimited by the connection’s close', async () => {
    const { big, address } = await setUp()
    const c = await RawClient.connect(address.port, address.host)
    c.socket.write('GET /length HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n')
    await c.closed
    const raw = c.received
    const at = raw.indexOf('\r\n\r\n')
    const head = raw.toString('latin1', 0, at).toLowerCase()
    expect(head).toContain('content-encoding: gzip')
    expect(head).not.toContain('transfer-encoding')
    expect(head).not.toContain('content-length')
    expect(zlib.gunzipSync(raw.subarray(at + 4)).equals(big)).toBe(true)
  })

  it('a slow reader holds the backend back: bytes written upstream stop growing far short of the body, then all arrive intact', async () => {
    const total = 64 * 1024 * 1024
    // Random bytes do not compress: what the client does not read stays the size it was.
    const body = randomBytes(total)
    let written = 0
    const backend = await httpBackend('slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      const next = () => {
        while (written < total) {
          const piece = body.subarray(written, written + 64 * 1024)
          written += piece.length
          if (!res.write(piece)) return void res.once('drain', next)
        }
        res.end()
      }
      next()
      return true
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'compress', levels: { gzip: 1 } }] })], pools: { app: poolOf([backend]) } })
    const address = listenerAddress(engine, 'web')
    const parts: Buffer[] = []
    let res!: http.IncomingMessage
    const done = new Promise<void>((resolve, reject) => {
      const req = http.request({ ...address, path: '/', headers: { 'accept-encoding': 'gzip' }, agent: false }, (r) => {
        res = r
        r.pause()
        r.on('data', (c: Buffer) => parts.push(c))
        r.on('end', resolve)
      })
      req.on('error', reject)
      req.end()
    })
    // Not reading: the backend gets as far as the buffers on the way let it, then waits.
    await eventually(() => expect(written).toBeGreaterThan(0))
    let plateau = -1
    await eventually(
      async () => {
        const before = written
        await new Promise((r) => setTimeout(r, 300))
        expect(written).toBe(before)
        plateau = written
      },
      20_000,
      0,
    )
    // Without backpressure the engine would have taken it all (plateau = total), buffering it in memory.
    expect(plateau).toBeLessThan(total / 2)
    res.resume()
    await done
    const out = zlib.gunzipSync(Buffer.concat(parts))
    expect(out.length).toBe(total)
    expect(out.equals(body)).toBe(true)
  }, 60_000)
})
