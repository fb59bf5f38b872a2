import { execFile, execFileSync } from 'node:child_process'
import http2 from 'node:http2'
import https from 'node:https'
import { afterAll, describe, expect, it } from 'vitest'
import { generateCertificateAuthority, issueCertificate } from '../../../engine/tls/self-signed.js'
import { backendConfigSchema } from '../../../harness/backend/backend-config.js'
import { startBackend, type RunningBackend } from '../../../harness/backend/backend.js'
import { sniffPreface, H2_PREFACE } from '../../../harness/backend/http-versions.js'
import { json, RawConnection } from './backend-harness.js'

const started: RunningBackend[] = []
afterAll(async () => {
  await Promise.all(started.map((b) => b.stop(0)))
})

async function backend(config: Record<string, unknown>): Promise<RunningBackend> {
  const b = await startBackend(backendConfigSchema.parse({ control: { port: 0 }, http: { port: 0 }, ...config }), () => {})
  started.push(b)
  return b
}

interface H2Reply {
  status: number
  headers: http2.IncomingHttpHeaders
  body: string
  /** The RST_STREAM code when the stream was reset. */
  rstCode?: number
}

/** One request on `session`; resolves with the reply or the stream's reset. */
function h2get(session: http2.ClientHttp2Session, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ...headers })
    let head: http2.IncomingHttpHeaders = {}
    let body = ''
    stream.setEncoding('latin1')
    stream.on('response', (h) => (head = h))
    stream.on('data', (d: string) => (body += d))
    stream.on('error', () => undefined)
    stream.on('close', () => {
      if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) resolve({ status: 0, headers: head, body, rstCode: stream.rstCode })
      else if (head[':status'] === undefined) reject(new Error('no response'))
      else resolve({ status: Number(head[':status']), headers: head, body })
    })
    stream.end()
  })
}

