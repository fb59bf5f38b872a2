import { describe, expect, it } from 'vitest'
import { mmcSojourn } from '../../harness/simulator/queueing-theory.js'
import { httpScenario, simulateOne } from './helpers.js'

/**
 * A balancer whose CPU is the only queue: Poisson arrivals at `rate`/s, backends that answer at
 * once (unlimited servers, no service time), the balancer's `cores` taking `perRequest` each.
 */
function cpuBound(rate: number, cores: number, perRequest: Record<string, unknown>, duration = '20s') {
  return simulateOne(
    httpScenario({
      count: 2,
      load: { rate, connections: 10_000, duration, warmup: '1s', timeout: '10s' },
      simulation: { arrival: { kind: 'poisson' }, backends: { web: { service: { kind: 'fixed', ms: 0 } } }, balancer: { cores, perRequest } },
    }),
  )
}

describe("the balancer's CPU (simulation.balancer)", () => {
  // 120 000 requests at ρ = 0.6: the relative standard error of the mean time in an M/D/1 or
  // M/M/c system is under 1 % (Whitt 1989's M/M/1 bound); 4 % leaves room for the histogram's
  // integer microseconds.
  it('one core of fixed time is an M/D/1 queue (Pollaczek–Khinchine)', () => {
    const d = 100 // µs
    const rho = 0.6
    const run = cpuBound((rho / d) * 1e6, 1, { kind: 'fixed', ms: d / 1000 })
    const theory = d + (rho * d) / (2 * (1 - rho)) // W = D + ρD/(2(1 − ρ))
    expect(Math.abs(run.summary.latencyUs.mean / theory - 1), `mean ${run.summary.latencyUs.mean} µs, theory ${theory}`).toBeLessThan(0.04)
    expect(run.summary.latencyUs.min).toBe(d)
    const b = run.simulation!.balancer!
    expect(b.cores).toBe(1)
    expect(Math.abs(b.utilisation - rho)).toBeLessThan(0.01)
    // Little's law for the waiting line: Lq = λ·Wq.
    expect(Math.abs(b.queue / (((rho / d) * (theory - d))) - 1)).toBeLessThan(0.05)
    // The live run's CPU column: the balancer's CPU per request.
    expect(run.cpu.perRequestUs.balancer).toBeCloseTo(d, 3)
    expect(run.summary.requests.failed).toBe(0)
  })

  it('two cores of exponential time are an M/M/2 queue (Erlang C)', () => {
    const meanUs = 100
    const lambda = 16 / 1000 // per µs: ρ = λ/(2μ) = 0.8
    const run = cpuBound(lambda * 1e6, 2, { kind: 'exponential', meanMs: meanUs / 1000 })
    const theory = mmcSojourn(lambda, 1 / meanUs, 2)
    expect(Math.abs(run.summary.latencyUs.mean / theory - 1), `mean ${run.summary.latencyUs.mean} µs, theory ${theory}`).toBeLessThan(0.04)
    expect(Math.abs(run.simulation!.balancer!.utilisation - 0.8)).toBeLessThan(0.01)
  })

  it('past its capacity the balancer falls behind: its queue and the waits grow for as long as the overload lasts', () => {
    // One core of 500 µs serves 2000/s; 3000/s are asked for 3 s.
    const run = cpuBound(3000, 1, { kind: 'fixed', ms: 0.5 }, '3s')
    const b = run.simulation!.balancer!
    expect(b.utilisation).toBeGreaterThan(0.999)
    expect(b.maxQueue).toBeGreaterThan(2000)
    expect(run.summary.latencyUs.p99).toBeGreaterThan(900_000)
    expect(run.summary.rps).toBeCloseTo(3000, -2)
  })

  it("a connection per request adds the connection's CPU to every request, and only then", () => {
    // 100/s of 100 µs at most: the core is busy 1 % of the time, so waits are rare and the
    // fastest request shows the CPU time alone.
    const cpu = { cores: 1, perRequest: { kind: 'fixed', ms: 0.02 }, perConnection: { kind: 'fixed', ms: 0.08 } }
    const run = (newConnectionPerRequest: boolean) =>
      simulateOne(
        httpScenario({
          count: 2,
          load: { rate: 100, duration: '5s', newConnectionPerRequest },
          simulation: { backends: { web: { service: { kind: 'fixed', ms: 0 } } }, balancer: cpu },
        }),
      )
    const fresh = run(true)
    expect(fresh.summary.latencyUs.min).toBe(100)
    expect(fresh.cpu.perRequestUs.balancer).toBeCloseTo(100, 3)
    const kept = run(false)
    expect(kept.summary.latencyUs.min).toBe(20)
    expect(kept.cpu.perRequestUs.balancer).toBeCloseTo(20, 3)
  })

  it('applies to the implementations it names, never to a direct run, and says so', () => {
    const cpu = { cores: 1, perRequest: { kind: 'fixed', ms: 0.05 }, implementations: ['engine'] }
    const run = (implementation: string) => {
      const input = httpScenario({ count: 2, load: { rate: 100, duration: '2s' }, simulation: { backends: { web: { service: { kind: 'fixed', ms: 0 } } }, balancer: cpu } })
      return simulateOne({ ...input, balancer: { ...input.balancer, implementation } } as typeof input)
    }
    expect(run('engine').cpu.perRequestUs.balancer).toBeCloseTo(50, 3)
    const haproxy = run('haproxy')
    expect(haproxy.cpu.perRequestUs.balancer).toBeNull()
    expect(haproxy.summary.latencyUs.max).toBe(0)
    expect(haproxy.warnings.join('\n')).toContain("haproxy: the simulation's balancer CPU describes engine")
    const direct = run('direct')
    expect(direct.simulation!.balancer).toBeUndefined()
    expect(direct.warnings.join('\n')).toContain('direct: no balancer')
  })

  it('without the section the balancer takes no time and reports no CPU', () => {
    const run = simulateOne(httpScenario({ count: 2, load: { duration: '1s' }, simulation: { backends: { web: { service: { kind: 'fixed', ms: 1 } } } } }))
    expect(run.summary.latencyUs.max).toBe(1000)
    expect(run.simulation!.balancer).toBeUndefined()
    expect(run.cpu.perRequestUs.balancer).toBeNull()
  })
})
