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
    // Vacuous without expectations: each run of the quick matrix carries some.
    for (const r of result.runs) expect(r.expectations.length, JSON.stringify(r.variant)).toBeGreaterThan(0)
    for (const r of result.runs) expect(r.expectations.filter((e) => !e.pass), JSON.stringify(r.variant)).toEqual([])
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
  it("measures the handshake where TLS ends and each layer's cost on the request", () => {
    const result = simulateScenario(loadScenario(new URL('../../scenarios/tls-passthrough-vs-termination.yaml', import.meta.url).pathname), { requests: 5000 })
    const run = (tls: string, connection: string) => result.runs.find((r) => r.variant['tls'] === tls && r.variant['connection'] === connection)!
    for (const r of result.runs) {
      expect(r.expectations.every((e) => e.pass)).toBe(true)
      expect(r.warnings.filter((w) => w.includes('not judged in simulation')).length).toBeGreaterThan(0)
    }
    // ~2 ms of handshake CPU either way (mean 1.99 ms), plus the connection's share at the
    // balancer (means: 0.33 ms at layer 4, 0.23 ms at layer 7). 5 000 handshakes of a σ 0.5
    // lognormal: a standard error of 0.7 %, so 4 % holds; the waits at 100/s add well under 1 %.
    const handshake = (tls: string) => run(tls, 'new').summary.handshakeUs!.mean
    expect(Math.abs(handshake('passthrough') / 2323 - 1)).toBeLessThan(0.04)
    expect(Math.abs(handshake('termination') / 2225 - 1)).toBeLessThan(0.04)
    // The request itself: the relay's 35 µs or the proxy's 85 µs, and the backend's 20.
    expect(run('termination', 'new').summary.latencyUs.mean - run('passthrough', 'new').summary.latencyUs.mean).toBeGreaterThan(35)
    // On kept-alive connections no handshake is simulated, and the result says so.
    expect(run('passthrough', 'keep-alive').summary.handshakeUs).toBeUndefined()
    expect(run('passthrough', 'keep-alive').warnings.join(' ')).toContain('TLS handshakes on kept-alive connections')
  })
})
