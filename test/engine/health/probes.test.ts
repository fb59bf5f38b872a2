import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { httpProbe, tcpProbe, tlsProbe, type HttpProbeOptions } from '../../../engine/health/probes.js'
import { close, closedPort, eventually, listen, selfSignedCertificate, silentServer } from './servers.js'

const host = '127.0.0.1'
const certificate = selfSignedCertificate()
const noOpenssl = 'the openssl binary is not installed, so no test certificate can be made'

const activeSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length

describe('tcp probe', () => {
  const server = net.createServer((socket) => socket.on('error', () => {}))
  let port = 0
  beforeAll(async () => {
    port = await listen(server)
  })
  afterAll(() => close(server))

  it('passes against a listening port', async () => {
    const started = performance.now()
    const result = await tcpProbe({ host, port })
    const elapsedUs = (performance.now() - started) * 1000
    expect(result.ok).toBe(true)
    // The connect time, measured inside the call: more than nothing, less than the whole call.
    expect(result.latencyUs).toBeGreaterThan(0)
    expect(result.latencyUs).toBeLessThanOrEqual(elapsedUs)
  })

  it('fails with ECONNREFUSED against a closed port', async () => {
    expect(await tcpProbe({ host, port: await closedPort() })).toMatchObject({ ok: false, detail: 'ECONNREFUSED' })
  })

  it('fails with "aborted" when the signal is already aborted', async () => {
    expect(await tcpProbe({ host, port }, {}, AbortSignal.abort())).toMatchObject({ ok: false, detail: 'aborted' })
  })
})

describe('http probe', () => {
  let connections = 0
  const server = http.createServer((req, res) => {
    switch (req.url) {
      case '/health':
        return res.end('status: ok')
      case '/down':
        res.statusCode = 503
        return res.end('draining')
      case '/chunked':
        // Several writes without a Content-Length: Node sends them as chunks.
        res.write('{"checks":[')
        setTimeout(() => res.write('"db","cache"'), 5)
        setTimeout(() => res.end('],"status":"serving"}'), 10)
        return
      case '/host':
        return res.end(`host=${req.headers.host ?? ''} connection=${req.headers.connection ?? ''}`)
      case '/big':
        // The marker sits beyond the first 64 KiB, which is all a probe reads.
        return res.end(`${'x'.repeat(70 * 1024)}MARKER`)
      case '/redirect':
        res.statusCode = 302
        return res.end()
      default:
        res.statusCode = 404
        return res.end()
    }
  })
  const open = new Set<net.Socket>()
  server.on('connection', (socket) => {
    connections++
    open.add(socket)
    socket.on('close', () => open.delete(socket))
  })
  const closeDelimited = net.createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nready and willing'))
  })
  const silent = silentServer()
  let port = 0
  let closeDelimitedPort = 0
  let silentPort = 0
  beforeAll(async () => {
    port = await listen(server)
    closeDelimitedPort = await listen(closeDelimited)
    silentPort = await listen(silent.server)
  })
  afterAll(async () => {
    for (const s of silent.sockets) s.destroy()
    await Promise.all([close(server), close(closeDelimited), close(silent.server)])
  })

  it.each<[string, HttpProbeOptions, boolean, string]>([
    // name, options, ok, detail
    ['200 passes', {}, true, 'status 200'],
    ['503 fails', { path: '/down' }, false, 'status 503'],
    ['404 fails', { path: '/nowhere' }, false, 'status 404'],
    ['302 passes the default 200–399', { path: '/redirect' }, true, 'status 302'],
    ['302 fails when only 200 is expected', { path: '/redirect', expectStatus: [[200, 200]] }, false, 'status 302'],
    ['503 passes when listed', { path: '/down', expectStatus: [[200, 299], [503, 503]] }, true, 'status 503'],
    ['body substring found', { bodyContains: 'status: ok' }, true, 'status 200'],
    ['body substring missing', { bodyContains: 'status: degraded' }, false, 'body mismatch'],
    ['chunked body substring found across chunks', { path: '/chunked', bodyContains: '"cache"],"status":"serving"' }, true, 'status 200'],
    ['chunked body substring missing', { path: '/chunked', bodyContains: 'failing' }, false, 'body mismatch'],
    ['only the first 64 KiB of the body are searched', { path: '/big', bodyContains: 'MARKER' }, false, 'body mismatch'],
    ['HEAD never waits for a body', { method: 'HEAD', bodyContains: 'anything' }, true, 'status 200'],
    ['custom Host header is sent', { path: '/host', host: 'api.internal', bodyContains: 'host=api.internal connection=close' }, true, 'status 200'],
  ])('%s', async (_name, options, ok, detail) => {
    expect(await httpProbe({ host, port }, options)).toMatchObject({ ok, detail })
  })

  it('sends host:port as the default Host header', async () => {
    expect(await httpProbe({ host, port }, { path: '/host', bodyContains: `host=${host}:${port} ` })).toMatchObject({ ok: true })
  })

  it('reads a close-delimited body', async () => {
    expect(await httpProbe({ host, port: closeDelimitedPort }, { bodyContains: 'willing' })).toMatchObject({ ok: true, detail: 'status 200' })
    expect(await httpProbe({ host, port: closeDelimitedPort }, { bodyContains: 'unwilling' })).toMatchObject({ ok: false, detail: 'body mismatch' })
  })

  it('fails with ECONNREFUSED against a closed port', async () => {
    expect(await httpProbe({ host, port: await closedPort() })).toMatchObject({ ok: false, detail: 'ECONNREFUSED' })
  })

  it('times out against a server that never answers, and leaves no socket behind', async () => {
    const before = activeSockets()
    const result = await httpProbe({ host, port: silentPort }, { timeoutMs: 150 })
    expect(result).toMatchObject({ ok: false, detail: 'timeout' })
    expect(result.latencyUs).toBeGreaterThan(0)
    // The server saw the connection, and sees it closed: the probe destroyed its socket.
    expect(await eventually(() => silent.sockets.size === 0)).toBe(true)
    expect(await eventually(() => activeSockets() <= before)).toBe(true)
  })

  it('settles with "aborted" when aborted mid-probe, and closes the connection', async () => {
    const controller = new AbortController()
    const pending = httpProbe({ host, port: silentPort }, { timeoutMs: 60_000 }, controller.signal)
    expect(await eventually(() => silent.sockets.size === 1)).toBe(true)
    controller.abort()
    expect(await pending).toMatchObject({ ok: false, detail: 'aborted' })
    expect(await eventually(() => silent.sockets.size === 0)).toBe(true)
  })

  it('closes each connection it opens (Connection: close, one request each)', async () => {
    const start = connections
    await Promise.all([httpProbe({ host, port }), httpProbe({ host, port }), httpProbe({ host, port }, { path: '/chunked', bodyContains: 'serving' })])
    expect(connections - start).toBe(3)
    expect(await eventually(() => open.size === 0)).toBe(true)
  })

  it.each([
    [{ method: 'GET /x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET' }, 'method'],
    [{ path: '/health HTTP/1.1' }, 'path'],
    [{ host: 'a\r\nX-Injected: 1' }, 'host'],
  ])('rejects %j, which would corrupt the request', async (options, path) => {
    const error = await httpProbe({ host, port }, options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineError)
    expect((error as EngineError).issues.map((i) => i.path)).toEqual([path])
  })
})

