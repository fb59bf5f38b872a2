import { spawnSync } from 'node:child_process'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Exposition } from '../../../engine/admin/exposition.js'
import { BucketHistogram } from '../../../engine/stats/bucket-histogram.js'
import type { EngineStats } from '../../../engine/stats/engine-stats.js'
import { admin, engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closedPort, closeServers, httpBackend, tcpServer } from '../../helpers/test-servers.js'
import { destroyAgents, keepAliveAgent, send } from '../l7/clients.js'

const required = process.env.LAYERBENCH_REQUIRE_PROMTOOL === '1'
const promtoolFound = spawnSync('promtool', ['--version']).status === 0

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

/** Parsed samples of a Prometheus text exposition: `name{labels} value`. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      if (m === null) throw new Error(`not a sample: ${line}`)
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]))
      return { name: m[1]!, labels, value: Number(m[3]) }
    })
}

/** An engine with an L7 listener (answers, a failure) and an L4 one, after some traffic, scraped. */
async function scrapedEngine() {
  const [app, echo, gone] = await Promise.all([httpBackend('app'), tcpServer('echo', (s) => s.pipe(s)), closedPort()])
  const engine = await engineFrom({
    admin: { listen: '127.0.0.1:0' },
    listeners: [
      {
        name: 'web',
        protocol: 'http',
        bind: '127.0.0.1:0',
        // Configured filters' counters and byte counts are in the exposition promtool checks.
        filters: [{ type: 'cache' }, { type: 'compress', minBytes: 0 }],
        routes: [
          { match: { path: { prefix: '/down/' } }, pool: 'down' },
          { match: { path: { prefix: '/' } }, pool: 'app' },
        ],
      },
      { name: 'db', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'echo' },
    ],
    pools: {
      app: { backends: [{ id: 'app-0', host: '127.0.0.1', port: app.port }] },
      echo: { backends: [{ id: 'echo-0', host: '127.0.0.1', port: echo.port }] },
      down: { retries: { attempts: 0 }, backends: [{ id: 'gone', host: '127.0.0.1', port: gone }] },
    },
  })
  const web = listenerAddress(engine, 'web')
  const agent = keepAliveAgent()
  for (let i = 0; i < 20; i++) expect((await send(web, `/app/${i}`, { agent, headers: { 'accept-encoding': 'gzip' } })).status).toBe(200)
  expect((await send(web, '/down/x', { agent })).status).toBe(502)
  const db = listenerAddress(engine, 'db')
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(db.port, db.host, () => s.end('ping\n'))
      s.on('error', reject).resume().on('end', () => resolve())
    })
  }
  const text = await (await fetch(`http://${engine.admin!.host}:${engine.admin!.port}/metrics`)).text()
  const { body: stats } = await admin<EngineStats>(engine, '/stats')
  return { text, stats }
}

describe.runIf(promtoolFound || required)('/metrics and promtool', () => {
  it('passes `promtool check metrics` with no lint problem', async () => {
    const { text } = await scrapedEngine()
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(`${r.stdout}${r.stderr}`).toBe('')
    expect(r.status).toBe(0)
  })

  it('finds what promtool lints for: a misnamed metric fails the same check', () => {
    // The check above proves something only if promtool rejects what the conventions forbid.
    const bad = '# HELP x_latency_microseconds t\n# TYPE x_latency_microseconds gauge\nx_latency_microseconds 1\n# HELP x_hits h\n# TYPE x_hits counter\nx_hits 1\n'
    const r = spawnSync('promtool', ['check', 'metrics'], { input: bad, encoding: 'utf8' })
    expect(r.status).not.toBe(0)
    expect(r.stdout + r.stderr).toMatch(/base unit "seconds"/)
    expect(r.stdout + r.stderr).toMatch(/counter metrics should have "_total" suffix/)
  })
})

describe.skipIf(promtoolFound || required)('/metrics and promtool (skipped)', () => {
  it.skip('needs promtool on PATH (Debian `prometheus`; .ci/run installs it and sets LAYERBENCH_REQUIRE_PROMTOOL=1)', () => {})
})

describe('/metrics agrees with /stats', () => {
  it('engine time is a histogram in seconds whose buckets hold the /stats percentiles', async () => {
    const { text, stats } = await scrapedEngine()
    const all = samples(text)
    for (const listener of ['web', 'db']) {
      const l = stats.listeners.find((x) => x.name === listener)!
      const of = (name: string) => all.filter((s) => s.name === name && s.labels.listener === listener)
      const buckets = of('layerbench_listener_engine_time_seconds_bucket')
      const count = of('layerbench_listener_engine_time_seconds_count')[0]!.value
      const sum = of('layerbench_listener_engine_time_seconds_sum')[0]!.value
      expect(count).toBe(l.engineTimeUs.count)
      expect(count).toBe(listener === 'web' ? 20 : 3)
      expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: count })
      // Cumulative: never decreasing with le.
      const counts = buckets.map((b) => b.value)
      expect(counts).toEqual([...counts].sort((a, b) => a - b))
      // The bucket holding the median holds at least half the samples, the one below it fewer.
      const bounds = buckets.map((b) => Number(b.labels.le))
      const at = bounds.findIndex((le) => le >= l.engineTimeUs.p50 / 1e6)
      expect(counts[at]).toBeGreaterThanOrEqual(count / 2)
      if (at > 0) expect(counts[at - 1]).toBeLessThanOrEqual(count / 2)
      // The sum is in seconds: the mean it gives is the /stats mean in µs, within HdrHistogram's
      // rounding to whole µs and its 3 significant digits.
      expect(Math.abs((sum / count) * 1e6 - l.engineTimeUs.mean)).toBeLessThanOrEqual(0.5 + l.engineTimeUs.mean * 1e-3)
    }
    const value = (name: string, labels: Record<string, string>) => all.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    const web = stats.listeners.find((x) => x.name === 'web')!
    // Kept-alive connections count their bytes while still open.
    expect(web.bytes.fromClients).toBeGreaterThan(21 * 'GET /app/0 HTTP/1.1\r\n\r\n'.length)
    expect(value('layerbench_listener_requests_total', { listener: 'web' })).toBe(21)
    expect(value('layerbench_listener_received_bytes_total', { listener: 'web' })).toBe(web.bytes.fromClients)
    expect(value('layerbench_listener_sent_bytes_total', { listener: 'web' })).toBe(web.bytes.toClients)
    expect(value('layerbench_listener_received_bytes_total', { listener: 'db' })).toBe(3 * 'ping\n'.length)
    expect(value('layerbench_backend_connect_failures_total', { pool: 'down', backend: 'gone' })).toBe(1)
    expect(value('layerbench_backend_responses_total', { pool: 'app', class: '2xx' })).toBe(20)
    expect(value('layerbench_build_info', {})).toBe(1)
    expect(all.find((s) => s.name === 'layerbench_build_info')!.labels.version).toBe(stats.version)
    const started = value('layerbench_process_start_time_seconds', {})!
    expect(Math.abs(started - (stats.atUs / 1e6 - stats.uptimeS))).toBeLessThan(0.01)
  })
})

