import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { LatencyHistogram } from '../../../engine/stats/latency-histogram.js'
import { nativeGenerator, type LoadPlan } from '../../../harness/load/index.js'
import { expectBackendsSumToOk, expectConsistent, expectLatencyOfServer, expectMicrosecondResolution, generatorConformance, httpPlan } from './generator-conformance.js'
import { closedPort, closeServers, udpEcho } from '../../helpers/test-servers.js'
import { lineServer, rawHttpServer, scriptedHttpBackend, stallOnce, testCertificate } from './servers.js'

generatorConformance(nativeGenerator)

const host = '127.0.0.1'

describe('native generator', () => {
  afterEach(closeServers)

  it('makes coordinated omission visible: a 1 s stall shows in corrected, not uncorrected, p99', async () => {
    const server = await scriptedHttpBackend({ delayMs: stallOnce(100, 1000) })
    const s = await nativeGenerator.run(httpPlan(server, { mode: 'open', rate: 200, connections: 2, durationMs: 2500, timeoutMs: 3000 }))
    expectConsistent(s)
    expect(s.failed).toBe(0)
    const corrected = s.correctedLatencyUs!
    // Requests due during the stall waited for it: about a fifth of the run, so p99 sits deep in it.
    expect(corrected.p99).toBeGreaterThanOrEqual(500_000)
    expect(corrected.p99).toBeGreaterThan(5 * s.latencyUs.p99)
    // The wait shows as send lag too (due → sent), and is warned about.
    expect(s.sendLagUs!.p99).toBeGreaterThanOrEqual(500_000)
    expect(s.warnings).toContainEqual(expect.stringContaining('waited for a free connection'))
  })

  it('sends open-loop requests close to their due time when a connection is free', async () => {
    const server = await scriptedHttpBackend()
    // The reference: how late this process's own 1 ms timers fire during the same run.
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    const s = await nativeGenerator.run(httpPlan(server, { mode: 'open', rate: 300, connections: 8, durationMs: 700 }))
    loop.disable()
    expectConsistent(s)
    // A send leaves within a timer tick of its due time, plus however late the event loop ran.
    expect(s.correctedLatencyUs!.p50 - s.latencyUs.p50).toBeLessThan(1000 + loop.percentile(99) / 1000)
    expect(s.correctedLatencyUs!.count).toBe(s.latencyUs.count)
    expect(s.sendLagUs!.count).toBe(s.sent)
    expect(s.warnings.filter((w) => /achieved|never sent/.test(w))).toEqual([])
  })

  it('sends later than due by less than a millisecond-timer pacer running beside it', async () => {
    const server = await scriptedHttpBackend()
    const rate = 300
    const durationMs = 1000
    // The reference, in the same process at the same time: due times at the same rate, each waited
    // for with setTimeout as a millisecond-timer pacer does (re-armed when it wakes early).
    const plain = new LatencyHistogram()
    const t0 = process.hrtime.bigint()
    let stop = false
    const wait = (i: number) => {
      if (stop) return
      const due = t0 + BigInt(Math.round((i * 1e9) / rate))
      const left = Number(due - process.hrtime.bigint()) / 1e6
      if (left > 0) return void setTimeout(() => wait(i), Math.max(1, Math.floor(left)))
      plain.record(-left * 1000)
      wait(i + 1)
    }
    wait(0)
    const s = await nativeGenerator.run(httpPlan(server, { mode: 'open', rate, connections: 8, durationMs }))
    stop = true
    expectConsistent(s)
    expect(plain.count).toBeGreaterThan(rate / 2)
    const lag = s.sendLagUs!
    expect(lag.count).toBe(s.sent)
    expect(lag.p50).toBeLessThan(plain.percentile(50))
  })

  it('records TLS handshakes apart from request time with a connection per request', async () => {
    const cert = testCertificate()
    const server = await lineServer({ tls: cert })
    const s = await nativeGenerator.run({ protocol: 'tls', target: { host, port: server.port, ca: cert.cert }, mode: 'closed', connections: 2, durationMs: 500, newConnectionPerRequest: true })
    expectConsistent(s)
    expect(s.failed).toBe(0)
    expect(s.ok).toBeGreaterThan(5)
    expect(s.handshakeUs?.count).toBe(s.ok)
    expect(server.seen.connections).toBe(s.sent)
    expect(s.handshakeUs!.p50).toBeGreaterThan(s.latencyUs.p50)
    expect(handshakeCount(s.histograms.handshake)).toBe(s.ok)
  })

  it('opens an HTTPS connection per request when asked', async () => {
    const cert = testCertificate()
    const server = await scriptedHttpBackend({ tls: cert })
    const s = await nativeGenerator.run({ ...httpPlan(server, { maxRequests: 20, durationMs: 5000, newConnectionPerRequest: true }), protocol: 'https', target: { host: 'localhost', port: server.port, ca: cert.cert } })
    expectConsistent(s)
    expect(s.ok).toBe(20)
    expect(server.seen.connections).toBe(20)
    expect(s.handshakeUs?.count).toBe(20)
  })

  it('speaks the TCP line protocol: backends from the prefix, ERR replies as status failures', async () => {
    const server = await lineServer({ id: 'tcp-a', error: (i) => i % 4 === 3 })
    const s = await nativeGenerator.run({ protocol: 'tcp', target: { host, port: server.port }, mode: 'closed', connections: 1, durationMs: 400, tcpPayload: 'hello world' })
    expectConsistent(s)
    expect(s.failures.byKind.status).toBeGreaterThan(0)
    expect(s.failures.byStatus.ERR).toBe(s.failures.byKind.status)
    expect(s.byBackend).toEqual({ 'tcp-a': s.ok })
    expectMicrosecondResolution(s)
  })

  it('reads a fixed 20 ms TCP backend as about 20 ms, like the HTTP one', async () => {
    const heldUs: number[] = []
    const server = await lineServer({ delayMs: 20, heldUs })
    const s = await nativeGenerator.run({ protocol: 'tcp', target: { host, port: server.port }, mode: 'closed', connections: 4, durationMs: 500 })
    expectConsistent(s)
    expectLatencyOfServer(s, heldUs)
  })

  it('speaks UDP: one datagram, one reply, backend from the prefix', async () => {
    const server = await udpEcho('udp-a')
    const s = await nativeGenerator.run({ protocol: 'udp', target: { host, port: server.port }, mode: 'closed', connections: 2, durationMs: 400, udpPayloadBytes: 100 })
    expectConsistent(s)
    expect(s.failed).toBe(0)
    expect(s.byBackend).toEqual({ 'udp-a': s.ok })
    expectMicrosecondResolution(s)
  })

  it.each<[string, Partial<LoadPlan>]>([
    ['tcp', { protocol: 'tcp' }],
    ['http', { protocol: 'http' }],
    ['udp', { protocol: 'udp', timeoutMs: 300 }],
  ])('counts %s requests to a closed port as failures', async (_name, over) => {
    const port = await closedPort()
    const s = await nativeGenerator.run({ protocol: 'tcp', target: { host, port }, mode: 'closed', connections: 2, durationMs: 200, ...over })
    expectConsistent(s)
    expect(s.sent).toBeGreaterThan(0)
    expect(s.ok).toBe(0)
    expect((s.failures.byKind.connect ?? 0) + (s.failures.byKind.timeout ?? 0)).toBe(s.sent)
  })

  describe('reads every HTTP framing with the engine codec', () => {
    it.each<[string, () => Promise<{ port: number; seen: { connections: number } }>, 'reuse' | 'reconnect']>([
      ['chunked', () => scriptedHttpBackend({ behaviour: () => ({ chunked: true }) }), 'reuse'],
      ['Connection: close', () => scriptedHttpBackend({ behaviour: () => ({ close: true }) }), 'reconnect'],
      ['no body (204)', () => rawHttpServer('HTTP/1.1 204 No Content\r\nx-backend: r\r\n\r\n'), 'reuse'],
      ['a close-delimited body', () => rawHttpServer('HTTP/1.1 200 OK\r\nx-backend: r\r\n\r\nbody until close', true), 'reconnect'],
      ['100 Continue before the response', () => rawHttpServer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nx-backend: r\r\ncontent-length: 2\r\n\r\nok'), 'reuse'],
    ])('%s', async (_name, start, connections) => {
      const server = await start()
      const s = await nativeGenerator.run({ protocol: 'http', target: { host, port: server.port }, mode: 'closed', connections: 1, maxRequests: 20, durationMs: 3000 })
      expectConsistent(s)
      expect(s.ok).toBe(20)
      expectBackendsSumToOk(s)
      if (connections === 'reuse') expect(server.seen.connections).toBe(1)
      else expect(server.seen.connections).toBeGreaterThanOrEqual(20)
    })

    it('counts an unparsable response as a protocol failure', async () => {
      const server = await rawHttpServer('HTTP/1.1 2OO OK\r\n\r\n')
      const s = await nativeGenerator.run({ protocol: 'http', target: { host, port: server.port }, mode: 'closed', connections: 1, maxRequests: 5, durationMs: 2000 })
      expectConsistent(s)
      expect(s.failures.byKind).toEqual({ protocol: 5 })
    })
  })

  it('warns that the pool was too small for the open-loop rate', async () => {
    const server = await scriptedHttpBackend({ delayMs: 20 })
    const s = await nativeGenerator.run(httpPlan(server, { mode: 'open', rate: 500, connections: 1, durationMs: 400 }))
    expectConsistent(s)
    expect(s.warnings).toContainEqual(expect.stringMatching(/scheduled requests were never sent/))
    expect(s.warnings).toContainEqual(expect.stringMatching(/waited for a free connection/))
  })
})

function handshakeCount(encoded: string | undefined): number {
  return encoded === undefined ? 0 : LatencyHistogram.decode(encoded).count
}
