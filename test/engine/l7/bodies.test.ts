import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend, tcpServer } from '../../helpers/test-servers.js'
import { destroyAgents, httpListener, keepAliveAgent, poolOf, RawClient, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const FIVE_MB = 5 * 1024 * 1024

async function proxied(handler?: Parameters<typeof httpBackend>[1]) {
  const backend = await httpBackend('b1', handler)
  const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } })
  return { backend, address: listenerAddress(engine, 'web') }
}

/** A backend answering with the SHA-256, size and framing of the request body it received. */
const digestHandler: Parameters<typeof httpBackend>[1] = (req, res, body) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ sha256: sha256(body), bytes: body.length, te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null }))
  return true
}

/** Streams `payload` as a request in 64 KiB writes; `chunked` leaves out Content-Length. */
function upload(address: { host: string; port: number }, payload: Buffer, chunked: boolean): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: address.host, port: address.port, path: '/upload', method: 'POST', agent: false, headers: chunked ? {} : { 'content-length': payload.length } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }))
      },
    )
    req.on('error', reject)
    const step = 64 * 1024
    let at = 0
    const pump = () => {
      while (at < payload.length) {
        const ok = req.write(payload.subarray(at, at + step))
        at += step
        if (!ok) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

describe('request bodies', () => {
  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])('a 5 MB %s upload arrives intact', async (_, chunked) => {
    const { address } = await proxied(digestHandler)
    const payload = randomBytes(FIVE_MB)
    const r = await upload(address, payload, chunked)
    expect(r.status).toBe(200)
    expect(r.json.sha256).toBe(sha256(payload))
    expect(r.json.bytes).toBe(FIVE_MB)
    expect(r.json.te).toBe(chunked ? 'chunked' : null)
    expect(r.json.cl).toBe(chunked ? null : String(FIVE_MB))
  })

  it('is streamed: the backend sees the first part before the client sends the rest', async () => {
    let sawFirst: () => void = () => {}
    const firstSeen = new Promise<void>((r) => (sawFirst = r))
    const backend = await httpBackend('b1')
    backend.server.removeAllListeners('request')
    backend.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => {
        chunks.push(c)
        if (Buffer.concat(chunks).includes('first-part')) sawFirst()
      })
      req.on('end', () => res.end(Buffer.concat(chunks)))
    })
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } })
    const client = await RawClient.connect(listenerAddress(engine, 'web').port)
    client.write('POST /s HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\na\r\nfirst-part\r\n')
    await firstSeen
    client.write('b\r\nsecond-part\r\n0\r\n\r\n')
    const [r] = await client.responses(1)
    expect(r!.body.toString()).toBe('first-partsecond-part')
    client.destroy()
  })
})

describe('response bodies', () => {
  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])('a 5 MB %s download arrives intact', async (_, chunked) => {
    const payload = randomBytes(FIVE_MB)
    const { address } = await proxied((_req, res) => {
      if (!chunked) res.setHeader('content-length', payload.length)
      for (let at = 0; at < payload.length; at += 256 * 1024) res.write(payload.subarray(at, at + 256 * 1024))
      res.end()
      return true
    })
    const r = await send(address, '/download', { timeoutMs: 30_000 })
    expect(r.status).toBe(200)
    expect(r.headers['transfer-encoding']).toBe(chunked ? 'chunked' : undefined)
    expect(r.headers['content-length']).toBe(chunked ? undefined : String(FIVE_MB))
    expect(r.body.length).toBe(FIVE_MB)
    expect(sha256(r.body)).toBe(sha256(payload))
  })

  it('a chunked response written over time arrives progressively', async () => {
    // The backend writes its second chunk only after the client has received the first.
    let clientGotFirst: () => void = () => {}
    const gotFirst = new Promise<void>((r) => (clientGotFirst = r))
    const { address } = await proxied((_req, res) => {
      res.write('tick-1;')
      void gotFirst.then(() => {
        res.write('tick-2;')
        setTimeout(() => res.end('done'), 10)
      })
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('GET /events HTTP/1.1\r\nHost: t\r\n\r\n')
    await client.until((b) => b.includes('tick-1;'))
    expect(client.received.includes('tick-2;')).toBe(false)
    clientGotFirst()
    const [r] = await client.responses(1)
    expect(r!.header('transfer-encoding')).toBe('chunked')
    expect(r!.body.toString()).toBe('tick-1;tick-2;done')
    client.destroy()
  })
})

