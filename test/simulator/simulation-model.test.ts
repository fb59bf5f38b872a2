import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EngineError } from '../../engine/errors.js'
import { LatencyHistogram } from '../../engine/stats/latency-histogram.js'
import { loadScenario } from '../../harness/scenario/load-scenario.js'
import { isSimulationOnly, simulateScenario } from '../../harness/simulator/simulate-scenario.js'
import { simulateTextbook } from '../../harness/simulator/textbook.js'
import { resultFileSchema, type RunResult } from '../../reports/result/result-model.js'
import { httpScenario, scenario, simulate, simulateOne } from './helpers.js'

const repo = (path: string) => new URL(`../../${path}`, import.meta.url).pathname

/** Every interval adds up to the run's totals, and sent = ok + failed. */
function expectAccounted(run: RunResult): void {
  const r = run.summary.requests
  expect(r.sent).toBe(r.ok + r.failed)
  const sum = (k: 'sent' | 'ok' | 'failed') => run.timeseries.reduce((s, x) => s + x[k], 0)
  expect([sum('sent'), sum('ok'), sum('failed')]).toEqual([r.sent, r.ok, r.failed])
  expect(Object.values(run.backends).reduce((s, b) => s + b.requests, 0)).toBe(r.ok)
}

describe('service-time distributions (M/G/1, Pollaczek–Khinchine)', () => {
  // W = E[S] + λE[S²]/(2(1 − ρ)) for one server (Kleinrock §5.6). 400k requests at ρ ≤ 0.7: the
  // M/M/1 bound on the relative standard error (Whitt 1989) is about 1 %; bimodal service is more
  // variable, hence 5 %.
  it.each([
    ['deterministic (M/D/1)', { kind: 'fixed', ms: 1 }, 0.7, 1, 1],
    ['bimodal', { kind: 'bimodal', fastMs: 0.5, slowMs: 5.5, slowFraction: 0.1 }, 0.5, 1, 0.9 * 0.25 + 0.1 * 30.25],
    ['log-normal', { kind: 'lognormal', medianMs: Math.exp(-0.125), sigma: 0.5 }, 0.5, 1, Math.exp(0.25)],
  ] as const)('%s', (_name, service, rho, mean, second) => {
    const { meanMs } = simulateTextbook({ algorithm: 'round-robin', backends: 1, load: rho, requests: 400_000, seed: 4, service })
    const theory = mean + ((rho / mean) * second) / (2 * (1 - rho))
    expect(Math.abs(meanMs / theory - 1), `simulated ${meanMs}, P-K ${theory}`).toBeLessThan(0.05)
  })
})

