import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { backendOf } from '../../../harness/load/autocannon-tap.js'
import { httpRequestEncoder } from '../../../harness/load/connections/http-request.js'
import { HttpResponseReader, type ResponseProgress } from '../../../harness/load/connections/http-response-reader.js'
import { parseLineReply } from '../../../harness/load/connections/line-connection.js'
import { parseUdpReply, udpDatagram } from '../../../harness/load/connections/udp-connection.js'
import { generatorCpu } from '../../../harness/load/generator-cpu.js'
import {
  ConstantRateSchedule,
  generatorFor,
  loadGenerators,
  loadPlanIssues,
  LoadRecorder,
  loadWarnings,
  resolvePlan,
  type IntervalSample,
  type LoadPlan,
} from '../../../harness/load/index.js'

const ms = (n: number) => BigInt(n) * 1_000_000n

describe('constant-rate schedule', () => {
  const s = new ConstantRateSchedule(ms(1000), 4, ms(2000)) // 4/s for one second: due at 0, 250, 500, 750 ms

  it.each([
    [999, 0],
    [1000, 1],
    [1249, 1],
    [1250, 2],
    [1999, 4],
    [5000, 4],
  ])('at %d ms, %d requests are due', (at, due) => {
    expect(s.dueBy(ms(at))).toBe(due)
  })

  it('places request i at start + i / rate, and holds only those due before the end', () => {
    expect([0, 1, 2, 3].map((i) => s.dueAt(i))).toEqual([ms(1000), ms(1250), ms(1500), ms(1750)])
    expect(s.length).toBe(4)
    expect(new ConstantRateSchedule(0n, 3, ms(1000)).length).toBe(3)
    expect(new ConstantRateSchedule(0n, 2.5, ms(1000)).length).toBe(3)
  })

  it('refuses a rate that is not positive', () => {
    expect(() => new ConstantRateSchedule(0n, 0, ms(1))).toThrow(RangeError)
  })
})

describe('load recorder', () => {
  it('counts, classifies and splits into intervals from the end of the warm-up', () => {
    const samples: IntervalSample[] = []
    const r = new LoadRecorder(ms(100), 10, (x) => samples.push(x))
    r.recordSent(ms(101))
    r.recordSent(ms(105))
    r.recordCompletion(ms(106), { ok: true, status: '200', backend: 'a', latencyUs: 1000, correctedUs: 5000 })
    r.recordSent(ms(131))
    r.recordCompletion(ms(132), { ok: false, kind: 'status', status: '503', backend: 'b', latencyUs: 900, correctedUs: 900 })
    r.recordCompletion(ms(140), { ok: false, kind: 'timeout' })
    r.recordHandshake(250)
    expect(r.inFlight).toBe(0)
    const s = r.summary({ generator: 'g', protocol: 'http', mode: 'open', requestedRate: 100, elapsedMs: 40, generatorCpu: generatorCpu({ user: 0, system: 0 }, 1, 3), warnings: [] })
    expect([s.sent, s.ok, s.failed]).toEqual([3, 1, 2])
    expect(s.failures).toEqual({ byKind: { status: 1, timeout: 1 }, byStatus: { '503': 1 } })
    expect(s.byBackend).toEqual({ a: 1 })
    expect(s.latencyUs.count).toBe(2)
    expect(s.correctedLatencyUs?.max).toBeGreaterThanOrEqual(4995)
    expect(s.handshakeUs?.count).toBe(1)
    expect(s.achievedRate).toBe(75)
    expect(s.timeseries.map((x) => [x.startMs, x.sent, x.ok, x.failed])).toEqual([
      [0, 2, 1, 0],
      [10, 0, 0, 0],
      [20, 0, 0, 0],
      [30, 1, 0, 1],
      [40, 0, 0, 1],
    ])
    expect(s.timeseries[3]?.byStatus).toEqual({ '503': 1 })
    expect(samples).toEqual(s.timeseries)
  })

  it('applies HdrHistogram’s correction when only an expected interval is known', () => {
    const r = new LoadRecorder(0n, 1000)
    r.recordSent(1n)
    r.recordCompletion(2n, { ok: true, latencyUs: 100_000, expectedIntervalUs: 10_000 })
    const s = r.summary({ generator: 'g', protocol: 'http', mode: 'open', elapsedMs: 1, generatorCpu: generatorCpu({ user: 0, system: 0 }, 1, 1), warnings: [] })
    expect(s.latencyUs.count).toBe(1)
    expect(s.correctedLatencyUs?.count).toBe(10)
  })
})