describe('responses without a body', () => {
  it('HEAD gets the headers, no body, and the connection stays in sync', async () => {
    const { address } = await proxied((req, res) => {
      res.setHeader('content-length', 1234)
      res.setHeader('x-method', req.method ?? '')
      if (req.method === 'HEAD') res.end()
      else res.end('x'.repeat(1234))
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('HEAD /h HTTP/1.1\r\nHost: t\r\n\r\nGET /g HTTP/1.1\r\nHost: t\r\n\r\n')
    const [head, get] = await client.responses(2, 10_000, [0])
    expect(head!.status).toBe(200)
    expect(head!.header('content-length')).toBe('1234')
    expect(head!.header('x-method')).toBe('HEAD')
    expect(head!.body.length).toBe(0)
    expect(get!.header('x-method')).toBe('GET')
    expect(get!.body.length).toBe(1234)
    // Nothing beyond the two responses.
    await new Promise((r) => setTimeout(r, 50))
    expect(client.received.length).toBe(client.received.indexOf('x'.repeat(1234)) + 1234)
    client.destroy()
  })

  it.each([204, 304])('%d carries no body and the next request on the connection works', async (status) => {
    const { address } = await proxied((req, res) => {
      if (req.url === '/empty') {
        res.statusCode = status
        res.setHeader('etag', '"v1"')
        res.end()
      } else res.end('next')
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('GET /empty HTTP/1.1\r\nHost: t\r\n\r\n')
    const [first] = await client.responses(1)
    expect(first!.status).toBe(status)
    expect(first!.header('transfer-encoding')).toBeUndefined()
    client.write('GET /next HTTP/1.1\r\nHost: t\r\n\r\n')
    const both = await client.responses(2)
    expect(both[1]!.status).toBe(200)
    expect(both[1]!.body.toString()).toBe('next')
    client.destroy()
  })
})

describe('Expect: 100-continue', () => {
  it('passes the backend 100 Continue through before the body is sent', async () => {
    const { address } = await proxied()
    const client = await RawClient.connect(address.port)
    client.write('POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
    await client.until((b) => b.includes('100 Continue'))
    expect(client.received.toString('latin1')).toMatch(/^HTTP\/1\.1 100 Continue\r\n/)
    client.write('hello')
    const responses = await client.responses(2)
    expect(responses[0]!.status).toBe(100)
    expect(responses[1]!.status).toBe(200)
    const echo = JSON.parse(responses[1]!.body.toString()) as { body: string; headers: Record<string, string> }
    expect(echo.body).toBe('hello')
    expect(echo.headers.expect).toBe('100-continue')
    client.destroy()
  })
})

describe('large heads under the limit', () => {
  it('a 12 KB request head and a 10 KB response header pass', async () => {
    const { address } = await proxied((req, res) => {
      res.setHeader('x-big-response', 'r'.repeat(10_000))
      res.end(String(req.headers['x-big-1']?.length))
      return true
    })
    const agent = keepAliveAgent()
    const headers = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x-big-${i}`, String(i).repeat(2000)]))
    const r = await send(address, '/', { agent, headers })
    expect(r.status).toBe(200)
    expect(r.text).toBe('2000')
    expect(r.headers['x-big-response']).toBe('r'.repeat(10_000))
  })
})

describe('chunked framing details', () => {
  it('request trailers and chunk extensions pass through to the backend', async () => {
    const { address } = await proxied((req, res, body) => {
      res.end(JSON.stringify({ body: body.toString(), trailers: req.trailers }))
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('POST /t HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Checksum: abc\r\n\r\n')
    const [r] = await client.responses(1)
    expect(JSON.parse(r!.body.toString())).toEqual({ body: 'wikipedia', trailers: { 'x-checksum': 'abc' } })
    client.destroy()
  })

  it('response trailers reach the client', async () => {
    const { address } = await proxied((_req, res) => {
      res.setHeader('trailer', 'X-Digest')
      res.write('data')
      res.addTrailers({ 'X-Digest': 'sha-256=xyz' })
      res.end()
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\nTE: trailers\r\n\r\n')
    await client.until((b) => b.includes('\r\n0\r\n') && b.toString('latin1').endsWith('\r\n\r\n') && b.includes('X-Digest: sha-256=xyz'))
    const [r] = await client.responses(1)
    expect(r!.body.toString()).toBe('data')
    client.destroy()
  })
})

describe('transfer codings besides chunked', () => {
  it('a gzip, chunked request body reaches the backend with its codings named', async () => {
    const { address } = await proxied((req, res, body) => {
      res.end(JSON.stringify({ te: req.headers['transfer-encoding'], text: gunzipSync(body).toString() }))
      return true
    })
    const coded = gzipSync('compressed upload')
    const client = await RawClient.connect(address.port)
    client.write(Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${coded.length.toString(16)}\r\n`), coded, Buffer.from('\r\n0\r\n\r\n')]))
    const [r] = await client.responses(1)
    expect(JSON.parse(r!.body.toString())).toEqual({ te: 'gzip, chunked', text: 'compressed upload' })
    client.destroy()
  })

  it.each([
    ['gzip, chunked', true],
    ['gzip', false],
  ])('a response with Transfer-Encoding: %s keeps its codings', async (te, chunked) => {
    const coded = gzipSync('compressed download')
    const body = chunked ? Buffer.concat([Buffer.from(`${coded.length.toString(16)}\r\n`), coded, Buffer.from('\r\n0\r\n\r\n')]) : coded
    const raw = await tcpServer('raw', (socket) =>
      socket.once('data', () => {
        socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n`), body]))
        if (!chunked) socket.end()
      }),
    )
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([raw]) } })
    const client = await RawClient.connect(listenerAddress(engine, 'web').port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    if (!chunked) await client.waitClosed(5000)
    const [r] = await client.responses(1)
    expect(r!.header('transfer-encoding')).toBe(te)
    expect(gunzipSync(r!.body).toString()).toBe('compressed download')
    client.destroy()
  })
})

describe('interim responses', () => {
  it('103 Early Hints is passed to an HTTP/1.1 client before the final response', async () => {
    const { address } = await proxied((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' })
      setTimeout(() => res.end('page'), 10)
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    const [hints, page] = await client.responses(2)
    expect(hints!.status).toBe(103)
    expect(hints!.header('link')).toBe('</style.css>; rel=preload; as=style')
    expect(page!.status).toBe(200)
    expect(page!.body.toString()).toBe('page')
    client.destroy()
  })

  it('interim responses are withheld from an HTTP/1.0 client', async () => {
    const { address } = await proxied((_req, res) => {
      res.writeEarlyHints({ link: '</a.js>; rel=preload' })
      res.setHeader('content-length', 4)
      res.end('page')
      return true
    })
    const client = await RawClient.connect(address.port)
    client.write('GET / HTTP/1.0\r\n\r\n')
    await client.waitClosed(5000)
    const [r] = await client.responses(1)
    expect(r!.status).toBe(200)
    expect(client.received.toString('latin1')).not.toContain(' 103 ')
  })
})
