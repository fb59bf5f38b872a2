/**
 * The behaviour every load generator must show over HTTP, run by each generator's test file: the
 * same servers, plans and expectations, so the instruments are held to one standard.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { LatencyHistogram } from '../../../engine/stats/latency-histogram.js'
import { quantileSorted } from '../../../reports/statistics/quantile.js'
import type { IntervalSample, LoadGenerator, LoadPlan, LoadSummary } from '../../../harness/load/index.js'
import { RATE_WARNING_SHARE } from '../../../harness/load/load-warnings.js'
import { closeServers, type TestServer } from '../../helpers/test-servers.js'
import { scriptedHttpBackend, testCertificate, type HttpBehaviour } from './servers.js'

const host = '127.0.0.1'

/** A closed-loop HTTP plan against `server`. */
export function httpPlan(server: TestServer, over: Partial<LoadPlan> = {}): LoadPlan {
  return { protocol: 'http', target: { host, port: server.port }, mode: 'closed', connections: 2, durationMs: 500, ...over }
}

/** The invariants every summary keeps, whatever happened. */
export function expectConsistent(s: LoadSummary): void {
  expect(s.sent).toBe(s.ok + s.failed)
  expect(Object.values(s.failures.byKind).reduce((a, b) => a + b, 0)).toBe(s.failed)
  const series = (k: 'sent' | 'ok' | 'failed') => s.timeseries.reduce((a, x) => a + x[k], 0)
  expect([series('sent'), series('ok'), series('failed')]).toEqual([s.sent, s.ok, s.failed])
  expect(LatencyHistogram.decode(s.histograms.latency).count).toBe(s.latencyUs.count)
}

/** Backend counts add up to the successful replies (every backend names itself). */
export function expectBackendsSumToOk(s: LoadSummary): void {
  expect(Object.values(s.byBackend).reduce((a, b) => a + b, 0)).toBe(s.ok)
}

/**
 * Checks the latency distribution has sub-millisecond resolution: values that are not whole
 * milliseconds and percentiles that differ. No floor or ceiling on the figure itself — how long a
 * loopback exchange takes is a property of the host (18 µs on a fast one), not of the generator.
 */
export function expectMicrosecondResolution(s: LoadSummary): void {
  expect(s.latencyUs.p50).toBeGreaterThan(0)
  const h = LatencyHistogram.decode(s.histograms.latency)
  const values = Array.from({ length: 99 }, (_, k) => h.percentile(k + 1))
  expect(values.filter((v) => v % 1000 === 0).length).toBeLessThan(values.length / 2)
  // Distinct percentiles show the resolution; on an idle machine a loopback exchange is so steady
  // that p5–p95 once spanned only 4 µs, so the tails (p1, p99) are in and three values suffice.
  expect(new Set(values).size).toBeGreaterThan(2)
}

/**
 * Checks that a generator reads a slow server's latency as what the server spent, measured by the
 * server itself in the same run (`heldUs`): never less (a reply cannot come before the server wrote
 * it), and within twice (the loopback and the generator add far less than a 20 ms hold). The
 * server's own figure includes its timers firing late on a busy host, so no bound here depends on
 * how fast or how loaded the host is.
 */
export function expectLatencyOfServer(s: LoadSummary, heldUs: readonly number[]): void {
  expect(heldUs.length).toBeGreaterThanOrEqual(s.ok)
  const held = quantileSorted([...heldUs].sort((a, b) => a - b), 0.5)
  // HdrHistogram keeps 3 significant digits: allow its rounding below the exact median.
  expect(s.latencyUs.p50).toBeGreaterThanOrEqual(held * 0.99)
  expect(s.latencyUs.p50).toBeLessThanOrEqual(2 * held)
}

/** Options of the suite: what the generator cannot do, each with its reason. */
export interface ConformanceOptions {
  readonly skip?: Readonly<Record<string, string>>
}

