import { describe, expect, it } from 'vitest'
import { loadScenario } from '../../harness/scenario/load-scenario.js'
import { simulateScenario } from '../../harness/simulator/simulate-scenario.js'

describe('l4-vs-l7.yaml in simulation: the layers cost what the live runs measured', () => {
  // The quick matrix: direct, the engine at both layers (fixed rate and max), HAProxy at the fixed rate.
  const result = simulateScenario(loadScenario(new URL('../../scenarios/l4-vs-l7.yaml', import.meta.url).pathname, { quick: true }))
  const run = (balancer: string, layer: string, load: string) => {
    const r = result.runs.find((x) => x.variant['balancer'] === balancer && x.variant['layer'] === layer && x.variant['load'] === load)
    if (r === undefined) throw new Error(`no run ${balancer} ${layer} ${load}`)
    return r
  }

  it('every expectation holds', () => {
    for (const r of result.runs) expect(r.expectations.every((e) => e.pass), JSON.stringify(r.variant)).toBe(true)
  })

  it("charges the engine's CPU per layer (35 and 85 µs a request), no one else's", () => {
    expect(run('engine', 'l4', 'fixed-rate').cpu.perRequestUs.balancer).toBeGreaterThan(30)
    expect(run('engine', 'l4', 'fixed-rate').cpu.perRequestUs.balancer).toBeLessThan(40)
    expect(run('engine', 'l7', 'fixed-rate').cpu.perRequestUs.balancer).toBeGreaterThan(78)
    expect(run('engine', 'l7', 'fixed-rate').cpu.perRequestUs.balancer).toBeLessThan(92)
    expect(run('direct', 'l4', 'fixed-rate').cpu.perRequestUs.balancer).toBeNull()
    expect(run('haproxy', 'l7', 'fixed-rate').cpu.perRequestUs.balancer).toBeNull()
  })

  it('at a low fixed rate layer 7 adds its extra ~50 µs of CPU to the mean latency', () => {
    // 300/s keeps the balancer's core ≤ 3 % busy: waits for it are negligible.
    const l4 = run('engine', 'l4', 'fixed-rate').summary.latencyUs.mean
    const l7 = run('engine', 'l7', 'fixed-rate').summary.latencyUs.mean
    const direct = run('direct', 'l4', 'fixed-rate').summary.latencyUs.mean
    expect(l7 - l4).toBeGreaterThan(40)
    expect(l7 - l4).toBeLessThan(60)
    expect(l4 - direct).toBeGreaterThan(28)
    expect(l4 - direct).toBeLessThan(42)
  })

  it("at maximum load the balancer's one core is the bottleneck: rates in the inverse ratio of the CPU per request", () => {
    const l4 = run('engine', 'l4', 'max')
    const l7 = run('engine', 'l7', 'max')
    expect(l4.simulation!.balancer!.utilisation).toBeGreaterThan(0.98)
    expect(l7.simulation!.balancer!.utilisation).toBeGreaterThan(0.98)
    // Saturated, each serves 1 / (mean CPU per request): ~28.5 k/s and ~11.8 k/s.
    const ratio = l4.summary.rps / l7.summary.rps
    const expected = l7.cpu.perRequestUs.balancer! / l4.cpu.perRequestUs.balancer!
    expect(Math.abs(ratio / expected - 1)).toBeLessThan(0.03)
    expect(l4.summary.rps * l4.cpu.perRequestUs.balancer! * 1e-6).toBeGreaterThan(0.97)
  })
})

describe('tls-passthrough-vs-termination.yaml in simulation', () => {
  it('says that TLS is not simulated, and leaves what the backends see unjudged', () => {
    const result = simulateScenario(loadScenario(new URL('../../scenarios/tls-passthrough-vs-termination.yaml', import.meta.url).pathname, { quick: true }))
    expect(result.runs.length).toBeGreaterThan(1)
    for (const r of result.runs) {
      expect(r.warnings.some((w) => w.startsWith('TLS handshakes and encryption are not simulated'))).toBe(true)
      expect(r.warnings.filter((w) => w.includes('not judged in simulation')).length).toBeGreaterThan(0)
      expect(r.expectations.some((e) => e.name.startsWith('backend receives'))).toBe(false)
    }
  })
})