describe.skipIf(certificate === undefined)(`tls and https probes (skipped when ${noOpenssl})`, () => {
  const { key, cert } = certificate ?? { key: '', cert: '' }
  const tlsServer = tls.createServer({ key, cert }, (socket) => {
    socket.on('error', () => {})
    socket.end()
  })
  const httpsServer = https.createServer({ key, cert }, (_req, res) => res.end('secure and healthy'))
  // Not TLS: answers anything with a line of text and hangs up.
  const plain = net.createServer((socket) => {
    socket.on('error', () => {})
    socket.resume()
    socket.end('SSH-2.0-OpenSSH_9.6\r\n')
  })
  let tlsPort = 0
  let httpsPort = 0
  let plainPort = 0
  beforeAll(async () => {
    tlsPort = await listen(tlsServer)
    httpsPort = await listen(httpsServer)
    plainPort = await listen(plain)
  })
  afterAll(() => Promise.all([close(tlsServer), close(httpsServer), close(plain)]))

  it('tls: a full handshake passes and reports the protocol', async () => {
    const result = await tlsProbe({ host, port: tlsPort }, { serverName: 'localhost' })
    expect(result.ok).toBe(true)
    expect(result.detail).toMatch(/^TLSv1\.[23]$/)
  })

  it('tls: a self-signed certificate fails when verification is asked for', async () => {
    expect(await tlsProbe({ host, port: tlsPort }, { serverName: 'localhost', rejectUnauthorized: true })).toMatchObject({ ok: false, detail: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
  })

  it('tls: a plain TCP server on the port fails', async () => {
    const result = await tlsProbe({ host, port: plainPort }, { timeoutMs: 2000 })
    expect(result.ok).toBe(false)
    expect(result.detail).not.toBe('timeout')
  })

  it('tls: a closed port fails with ECONNREFUSED', async () => {
    expect(await tlsProbe({ host, port: await closedPort() })).toMatchObject({ ok: false, detail: 'ECONNREFUSED' })
  })

  it('https: the HTTP probe speaks TLS when asked', async () => {
    expect(await httpProbe({ host, port: httpsPort }, { tls: { serverName: 'localhost' }, path: '/', bodyContains: 'healthy' })).toMatchObject({ ok: true, detail: 'status 200' })
  })

  it('https: plain HTTP against a TLS port fails', async () => {
    expect((await httpProbe({ host, port: httpsPort }, { path: '/', timeoutMs: 2000 })).ok).toBe(false)
  })
})
