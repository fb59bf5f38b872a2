import { describe, expect, it } from 'vitest'
import { judgeTargets, measure, relativeCpu, spreadOf, type DataplaneReport, type DataplaneRun, type DataplaneTarget } from '../../../harness/bench/dataplane/dataplane-model.js'
import { renderDataplaneTable } from '../../../harness/bench/dataplane/dataplane-table.js'

const run = (cpu: number, p99: number, extra: Partial<DataplaneRun> = {}): DataplaneRun => ({
  requests: 1000,
  errors: 0,
  rps: 300,
  latencyP50Us: p99 / 2,
  latencyP99Us: p99,
  addedP50Us: 10,
  addedP99Us: 20,
  proxyCpuPerRequestUs: cpu,
  backendCpuPerRequestUs: 5,
  clientCpuPerRequestUs: 7,
  ...extra,
})
const subject = (name: string, layer: 0 | 4 | 7, runs: DataplaneRun[]) => measure({ name, layer, description: name }, runs)
const report = (measurements: DataplaneReport['measurements']): DataplaneReport => ({
  schema: 'layerbench/dataplane-bench@2',
  startedAt: '2026-12-07T00:00:00Z',
  machine: { node: 'v20', platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpus: 2, memoryGiB: 8, layerbench: '0.1.0' },
  plan: { mode: 'keep-alive', connections: 16, requests: 1500, warmup: 3000, repeats: 3 },
  measurements,
  targets: [],
  warnings: [],
})

describe('data-plane model', () => {
  it.each([
    [[], { median: 0, min: 0, max: 0 }],
    [[3], { median: 3, min: 3, max: 3 }],
    [[5, 1, 3], { median: 3, min: 1, max: 5 }],
    // An even count takes the lower middle: a value that was measured.
    [[4, 1, 3, 2], { median: 2, min: 1, max: 4 }],
  ])('spread of %j', (values, spread) => {
    expect(spreadOf(values)).toEqual(spread)
  })

  it('a measurement holds each figure’s median and range over the repeats', () => {
    const m = subject('engine-l4', 4, [run(30, 900, { sendLagP50Us: 40 }), run(10, 700, { sendLagP50Us: 60 }), run(20, 800, { sendLagP50Us: 50 })])
    expect(m.median.proxyCpuPerRequestUs).toBe(20)
    expect(m.spread.proxyCpuPerRequestUs).toEqual({ median: 20, min: 10, max: 30 })
    expect(m.spread.latencyP99Us).toEqual({ median: 800, min: 700, max: 900 })
    expect(m.median.sendLagP50Us).toBe(50)
    expect(subject('x', 4, [run(1, 1)]).median.sendLagP50Us).toBeUndefined()
  })

  const targets: DataplaneTarget[] = [
    { modes: ['keep-alive'], subject: 'engine-l4', reference: 'haproxy-l4', metric: 'cpu', maxRatio: 1.15 },
    { modes: ['keep-alive', 'low-rate'], subject: 'engine-l4', reference: 'haproxy-l4', metric: 'p99', maxRatio: 1.5 },
    { modes: ['keep-alive'], subject: 'engine-l7', reference: 'haproxy-l7', metric: 'cpu', maxRatio: 1.4 },
  ]

  it('judges ratios per repeat against the reference of the same repeat, met on the median ratio', () => {
    // Repeat 2 ran on a slow moment for both: per-repeat ratios stay 1.1, 1.1, 1.3.
    const engine = subject('engine-l4', 4, [run(22, 1000), run(44, 3000), run(26, 1000)])
    const haproxy = subject('haproxy-l4', 4, [run(20, 1000), run(40, 1000), run(20, 1000)])
    const judged = judgeTargets(targets, 'keep-alive', [engine, haproxy])
    expect(judged.map((t) => [t.name, t.ratio, t.met])).toEqual([
      ['engine-l4 CPU per request ≤ 1.15× haproxy-l4', { median: 1.1, min: 1.1, max: 1.3 }, true],
      ['engine-l4 p99 latency ≤ 1.5× haproxy-l4', { median: 1, min: 1, max: 3 }, true],
    ])
  })

  it('shows a subject with a reference as its proxy CPU over the reference’s, paired by repeat; none when the reference did not run', () => {
    const bare = measure({ name: 'engine-l7-bare', layer: 7, description: 'empty chain' }, [run(50, 1), run(100, 1), run(50, 1)])
    const auth = measure({ name: 'engine-l7+auth-hs256', layer: 7, description: 'auth', relativeTo: 'engine-l7-bare' }, [run(60, 1), run(130, 1), run(75, 1)])
    const lone = measure({ name: 'engine-l7+access-log', layer: 7, description: 'log', relativeTo: 'nowhere' }, [run(60, 1)])
    expect(relativeCpu([bare, auth, lone])).toEqual([{ subject: 'engine-l7+auth-hs256', reference: 'engine-l7-bare', ratio: { median: 1.3, min: 1.2, max: 1.5 } }])
    const table = renderDataplaneTable({ ...report([bare, auth]), relative: relativeCpu([bare, auth]) })
    expect(table).toContain('engine-l7+auth-hs256: 1.30 (1.20–1.50)× engine-l7-bare')
  })

  it('judges only the targets of the mode, missed when the median ratio is over the limit', () => {
    const engine = subject('engine-l4', 4, [run(22, 2000), run(44, 1600)])
    const haproxy = subject('haproxy-l4', 4, [run(20, 1000), run(40, 1000)])
    const judged = judgeTargets(targets, 'low-rate', [engine, haproxy])
    expect(judged.map((t) => [t.metric, t.ratio.median, t.met])).toEqual([['p99', 1.6, false]])
    expect(judgeTargets(targets, 'new-connection', [engine, haproxy])).toEqual([])
  })

  it('renders medians with ranges, the host, the targets and the send lag', () => {
    const report: DataplaneReport = {
      schema: 'layerbench/dataplane-bench@2',
      startedAt: '2026-12-07T00:00:00Z',
      machine: { node: 'v20', platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpus: 2, memoryGiB: 8, layerbench: '0.1.0' },
      plan: { mode: 'low-rate', connections: 64, requests: 1500, warmup: 3000, repeats: 2, rate: 300 },
      measurements: [subject('direct', 0, [run(0, 400, { sendLagP50Us: 30 })]), subject('engine-l4', 4, [run(120, 900, { sendLagP50Us: 35 }), run(140, 950, { sendLagP50Us: 45 })])],
      targets: [{ name: 'engine-l4 CPU per request ≤ 1.15× haproxy-l4', subject: 'engine-l4', reference: 'haproxy-l4', metric: 'cpu', maxRatio: 1.15, ratio: { median: 1.5, min: 1.4, max: 1.6 }, met: false }],
      warnings: [],
    }
    const text = renderDataplaneTable(report)
    expect(text).toContain('(low-rate) — 300 req/s on 64 keep-alive connections, 1500 requests × 2 interleaved repeats')
    expect(text).toContain('host: 2 × Test CPU, Node v20')
    expect(text).toMatch(/engine-l4\s+L4\s+300\s+450\s+900\s+10\s+20\s+120\.0 \(120\.0–140\.0\)/)
    expect(text).toContain('client send lag p50: 30–35 µs')
    expect(text).toContain('✗ engine-l4 CPU per request ≤ 1.15× haproxy-l4: 1.50 (1.40–1.60)×')
  })
})
