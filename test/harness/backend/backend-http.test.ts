import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { config, json, killBackends, RawConnection, request, spawnBackend, type SpawnedBackend } from './backend-harness.js'

let backend: SpawnedBackend
let port: number

const CLEAR = { latency: null, errorRate: null, errorStatus: null, resetRate: null, responseBytes: null, slowBody: null, healthy: null }

beforeAll(async () => {
  backend = await spawnBackend(config('web-1', { seed: 1234 }))
  port = backend.ready.http!
})
afterEach(async () => {
  await backend.control('PUT', '/behaviour', CLEAR)
  await backend.control('POST', '/reset-counters')
})
afterAll(() => killBackends())

const behave = async (patch: unknown) => expect((await backend.control('PUT', '/behaviour', patch)).status).toBe(200)

describe('backend HTTP', () => {
  it('prints one readiness line with the bound ports', () => {
    const lines = backend.stdout().split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    expect(backend.ready).toEqual({ id: 'web-1', pid: backend.child.pid, http: port, control: expect.any(Number) })
    expect(port).toBeGreaterThan(0)
  })

  it('identifies itself in the header and describes the request in the body', async () => {
    const c = await RawConnection.open(port)
    const r = await c.get('/api/items?x=1', { 'X-Forwarded-For': '203.0.113.9, 10.0.0.1', 'X-Real-IP': '203.0.113.9' })
    expect(r.status).toBe(200)
    expect(r.headers.get('x-backend')).toBe('web-1')
    expect(r.headers.get('x-backend-served')).toBe('1')
    expect(r.headers.get('content-type')).toBe('application/json')
    expect(json(r)).toEqual({
      backend: 'web-1',
      method: 'GET',
      path: '/api/items?x=1',
      clientAddress: '127.0.0.1',
      clientPort: c.socket.localPort,
      proxied: false,
      xForwardedFor: '203.0.113.9, 10.0.0.1',
      xRealIp: '203.0.113.9',
      served: 1,
    })
    c.close()
  })

  it('serves many requests on one keep-alive connection', async () => {
    const c = await RawConnection.open(port)
    for (let i = 1; i <= 200; i++) {
      const r = await c.get(`/n/${i}`)
      expect(json(r)).toMatchObject({ path: `/n/${i}`, served: i, clientPort: c.socket.localPort })
    }
    const state = (await backend.control('GET', '/state')).body
    expect(state.served.http).toEqual({ requests: 200, byStatus: { '1xx': 0, '2xx': 200, '3xx': 0, '4xx': 0, '5xx': 0 }, resets: 0 })
    c.close()
  })

  it('answers pipelined requests in order, also when they wait for latency', async () => {
    await behave({ latency: { kind: 'uniform', minMs: 0, maxMs: 20 } })
    const c = await RawConnection.open(port)
    c.write(Array.from({ length: 20 }, (_, i) => request(i % 3 === 0 ? 'POST' : 'GET', `/p/${i}`, { 'content-length': '2' }, 'ab')).join(''))
    for (let i = 0; i < 20; i++) expect(json(await c.response())).toMatchObject({ path: `/p/${i}`, method: i % 3 === 0 ? 'POST' : 'GET' })
    c.close()
  })

  it('speaks HTTP/1.0: closes by default, keeps alive when asked', async () => {
    const c = await RawConnection.open(port)
    c.write('GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    const first = await c.response()
    expect(first.headers.get('connection')).toBe('keep-alive')
    expect(json(first).path).toBe('/old')
    c.write('GET /old2 HTTP/1.0\r\n\r\n')
    const second = await c.response()
    expect(second.headers.get('connection')).toBe('close')
    expect(await c.closed).toBe('end')
  })

  it('closes after a request with Connection: close', async () => {
    const c = await RawConnection.open(port)
    c.write(request('GET', '/bye', { connection: 'close' }))
    expect((await c.response()).headers.get('connection')).toBe('close')
    expect(await c.closed).toBe('end')
  })

  it('consumes request bodies (Content-Length and chunked) so the connection stays usable', async () => {
    const c = await RawConnection.open(port)
    const big = 'x'.repeat(300_000)
    c.write(request('POST', '/upload', { 'content-length': String(big.length) }, big))
    expect(json(await c.response()).path).toBe('/upload')
    c.write(request('PUT', '/chunks', { 'transfer-encoding': 'chunked' }))
    for (const part of ['hello', ' ', 'x'.repeat(70_000)]) c.write(`${part.length.toString(16)}\r\n${part}\r\n`)
    c.write('0\r\ntrailer: yes\r\n\r\n')
    expect(json(await c.response())).toMatchObject({ method: 'PUT', path: '/chunks' })
    expect(json(await c.get('/after'))).toMatchObject({ path: '/after', served: 3 })
    c.close()
  })

  it('answers Expect: 100-continue before the body', async () => {
    const c = await RawConnection.open(port)
    c.write(request('POST', '/expect', { 'content-length': '3', expect: '100-continue' }))
    expect(await c.line()).toBe('HTTP/1.1 100 Continue')
    await c.line()
    c.write('abc')
    expect(json(await c.response()).path).toBe('/expect')
    c.close()
  })

  it('refuses a malformed request with 400 and closes', async () => {
    const c = await RawConnection.open(port)
    c.write('GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n')
    const r = await c.response()
    expect(r.status).toBe(400)
    expect(r.headers.get('x-backend')).toBe('web-1')
    expect(json(r)).toMatchObject({ backend: 'web-1', code: 'HTTP_ERR_CONFLICTING_FRAMING' })
    expect(await c.closed).toBe('end')
  })

  it('answers HEAD without a body', async () => {
    const c = await RawConnection.open(port)
    c.write(request('HEAD', '/h'))
    const r = await c.response('HEAD')
    expect(r.status).toBe(200)
    expect(Number(r.headers.get('content-length'))).toBeGreaterThan(0)
    expect(json(await c.get('/next')).path).toBe('/next')
    c.close()
  })

  it('switches health via the control API, without latency and without counting probes', async () => {
    await behave({ latency: { kind: 'fixed', ms: 2000 } })
    const c = await RawConnection.open(port)
    for (const path of ['/health', '/healthz', '/health?full=1']) {
      const r = await c.get(path)
      expect(r.status).toBe(200)
      expect(r.headers.get('x-backend')).toBe('web-1')
      expect(json(r)).toEqual({ backend: 'web-1', healthy: true })
    }
    expect((await backend.control('POST', '/health', { healthy: false })).body.healthy).toBe(false)
    const down = await c.get('/health')
    expect(down.status).toBe(503)
    c.write(request('HEAD', '/healthz'))
    expect((await c.response('HEAD')).status).toBe(503)
    await backend.control('POST', '/health', { healthy: true })
    expect((await c.get('/health')).status).toBe(200)
    expect((await backend.control('GET', '/state')).body.served.http.requests).toBe(0)
    c.close()
  })

  it('never answers before its latency: a fixed 2 ms is a lower bound, on every connection at once', async () => {
    await behave({ latency: { kind: 'fixed', ms: 2 } })
    const connections = await Promise.all(Array.from({ length: 4 }, () => RawConnection.open(port)))
    const seenUs: number[] = []
    // Four connections in step: the backend reads several requests in one loop turn, the case
    // where a millisecond timer armed from the turn's cached clock fires early.
    await Promise.all(
      connections.map(async (c) => {
        for (let i = 0; i < 50; i++) {
          const t = process.hrtime.bigint()
          await c.get(`/w/${i}`)
          seenUs.push(Number(process.hrtime.bigint() - t) / 1000)
        }
        c.close()
      }),
    )
    // What the client sees includes the backend's wait: never under the 2 ms asked for.
    expect(Math.min(...seenUs)).toBeGreaterThanOrEqual(2000)
    const { service } = (await backend.control('GET', '/state')).body
    expect(service).toMatchObject({ holds: 200, requestedMeanUs: 2000 })
    expect(service.overshootUs.min).toBeGreaterThanOrEqual(0)
    expect(service.actualMeanUs).toBeGreaterThanOrEqual(2000)
    // Every client-side time holds the backend's own wait and more.
    expect(service.actualMeanUs).toBeLessThanOrEqual(seenUs.reduce((a, b) => a + b, 0) / seenUs.length)
  })

  it('waits each drawn latency in full, sub-millisecond draws included', async () => {
    await behave({ latency: { kind: 'uniform', minMs: 0.1, maxMs: 3 } })
    const c = await RawConnection.open(port)
    for (let i = 0; i < 100; i++) await c.get(`/d/${i}`)
    c.close()
    const { service } = (await backend.control('GET', '/state')).body
    expect(service.holds).toBe(100)
    expect(service.overshootUs.min).toBeGreaterThanOrEqual(0)
    expect(service.requestedMeanUs).toBeGreaterThan(100)
    expect(service.requestedMeanUs).toBeLessThan(3000)
  })

  it('applies a latency change at run time and stays controllable meanwhile', async () => {
    const c = await RawConnection.open(port)
    await behave({ latency: { kind: 'fixed', ms: 200 } })
    let t = performance.now()
    await c.get('/slow')
    const slowMs = performance.now() - t
    expect(slowMs).toBeGreaterThanOrEqual(190)

    // The control API answers while a request waits out its latency.
    await behave({ latency: { kind: 'fixed', ms: 1500 } })
    t = performance.now()
    let answered = false
    const pending = c.get('/slower').then(() => (answered = true))
    const state = await backend.control('GET', '/state')
    expect(state.body.behaviour.latency).toEqual({ kind: 'fixed', ms: 1500 })
    expect(answered).toBe(false)
    await pending
    expect(performance.now() - t).toBeGreaterThanOrEqual(1400)

    await behave({ latency: null })
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      t = performance.now()
      await c.get('/fast')
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    // Against the 200 ms request timed on this connection above: the latency is gone.
    expect(times[2]).toBeLessThan(slowMs / 2)
    c.close()
  })

  it('errorRate 1 answers every request with errorStatus (default 500)', async () => {
    const c = await RawConnection.open(port)
    await behave({ errorRate: 1 })
    for (let i = 0; i < 10; i++) {
      const r = await c.get('/e')
      expect(r.status).toBe(500)
      expect(r.headers.get('x-backend')).toBe('web-1')
    }
    await behave({ errorStatus: 503 })
    expect((await c.get('/e')).status).toBe(503)
    const state = (await backend.control('GET', '/state')).body
    expect(state.served.http.byStatus).toEqual({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 11 })
    c.close()
  })

  it('errorRate 0.3 over 1000 requests errs within binomial tolerance', async () => {
    // Binomial(1000, 0.3): mean 300, sd √(1000·0.3·0.7) ≈ 14.5; accept ±5 sd, i.e. 228–372.
    await behave({ errorRate: 0.3 })
    const c = await RawConnection.open(port)
    c.write(Array.from({ length: 1000 }, (_, i) => request('GET', `/r/${i}`)).join(''))
    let errors = 0
    for (let i = 0; i < 1000; i++) if ((await c.response()).status === 500) errors++
    expect(errors).toBeGreaterThanOrEqual(228)
    expect(errors).toBeLessThanOrEqual(372)
    const http = (await backend.control('GET', '/state')).body.served.http
    expect(http.requests).toBe(1000)
    expect(http.byStatus['5xx']).toBe(errors)
    expect(http.byStatus['2xx']).toBe(1000 - errors)
    c.close()
  })

  it('resetRate 1 resets the connection without a response', async () => {
    await behave({ resetRate: 1 })
    const c = await RawConnection.open(port)
    c.write(request('GET', '/boom'))
    expect(await c.closed).toBe('ECONNRESET')
    expect(c.received).toBe(0)
    expect((await backend.control('GET', '/state')).body.served.http).toMatchObject({ requests: 1, resets: 1 })
  })

  it.each([0, 10, 150, 151, 4096, 1_000_000])('responseBytes %i gives a body of exactly that length', async (bytes) => {
    await behave({ responseBytes: bytes })
    const c = await RawConnection.open(port)
    const r = await c.get('/sized')
    expect(r.body.length).toBe(bytes)
    expect(Number(r.headers.get('content-length'))).toBe(bytes)
    if (bytes >= 4096) expect(json(r)).toMatchObject({ backend: 'web-1', path: '/sized', pad: expect.stringMatching(/^x+$/) })
    c.close()
  })

  it('slowBody streams the body chunked at about the configured rate', async () => {
    // 3000 bytes at 10 000 B/s: about 300 ms.
    await behave({ responseBytes: 3000, slowBody: { bytesPerSecond: 10_000 } })
    const c = await RawConnection.open(port)
    const t = performance.now()
    const r = await c.get('/stream')
    const elapsed = performance.now() - t
    expect(r.chunked).toBe(true)
    expect(r.body.length).toBe(3000)
    expect(json(r).path).toBe('/stream')
    // Not faster than the rate allows, and streamed in pieces rather than written at once.
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(r.chunks).toBeGreaterThan(1)
    // HTTP/1.0 has no chunked encoding: the same body streams under a Content-Length.
    c.write('GET /stream10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    const old = await c.response()
    expect(old.chunked).toBe(false)
    expect(old.body.length).toBe(3000)
    expect(json(await c.get('/after')).path).toBe('/after')
    c.close()
  })
})

describe('control API', () => {
  it('reports state', async () => {
    const { status, body } = await backend.control('GET', '/state')
    expect(status).toBe(200)
    expect(body).toEqual({
      id: 'web-1',
      pid: backend.child.pid,
      behaviour: {},
      healthy: true,
      served: {
        http: { requests: 0, byStatus: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, resets: 0 },
        tcp: { requests: 0, errors: 0, resets: 0, connections: 0 },
        udp: { datagrams: 0 },
        grpc: { requests: 0, byCode: {}, resets: 0, connections: 0 },
      },
      seen: { tls: 0, plaintext: 0, clients: {}, peers: {}, via: { 'x-forwarded-for': 0, 'x-real-ip': 0, 'proxy-protocol': 0, peer: 0 } },
      listening: { http: port, control: backend.ready.control },
      uptimeMs: expect.any(Number),
      service: { holds: 0, requestedMeanUs: 0, actualMeanUs: 0, overshootUs: { min: 0, mean: 0, p50: 0, p99: 0, max: 0 }, histogram: expect.any(String) },
    })
  })

  it('merges behaviour changes and clears fields with null', async () => {
    await behave({ errorRate: 0.5, latency: { kind: 'exponential', meanMs: 1 } })
    await behave({ errorStatus: 502 })
    expect((await backend.control('GET', '/state')).body.behaviour).toEqual({ errorRate: 0.5, latency: { kind: 'exponential', meanMs: 1 }, errorStatus: 502 })
    await behave({ errorRate: null })
    expect((await backend.control('GET', '/state')).body.behaviour).toEqual({ latency: { kind: 'exponential', meanMs: 1 }, errorStatus: 502 })
  })

  it('refuses invalid changes with 400 and every issue with its path, changing nothing', async () => {
    const r = await backend.control('PUT', '/behaviour', { latency: { kind: 'lognormal', medianMs: -1 }, resetRate: 2, slowBody: {}, extra: 1 })
    expect(r.status).toBe(400)
    expect(r.body.code).toBe('BACKEND_ERR_BAD_REQUEST')
    expect(r.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['extra', 'latency.medianMs', 'latency.sigma', 'resetRate', 'slowBody.bytesPerSecond'])
    expect((await backend.control('GET', '/state')).body.behaviour).toEqual({})
    const health = await backend.control('POST', '/health', { healthy: 'yes' })
    expect(health.status).toBe(400)
    expect(health.body.issues).toEqual([{ path: 'healthy', message: expect.any(String) }])
    const badJson = await backend.control('PUT', '/behaviour', '{not json')
    expect(badJson).toEqual({ status: 400, body: { code: 'BACKEND_ERR_BAD_JSON', message: expect.any(String) } })
  })

  it('resets counters', async () => {
    const c = await RawConnection.open(port)
    await c.get('/a')
    expect((await backend.control('GET', '/state')).body.served.http.requests).toBe(1)
    expect((await backend.control('POST', '/reset-counters')).body.served.http.requests).toBe(0)
    expect(json(await c.get('/b')).served).toBe(1)
    c.close()
  })

  it('answers anything else with 404 JSON', async () => {
    for (const [method, path] of [['GET', '/nope'], ['DELETE', '/state'], ['GET', '/behaviour']] as const) {
      expect(await backend.control(method, path)).toEqual({ status: 404, body: { code: 'BACKEND_ERR_NOT_FOUND', message: expect.any(String) } })
    }
  })
})