describe('BucketHistogram', () => {
  it('counts a sample equal to a bound in that bucket, cumulatively, with the exact sum', () => {
    const h = new BucketHistogram([10, 100, 1000])
    for (const us of [1, 10, 10.5, 100, 999, 1000, 1001, 5e6]) h.record(us)
    expect(h.snapshot()).toEqual({ boundsUs: [10, 100, 1000], counts: [2, 4, 6], count: 8, sumUs: 1 + 10 + 10.5 + 100 + 999 + 1000 + 1001 + 5e6 })
  })

  it('matches a count of samples ≤ each bound for any samples', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const h = new BucketHistogram()
    const values = Array.from({ length: 5000 }, () => Math.exp(random() * 20))
    for (const v of values) h.record(v)
    const s = h.snapshot()
    s.boundsUs.forEach((b, i) => expect(s.counts[i], `le ${b}`).toBe(values.filter((v) => v <= b).length))
  })

  it('refuses bounds that do not increase', () => {
    expect(() => new BucketHistogram([1, 1])).toThrow(/increase/)
  })
})

describe('Exposition', () => {
  it.each([
    ['a counter without _total', (x: Exposition) => x.counter('layerbench_hits', 'h', {}, 1), /_total/],
    ['milliseconds', (x: Exposition) => x.gauge('layerbench_delay_milliseconds', 'h', {}, 1), /base units/],
    ['microseconds in a histogram', (x: Exposition) => x.histogram('layerbench_time_microseconds', 'h', {}, { bounds: [], counts: [], count: 0, sum: 0 }), /base units/],
    ['percent', (x: Exposition) => x.gauge('layerbench_cpu_percent', 'h', {}, 1), /base units/],
    ['a histogram named with its suffix', (x: Exposition) => x.histogram('layerbench_time_seconds_bucket', 'h', {}, { bounds: [], counts: [], count: 0, sum: 0 }), /suffixes/],
    ['one name, two types', (x: Exposition) => (x.gauge('layerbench_x', 'h', {}, 1), x.histogram('layerbench_x', 'h', {}, { bounds: [], counts: [], count: 0, sum: 0 })), /both gauge and histogram/],
    ['a bad label name', (x: Exposition) => x.gauge('layerbench_x', 'h', { 'a-b': '1' }, 1), /label name/],
  ])('throws on %s', (_, add, message) => {
    expect(() => add(new Exposition())).toThrow(message)
  })

  it('keeps a family together, escapes labels and help, spells non-finite values', () => {
    const x = new Exposition()
    x.gauge('layerbench_a', 'line one\nline two \\', { v: 'q"\\\n' }, NaN)
    x.counter('layerbench_b_total', 'b', {}, 2)
    x.gauge('layerbench_a', 'ignored', { v: 'second' }, Infinity)
    expect(x.text()).toBe(
      '# HELP layerbench_a line one\\nline two \\\\\n# TYPE layerbench_a gauge\nlayerbench_a{v="q\\"\\\\\\n"} NaN\nlayerbench_a{v="second"} +Inf\n' +
        '# HELP layerbench_b_total b\n# TYPE layerbench_b_total counter\nlayerbench_b_total 2\n',
    )
  })

  it('writes OpenMetrics: counter families without _total, UNIT, timestamps in seconds, # EOF', () => {
    const x = new Exposition('openmetrics')
    x.counter('layerbench_requests_total', 'r', { run: '1' }, 5, 1_700_000_000_250)
    x.histogram('layerbench_latency_seconds', 'l', {}, { bounds: [0.001], counts: [3], count: 4, sum: 0.0105 }, 1_700_000_000_000)
    expect(x.text()).toBe(
      [
        '# HELP layerbench_requests r',
        '# TYPE layerbench_requests counter',
        'layerbench_requests_total{run="1"} 5 1700000000.25',
        '# HELP layerbench_latency_seconds l',
        '# TYPE layerbench_latency_seconds histogram',
        '# UNIT layerbench_latency_seconds seconds',
        'layerbench_latency_seconds_bucket{le="0.001"} 3 1700000000',
        'layerbench_latency_seconds_bucket{le="+Inf"} 4 1700000000',
        'layerbench_latency_seconds_sum 0.0105 1700000000',
        'layerbench_latency_seconds_count 4 1700000000',
        '# EOF',
        '',
      ].join('\n'),
    )
  })
})