function h2c(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://127.0.0.1:${port}`)
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

describe('sniffPreface', () => {
  it.each([
    { bytes: '', expected: undefined },
    { bytes: 'PRI * HTTP/2', expected: undefined },
    { bytes: H2_PREFACE.toString('latin1'), expected: 'h2' },
    { bytes: 'GET / HTTP/1.1\r\n', expected: 'http1' },
    { bytes: 'PRX', expected: 'http1' },
  ])('$bytes → $expected', ({ bytes, expected }) => {
    expect(sniffPreface(Buffer.from(bytes, 'latin1'))).toBe(expected)
  })
})

describe('HTTP/2 on the http listener', () => {
  it('serves h2c by prior knowledge and HTTP/1.1 on the same port', async () => {
    const b = await backend({ id: 'h2-a' })
    const session = await h2c(b.ports.http!)
    const replies = await Promise.all([h2get(session, '/x?y=1'), h2get(session, '/z')])
    session.close()
    for (const r of replies) {
      expect(r.status).toBe(200)
      expect(r.headers['x-backend']).toBe('h2-a')
    }
    expect(replies.map((r) => JSON.parse(r.body).path).sort()).toEqual(['/x?y=1', '/z'])
    expect(replies.map((r) => Number(r.headers['x-backend-served'])).sort()).toEqual([1, 2])
    const c = await RawConnection.open(b.ports.http!)
    const h1 = await c.get('/h1')
    c.close()
    expect(h1.status).toBe(200)
    expect(json(h1).served).toBe(3)
    expect(b.state.served.http.requests).toBe(3)
  })

  it('answers health at once, errors with the error status, resets the stream alone', async () => {
    const b = await backend({ id: 'h2-b', behaviour: { errorRate: 1, errorStatus: 503 } })
    const session = await h2c(b.ports.http!)
    const health = await h2get(session, '/health')
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { backend: 'h2-b', healthy: true }])
    const error = await h2get(session, '/')
    expect(error.status).toBe(503)
    b.state.changeBehaviour({ errorRate: null, resetRate: 1 })
    const reset = await h2get(session, '/')
    expect(reset.rstCode).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR)
    // The connection survives its stream's reset.
    b.state.changeBehaviour({ resetRate: null })
    expect((await h2get(session, '/')).status).toBe(200)
    session.close()
    expect(b.state.served.http.resets).toBe(1)
    expect(b.state.served.http.byStatus['5xx']).toBe(1)
  })

  it('holds a request for its latency without holding the other streams of its connection', async () => {
    const b = await backend({ id: 'h2-c', behaviour: { latency: { kind: 'fixed', ms: 400 } } })
    const session = await h2c(b.ports.http!)
    const order: string[] = []
    const slow = h2get(session, '/slow').then((r) => {
      order.push('slow')
      return r
    })
    await new Promise((r) => setTimeout(r, 20))
    b.state.changeBehaviour({ latency: null })
    const quick = await h2get(session, '/quick')
    order.push('quick')
    expect([quick.status, (await slow).status]).toEqual([200, 200])
    session.close()
    // On HTTP/1.1 the second request would wait for the first; on one HTTP/2 connection it does not.
    expect(order).toEqual(['quick', 'slow'])
    expect(b.state.snapshot().service.holds).toBe(1)
  })

  it('streams a slow body at its rate', async () => {
    const b = await backend({ id: 'h2-d', behaviour: { responseBytes: 400, slowBody: { bytesPerSecond: 4000 } } })
    const session = await h2c(b.ports.http!)
    const t0 = performance.now()
    const r = await h2get(session, '/')
    const elapsed = performance.now() - t0
    session.close()
    expect(r.body.length).toBe(400)
    // 400 bytes at 4000 B/s: about 100 ms, never much less.
    expect(elapsed).toBeGreaterThanOrEqual(90)
  })

  it('negotiates h2 or http/1.1 by ALPN with TLS', async () => {
    const ca = await generateCertificateAuthority({ commonName: 'h2 test ca' })
    const leaf = await issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] })
    const b = await backend({ id: 'h2-tls', http: { port: 0, tls: { cert: leaf.cert, key: leaf.key } } })
    const session = http2.connect(`https://127.0.0.1:${b.ports.http}`, { ca: ca.cert })
    const r = await h2get(session, '/')
    session.close()
    expect(r.status).toBe(200)
    expect(b.state.snapshot().seen.tls).toBe(1)
    // A client offering only http/1.1 is served HTTP/1.1 on the same port.
    const status = await new Promise<number>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: b.ports.http!, path: '/', ca: ca.cert, ALPNProtocols: ['http/1.1'] } as https.RequestOptions, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject)
    })
    expect(status).toBe(200)
  })

  // curl is a client written by others: it must agree with ours on what the backend speaks.
  const curl = (() => {
    try {
      return execFileSync('curl', ['--version'], { encoding: 'utf8' }).includes('HTTP2')
    } catch {
      return false
    }
  })()
  it.skipIf(!curl)('answers curl --http2-prior-knowledge over HTTP/2', async () => {
    const b = await backend({ id: 'h2-curl' })
    const out = await new Promise<string>((resolve, reject) =>
      execFile('curl', ['-sS', '--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{response_code}', `http://127.0.0.1:${b.ports.http}/curl`], { timeout: 10_000 }, (e, stdout) => (e === null ? resolve(stdout) : reject(e))),
    )
    expect(out).toBe('2 200')
  })

  it('sends GOAWAY once a connection reaches its maximum age', async () => {
    const b = await backend({ id: 'h2-age', connectionAge: { maxMs: 100, graceMs: 100 } })
    const session = await h2c(b.ports.http!)
    expect((await h2get(session, '/')).status).toBe(200)
    const [code, lastStreamId] = await new Promise<[number, number]>((resolve) => session.once('goaway', (c: number, last: number) => resolve([c, last])))
    // A graceful GOAWAY naming the last stream the backend took (the first client stream is 1).
    expect([code, lastStreamId]).toEqual([http2.constants.NGHTTP2_NO_ERROR, 1])
    await new Promise<void>((resolve) => (session.closed ? resolve() : session.once('close', () => resolve())))
  })
})