describe('send lag', () => {
  it('summarises due → sent per measured open-loop request, and only when recorded', () => {
    const r = new LoadRecorder(0n, 1000)
    for (const lag of [10, 20, 30, 40, 1000]) r.recordSendLag(lag)
    const ctx = () => ({ generator: 'g', protocol: 'http' as const, mode: 'open' as const, elapsedMs: 1, generatorCpu: generatorCpu({ user: 0, system: 0 }, 1, 1), warnings: [] })
    expect(r.summary(ctx()).sendLagUs).toMatchObject({ count: 5, min: 10, p50: 30, max: 1000 })
    expect(new LoadRecorder(0n, 1000).summary(ctx()).sendLagUs).toBeUndefined()
  })
})

describe('warnings', () => {
  it.each([
    [{ cpuUtilisation: 0.5, achievedRate: 100, sent: 100 }, []],
    [{ cpuUtilisation: 0.97, achievedRate: 100, sent: 100 }, ['generator CPU at 97% of a core: it may be the bottleneck']],
    [{ cpuUtilisation: 0.2, requestedRate: 10000, achievedRate: 8123, sent: 100 }, ['achieved 8123 req/s of 10000 requested']],
    [{ cpuUtilisation: 0.2, requestedRate: 10000, achievedRate: 9600, sent: 100 }, []],
    [{ cpuUtilisation: 0.2, requestedRate: 100, achievedRate: 100, unsent: 3, queued: 1, sent: 200 }, ['3 scheduled requests were never sent: every connection was busy (raise connections)']],
    [{ cpuUtilisation: 0.2, requestedRate: 100, achievedRate: 100, queued: 10, sent: 200 }, ['10 of 200 requests waited for a free connection: corrected latency includes that queueing']],
    // Send lag: warned about only when above 100 µs and above 5% of the median latency.
    [{ cpuUtilisation: 0.2, requestedRate: 200, achievedRate: 200, sent: 200, sendLagUs: { p50: 460, p99: 990 }, latencyP50Us: 2400 }, ['requests left a median 460 µs (p99 990 µs) after their due time: corrected latency charges that to the system under test']],
    [{ cpuUtilisation: 0.2, requestedRate: 200, achievedRate: 200, sent: 200, sendLagUs: { p50: 60, p99: 990 }, latencyP50Us: 400 }, []],
    [{ cpuUtilisation: 0.2, requestedRate: 200, achievedRate: 200, sent: 200, sendLagUs: { p50: 460, p99: 990 }, latencyP50Us: 20_000 }, []],
  ])('%j → %j', (inputs, expected) => {
    expect(loadWarnings(inputs)).toEqual(expected)
  })

  it('computes generator CPU per request and per wall time', () => {
    expect(generatorCpu({ user: 600, system: 200 }, 1000, 8)).toEqual({ userUs: 600, systemUs: 200, perRequestUs: 100, utilisation: 0.8 })
  })
})