describe('the load', () => {
  it("closed loop: N clients without think time keep N requests in flight (Little's law)", () => {
    const base = { pool: { algorithm: 'least-connections' }, load: { mode: 'closed', rate: undefined, connections: 8, duration: '2s', warmup: '100ms' }, simulation: { backends: { web: { service: { kind: 'fixed', ms: 1 } } } } }
    const near = (x: number, want: number) => expect(Math.abs(x / want - 1), `${x} against ${want}`).toBeLessThan(0.005)
    const free = simulateOne(httpScenario(base))
    near(free.summary.rps, 8000)
    expect(free.summary.latencyUs.p50).toBe(1000)
    expect(free.load).toMatchObject({ mode: 'closed', connections: 8, generator: 'simulator' })
    const thinking = simulateOne(httpScenario({ ...base, simulation: { ...base.simulation, arrival: { kind: 'closed', think: '1ms' } } }))
    near(thinking.summary.rps, 4000)
    const paced = simulateOne(httpScenario({ ...base, load: { ...base.load, rate: 2000 } }))
    near(paced.summary.rps, 2000)
    for (const r of [free, thinking, paced]) expectAccounted(r)
  })

  it("open loop: requests wait for a free connection, and only the corrected latency sees the wait", () => {
    const run = simulateOne(httpScenario({ count: 1, load: { rate: 1000, connections: 1, duration: '2s', warmup: 0 }, simulation: { backends: { web: { service: { kind: 'fixed', ms: 2 } } } } }))
    // One connection serves 500/s of the 1000/s asked: every request still goes out, late.
    expect(run.summary.requests.sent).toBe(2000)
    expect(run.summary.latencyUs.max).toBe(2000)
    expect(run.summary.correctedLatencyUs!.max).toBeGreaterThan(1_990_000)
    // Every answer is in both histograms; the first request did not wait, so the minima agree.
    expect(run.summary.correctedLatencyUs!.count).toBe(run.summary.latencyUs.count)
    expect(run.summary.correctedLatencyUs!.min).toBe(run.summary.latencyUs.min)
    expectAccounted(run)
  })

  it('open loop without a connection limit: the corrected latencies are the measured ones; closed loop has none', () => {
    const service = { kind: 'exponential', meanMs: 1 }
    const open = simulateOne(httpScenario({ count: 2, load: { rate: 1500, duration: '3s', warmup: '100ms', intervalMs: 500 }, simulation: { connections: 'unlimited', backends: { web: { service } } } }))
    expect(open.summary.latencyUs.count).toBeGreaterThan(4000)
    expect(open.summary.correctedLatencyUs).toEqual(open.summary.latencyUs)
    const closed = simulateOne(httpScenario({ count: 2, load: { mode: 'closed', rate: undefined, connections: 4, duration: '1s', warmup: 0 }, simulation: { backends: { web: { service } } } }))
    expect(closed.summary.latencyUs.count).toBeGreaterThan(1000)
    expect(closed.summary.correctedLatencyUs).toBeUndefined()
  })

  it('network delay: each way, on top of the service time', () => {
    const run = simulateOne(httpScenario({ load: { rate: 100 }, simulation: { network: { kind: 'fixed', ms: 1 }, backends: { web: { service: { kind: 'fixed', ms: 1 } } } } }))
    expect([run.summary.latencyUs.min, run.summary.latencyUs.max]).toEqual([3000, 3000])
  })

  it('replays a recorded trace, relative to the scenario file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerbench-sim-'))
    writeFileSync(join(dir, 'trace.csv'), 'ms\n' + Array.from({ length: 500 }, (_, i) => `${i * 2 + (i % 3)}`).join('\n'))
    const file = join(dir, 'replay.yaml')
    writeFileSync(file, JSON.stringify(httpScenario({ name: 'replay', load: { warmup: 0, duration: '10s' }, simulation: { arrival: { kind: 'replay', file: 'trace.csv' } } })))
    const result = simulateScenario(loadScenario(file))
    const run = result.runs[0]!
    expect(run.summary.requests.sent).toBe(500)
    expect(run.simulation!.arrival).toBe('replay of 500 sends')
    // The trace lasts 1 s: the measured window ends with it.
    expect(run.load.durationMs).toBeLessThan(1100)
  })

  it('routes a weighted split and a header-forced canary as the engine would (canary-split.yaml)', () => {
    const result = simulateScenario(loadScenario(repo('scenarios/canary-split.yaml')))
    const run = result.runs[0]!
    expect(run.expectations.every((e) => e.pass), JSON.stringify(run.expectations)).toBe(true)
    expect(run.routing!.misrouted).toBe(0)
    expect(run.routing!.checked).toBeGreaterThan(0)
    expect(run.groups.canary!.share).toBeCloseTo(0.145, 2)
  })
})