const failureCases: { name: string; behaviour: (i: number) => HttpBehaviour; kind: string; timeoutMs?: number }[] = [
  { name: 'a server that resets every 4th connection', behaviour: (i) => (i % 4 === 3 ? { reset: true } : {}), kind: 'reset' },
  { name: 'a server answering 503 to every 3rd request', behaviour: (i) => (i % 3 === 2 ? { status: 503 } : {}), kind: 'status' },
  { name: 'a server that never answers', behaviour: () => ({ hang: true }), kind: 'timeout', timeoutMs: 1000 },
]

/** Runs the shared suite against `generator`. */
export function generatorConformance(generator: LoadGenerator, options: ConformanceOptions = {}): void {
  const test = (name: string, fn: () => Promise<void>) => (options.skip?.[name] === undefined ? it(name, fn) : it.skip(`${name} (${options.skip[name]})`, fn))

  describe(`${generator.name}: load-generator conformance`, () => {
    afterEach(closeServers)

    test('reads a fixed 20 ms backend as about 20 ms', async () => {
      const heldUs: number[] = []
      const server = await scriptedHttpBackend({ delayMs: 20, heldUs })
      const s = await generator.run(httpPlan(server, { connections: 4, durationMs: 600 }))
      expectConsistent(s)
      expect(s.failed).toBe(0)
      expectLatencyOfServer(s, heldUs)
      expect(s.generator).toBe(generator.name)
    })

    test('times a fast keep-alive path in microseconds, not whole milliseconds', async () => {
      const server = await scriptedHttpBackend()
      const s = await generator.run(httpPlan(server, { connections: 1, durationMs: 500, warmupMs: 100 }))
      expectConsistent(s)
      expect(s.ok).toBeGreaterThan(100)
      expectMicrosecondResolution(s)
    })

    test('counts replies per backend', async () => {
      const server = await scriptedHttpBackend({ id: ['a', 'b', 'c'] })
      const s = await generator.run(httpPlan(server, { connections: 3, durationMs: 400 }))
      expectConsistent(s)
      expect(Object.keys(s.byBackend).sort()).toEqual(['a', 'b', 'c'])
      expectBackendsSumToOk(s)
      for (const n of Object.values(s.byBackend)) expect(Math.abs(n - s.ok / 3)).toBeLessThanOrEqual(s.ok * 0.05 + 2)
    })

    for (const c of failureCases) {
      test(`keeps sent = ok + failed with ${c.name}`, async () => {
        const server = await scriptedHttpBackend({ behaviour: c.behaviour })
        const s = await generator.run(httpPlan(server, { durationMs: 400, ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }) }))
        expectConsistent(s)
        expect(s.sent).toBeGreaterThan(0)
        expect(s.failures.byKind[c.kind]).toBeGreaterThan(0)
        if (c.kind === 'status') expect(s.failures.byStatus['503']).toBe(s.failures.byKind.status)
        if (c.kind === 'timeout') expect(s.failed).toBe(s.sent)
        else expect(s.ok).toBeGreaterThan(0)
        expectBackendsSumToOk(s)
      })
    }

    test('sends a fixed open-loop schedule against a fast server, and warns only when the rate fell short', async () => {
      const server = await scriptedHttpBackend()
      const s = await generator.run(httpPlan(server, { mode: 'open', rate: 400, connections: 8, durationMs: 1000 }))
      expectConsistent(s)
      expect(s.requestedRate).toBe(400)
      // The schedule holds 400 requests; late ones are sent late, not dropped (a count, not a rate
      // over the wall time, which a busy host stretches).
      expect(s.sent).toBeGreaterThanOrEqual(380)
      expect(s.sent).toBeLessThanOrEqual(401)
      expect(s.warnings.some((w) => w.startsWith('achieved'))).toBe(s.achievedRate < RATE_WARNING_SHARE * 400)
      // One corrected sample per reply, plus any HdrHistogram adds for a generator without due times.
      expect(s.correctedLatencyUs?.count).toBeGreaterThanOrEqual(s.latencyUs.count)
    })

    test('warns when the requested rate is unreachable', async () => {
      const server = await scriptedHttpBackend({ delayMs: 20 })
      const s = await generator.run(httpPlan(server, { mode: 'open', rate: 1000, connections: 2, durationMs: 500 }))
      expectConsistent(s)
      expect(s.achievedRate).toBeLessThan(500)
      expect(s.warnings).toContainEqual(expect.stringMatching(/^achieved \d+ req\/s of 1000 requested$/))
    })

    test('stops promptly on abort, counting what was in flight', async () => {
      const server = await scriptedHttpBackend({ behaviour: (i) => (i < 4 ? {} : { hang: true }) })
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 300)
      const plan = httpPlan(server, { durationMs: 10_000, timeoutMs: 5000 })
      const started = performance.now()
      const s = await generator.run(plan, ac.signal)
      // Promptly: the hung requests are counted as aborted, not waited for until their timeout.
      expect(performance.now() - started).toBeLessThan(plan.timeoutMs!)
      expectConsistent(s)
      expect(s.ok).toBe(4)
      expect(s.failures.byKind.aborted).toBe(2)
      expect(s.failures.byKind.timeout).toBeUndefined()
    })

    test('stops at maxRequests', async () => {
      const server = await scriptedHttpBackend()
      const s = await generator.run(httpPlan(server, { maxRequests: 50, durationMs: 5000 }))
      expectConsistent(s)
      expect(s.sent).toBe(50)
      expect(s.ok).toBe(50)
    })

    test('leaves warm-up requests out and emits a time series', async () => {
      const server = await scriptedHttpBackend()
      const samples: IntervalSample[] = []
      const s = await generator.run(httpPlan(server, { warmupMs: 200, durationMs: 400, intervalMs: 100 }), undefined, (x) => samples.push(x))
      expectConsistent(s)
      expect(server.seen.requests).toBeGreaterThan(s.sent)
      expect(s.timeseries.length).toBeGreaterThanOrEqual(4)
      expect(samples).toEqual(s.timeseries)
      expect(s.timeseries.map((x) => x.startMs).slice(0, 4)).toEqual([0, 100, 200, 300])
    })

    test('sends per-request headers and a request body', async () => {
      const keys = new Set<string>()
      const lengths = new Set<string>()
      const server = await scriptedHttpBackend({
        onRequest: (h) => {
          keys.add(String(h['x-key']))
          lengths.add(String(h['content-length']))
        },
      })
      const s = await generator.run(httpPlan(server, { maxRequests: 40, http: { method: 'POST', path: '/p?q=1', bodyBytes: 100 }, headersPerRequest: (i) => ({ 'x-key': `k${i}` }) }))
      expectConsistent(s)
      expect(s.ok).toBe(40)
      expect(keys.size).toBeGreaterThanOrEqual(40)
      expect([...lengths]).toEqual(['100'])
    })

    test('measures HTTPS over kept-alive connections, handshakes apart', async () => {
      const cert = testCertificate()
      const server = await scriptedHttpBackend({ tls: cert })
      const s = await generator.run({ ...httpPlan(server, { connections: 2, durationMs: 400 }), protocol: 'https', target: { host, port: server.port, ca: cert.cert, serverName: 'localhost' } })
      expectConsistent(s)
      expect(s.failed).toBe(0)
      expect(s.handshakeUs?.count).toBe(2)
      expect(server.seen.connections).toBe(2)
      // Handshakes apart: a request on a kept-alive connection costs less than setting one up.
      expect(s.latencyUs.p50).toBeLessThan(s.handshakeUs!.p50)
    })

    test('reports generator CPU', async () => {
      const server = await scriptedHttpBackend()
      const s = await generator.run(httpPlan(server, { durationMs: 300 }))
      expect(s.generatorCpu.userUs + s.generatorCpu.systemUs).toBeGreaterThan(0)
      expect(s.generatorCpu.perRequestUs).toBeGreaterThan(0)
      expect(s.generatorCpu.utilisation).toBeGreaterThan(0)
    })
  })
}