describe('load plan', () => {
  const valid: LoadPlan = { protocol: 'http', target: { host: '127.0.0.1', port: 8080 }, mode: 'closed', connections: 1, durationMs: 100 }

  it('fills defaults', () => {
    expect(resolvePlan(valid)).toMatchObject({ warmupMs: 0, timeoutMs: 10_000, intervalMs: 1000, maxRequests: Infinity, newConnectionPerRequest: false, tcpPayload: 'ping', udpPayloadBytes: 64 })
  })

  it('reports every problem at once, with its path', () => {
    const bad = { protocol: 'quic', target: { host: '', port: 0, extra: 1 }, mode: 'open', connections: 0, durationMs: -1, tcpPayload: 'a\nb', http: { method: 'G T', path: 'x' }, typo: 1 } as unknown as LoadPlan
    expect(loadPlanIssues(bad).map((i) => i.path)).toEqual([
      'typo',
      'protocol',
      'target.extra',
      'target.host',
      'target.port',
      'connections',
      'rate',
      'durationMs',
      'tcpPayload',
      'http.method',
      'http.path',
    ])
    const err = (() => {
      try {
        resolvePlan(bad)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(EngineError)
    expect((err as EngineError).code).toBe('LB_ERR_INVALID_OPTIONS')
  })

  it('refuses a rate on a closed loop', () => {
    expect(loadPlanIssues({ ...valid, rate: 10 }).map((i) => i.path)).toEqual(['rate'])
  })
})

describe('HTTP response reader', () => {
  const read = (method: string, chunks: string[], end = false): ResponseProgress[] => {
    const r = new HttpResponseReader(method)
    const out = chunks.map((c) => r.feed(Buffer.from(c, 'latin1')))
    if (end) out.push(r.end())
    return out
  }
  const done = (status: number, backend: string | undefined, reusable: boolean): ResponseProgress => ({ state: 'complete', status, backend, reusable })
  const more: ResponseProgress = { state: 'incomplete' }

  it.each<[string, string, string[], boolean, ResponseProgress[]]>([
    ['Content-Length, split anywhere', 'GET', ['HTTP/1.1 200 OK\r\nx-backend: a\r\ncontent-le', 'ngth: 4\r\n\r\nab', 'cd'], false, [more, more, done(200, 'a', true)]],
    ['chunked', 'GET', ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n', '0\r\n\r\n'], false, [more, done(200, undefined, true)]],
    ['close-delimited', 'GET', ['HTTP/1.1 200 OK\r\n\r\nbody'], true, [more, done(200, undefined, false)]],
    ['HEAD with a length', 'HEAD', ['HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n'], false, [done(200, undefined, true)]],
    ['interim 100 first', 'GET', ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n'], false, [done(503, undefined, true)]],
    ['Connection: close', 'GET', ['HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'], false, [done(200, undefined, false)]],
    ['stray bytes after the response', 'GET', ['HTTP/1.1 204 No Content\r\n\r\nxx'], false, [done(204, undefined, false)]],
    ['HTTP/1.0 without keep-alive', 'GET', ['HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n'], false, [done(200, undefined, false)]],
  ])('%s', (_name, method, chunks, end, expected) => {
    expect(read(method, chunks, end)).toEqual(expected)
  })

  it.each([
    ['a bad status line', ['HTTP/1.1 2OO OK\r\n\r\n'], false],
    ['bad chunk framing', ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'], false],
    ['a close mid-body', ['HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'], true],
  ])('fails on %s', (_name, chunks, end) => {
    expect(read('GET', chunks, end).at(-1)?.state).toBe('error')
  })
})

describe('request and reply encodings', () => {
  it('encodes the HTTP request once, or per request with extra headers', () => {
    const target = { host: '127.0.0.1', port: 8080 }
    const fixed = httpRequestEncoder(target, { method: 'POST', path: '/x', bodyBytes: 3, headers: { 'x-a': '1' } }, { close: true })
    expect(fixed(0).toString('latin1')).toBe('POST /x HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nuser-agent: layerbench\r\nx-a: 1\r\ncontent-length: 3\r\nconnection: close\r\n\r\nxxx')
    expect(fixed(1)).toBe(fixed(0))
    const per = httpRequestEncoder({ host: '::1', port: 80 }, { hostHeader: 'example.test' }, { perRequest: (i) => ({ cookie: `k=${i}` }) })
    expect(per(7).toString('latin1')).toBe('GET / HTTP/1.1\r\nhost: example.test\r\nuser-agent: layerbench\r\ncookie: k=7\r\n\r\n')
    expect(() => httpRequestEncoder(target, { headers: { 'x-b': 'a\r\nb' } })).toThrow()
  })

  it.each([
    ['b1 ping', { ok: true, backend: 'b1' }],
    ['b1 ERR', { ok: false, kind: 'status', status: 'ERR', backend: 'b1' }],
    ['b1 pong', { ok: false, kind: 'protocol', backend: 'b1' }],
    ['garbage', { ok: false, kind: 'protocol' }],
  ])('judges the line reply %j', (line, expected) => {
    expect(parseLineReply(line, 'ping')).toEqual(expected)
  })

  it('judges UDP replies, ignoring late ones', () => {
    const sent = udpDatagram(12, 20)
    expect(sent.toString()).toBe('12 xxxxxxxxxxxxxxxxx')
    expect(parseUdpReply(Buffer.concat([Buffer.from('u1:'), sent]), sent, 3)).toEqual({ ok: true, backend: 'u1' })
    expect(parseUdpReply(Buffer.concat([Buffer.from('u1:'), udpDatagram(11, 20)]), sent, 3)).toBeUndefined()
    expect(parseUdpReply(Buffer.from('u1:12 yyyy'), sent, 3)).toEqual({ ok: false, kind: 'protocol', backend: 'u1' })
    expect(parseUdpReply(Buffer.from('no separator'), sent, 3)).toEqual({ ok: false, kind: 'protocol' })
  })

  it('finds x-backend in autocannon’s header list', () => {
    expect(backendOf({ headers: ['Content-Length', '2', 'X-Backend', 'b7'] })).toBe('b7')
    expect(backendOf({ headers: ['a', 'b'] })).toBeUndefined()
    expect(backendOf(undefined)).toBeUndefined()
  })
})

describe('generator registry', () => {
  it('names every generator and refuses unknown ones with a code', () => {
    expect(Object.keys(loadGenerators)).toEqual(['layerbench', 'autocannon'])
    for (const [name, g] of Object.entries(loadGenerators)) expect(generatorFor(name)).toBe(g)
    expect(generatorFor('layerbench').name).toBe('layerbench')
    expect(() => generatorFor('wrk')).toThrow(expect.objectContaining({ code: 'LB_ERR_INVALID_OPTIONS' }))
    expect(() => generatorFor('toString')).toThrow(EngineError)
  })
})