describe('station measurements', () => {
  it('M/M/1 at ρ = 0.5: utilisation 0.5, on average 0.5 waiting (ρ²/(1 − ρ)) and 0.5 in service', () => {
    // 300k requests over one server: M/M/1 queue lengths have a relative standard error of about
    // 1 % there (Whitt 1989), utilisation far less; bands of 3 % and 8 %.
    const run = simulateOne(
      httpScenario({ count: 1, load: { rate: 500, duration: '600s', warmup: '10s', intervalMs: 60_000 }, simulation: { arrival: { kind: 'poisson' }, connections: 'unlimited', backends: { web: { servers: 1, service: { kind: 'exponential', meanMs: 1 } } } } }),
    )
    const sim = run.simulation!
    expect(sim.utilisation!.mean).toBeGreaterThan(0.485)
    expect(sim.utilisation!.mean).toBeLessThan(0.515)
    expect(Math.abs(sim.queue.mean / 0.5 - 1)).toBeLessThan(0.08)
    expect(Math.abs(sim.inService.mean / 0.5 - 1)).toBeLessThan(0.03)
    expect(sim.perBackend!['web-0']!.maxQueue).toBeGreaterThan(5)
    expect(sim.timeseries).toHaveLength(run.timeseries.length)
    expect(sim.timeseries[0]!.byBackend!['web-0']!.utilisation).toBeGreaterThan(0.4)
    expect(sim.fairness).toEqual({ jain: 1, maxOverMean: 1, minOverMean: 1 })
  })

  it('fairness of the spread per unit of weight', () => {
    const run = simulateOne(httpScenario({ count: 4, pool: { algorithm: 'round-robin' }, load: { duration: '2s' } }))
    expect(run.simulation!.fairness.jain).toBeCloseTo(1, 6)
    const skewed = simulateOne(httpScenario({ count: 4, pool: { algorithm: 'ring-hash', hashKey: { source: 'source-ip' } }, load: { duration: '2s', clients: 2 } }))
    // Two client addresses can reach at most two of four backends.
    expect(skewed.simulation!.fairness.jain).toBeLessThanOrEqual(0.5 + 1e-9)
  })
})

describe('scenarios and results', () => {
  it('the repository scenarios simulate into valid result files whose histograms decode to their summaries', () => {
    for (const file of ['scenarios/failover.yaml', 'test/fixtures/scenarios/algorithm-spread.yaml']) {
      const loaded = loadScenario(repo(file), { quick: true })
      const result = simulateScenario({ ...loaded, repeats: 1 })
      const parsed = resultFileSchema.safeParse(result)
      expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true)
      expect(result.environment.provider).toBe('simulator')
      for (const run of result.runs) {
        expect(run.provider).toBe('simulator')
        expect(run.balancer.implementation).toBe('simulator')
        expectAccounted(run)
        // The encoding keeps buckets, not the exact maximum: that comes back to 3 significant digits.
        const { max, ...decoded } = LatencyHistogram.decode(run.histograms.latency!).summary()
        const { max: exactMax, ...summary } = run.summary.latencyUs
        expect(decoded).toEqual(summary)
        expect(Math.abs(max - exactMax)).toBeLessThanOrEqual(exactMax / 1000)
      }
    }
  }, 60_000)

  it('the failover scenario keeps its promises in simulation', () => {
    const result = simulateScenario(loadScenario(repo('scenarios/failover.yaml'), { quick: true }))
    expect(result.runs.flatMap((r) => r.expectations).length).toBeGreaterThan(result.runs.length)
    for (const run of result.runs) expect(run.expectations.filter((e) => !e.pass), run.id).toEqual([])
  })

  it('simulation-only scenarios are marked for run to skip', () => {
    expect(isSimulationOnly(loadScenario(repo('scenarios/scale-10k.yaml')))).toBe(true)
    expect(isSimulationOnly(loadScenario(repo('scenarios/failover.yaml')))).toBe(false)
  })

  it('rejects what cannot be simulated, every problem at once, with a stable code', () => {
    const bad = httpScenario({ simulation: { backends: { nope: { servers: 1 } }, arrival: { kind: 'replay', file: 'missing.csv' } } })
    let error: unknown
    try {
      simulate(bad)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(EngineError)
    expect((error as EngineError).code).toBe('LB_ERR_INVALID_SIMULATION')
    const paths = (error as EngineError).issues.map((i) => i.path)
    expect(paths).toContain('simulation.arrival.file')
    // An unknown key is a schema error of the scenario itself.
    expect(() => scenario({ ...httpScenario({}), simulation: { servers: 3 } } as never)).toThrow(/simulation/)
  })
})
