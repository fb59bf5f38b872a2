import { describe, expect, it } from 'vitest'
import { algorithms } from '../../engine/balancing/registry.js'
import { ekm1Sojourn, mm1Sojourn, mmcSojourn, supermarketSojourn } from '../../harness/simulator/queueing-theory.js'
import { simulateTextbook } from '../../harness/simulator/textbook.js'

/*
 * The simulator against queueing theory. Every system here is the closed form's own: Poisson
 * arrivals, single-server FIFO backends with exponential service (mean 1 ms, so μ = 1 per ms and
 * times below are in service times), no timeouts, no retries — and the engine's own pickers.
 *
 * Tolerances, and why a correct simulator meets them with these sample sizes (runs are seeded, so
 * each outcome is reproducible; the margins are what makes them robust to the seed):
 * - The error of a simulated mean comes from the autocorrelation of queue lengths. For M/M/1 the
 *   time-average number in system over t service times has relative variance
 *   2(1 + ρ)/(ρ(1 − ρ)² t) (Whitt, "Planning queueing simulations", Management Science 35(11),
 *   1989). At ρ = 0.8 with 800k requests over 4 servers (t = 250k each) that is 2.1 % per server,
 *   1.1 % for the mean of four independent servers: a 5 % tolerance is more than 4.5 standard
 *   errors. E_4/M/1 queues are less variable than M/M/1, so the same bound is conservative.
 * - Warm-up: each run discards as many requests as it measures (N = 1000: as many as it
 *   measures); starting empty biases a mean low until the queue reaches equilibrium, within a few
 *   relaxation times 1/(μ(1 − √ρ)²) ≈ 90 service times at ρ = 0.8, far shorter than any warm-up here.
 * - The supermarket model is the N → ∞ limit; at finite N the mean is higher (+18 % at N = 10 at
 *   λ = 0.9). Observed over seeds: N = 100 within +1…+3 %, N = 1000 within ±1 %. The checks: N = 10
 *   at least 8 % above the limit, N = 1000 within 3 % of it, and N = 10 at least four times as far
 *   from it as N = 1000.
 * - HdrHistogram keeps 3 significant digits: a mean is exact to 0.05 % — negligible here.
 */

const CASES = 800_000

describe('the simulator matches queueing theory', () => {
  it('random split to N M/M/1 servers: W = 1/(μ − λ) (λ the rate each server sees)', () => {
    for (const rho of [0.5, 0.8]) {
      const { meanMs } = simulateTextbook({ algorithm: 'weighted-random', backends: 4, load: rho, requests: CASES, warmupRequests: CASES / 4, seed: 7 })
      const theory = mm1Sojourn(rho, 1)
      expect(Math.abs(meanMs / theory - 1), `ρ = ${rho}: simulated ${meanMs}, M/M/1 ${theory}`).toBeLessThan(0.05)
    }
  })

  it('round robin over N servers is E_N/M/1: W = 1/(μ(1 − σ)), σ = (Nλ/(Nλ + μ(1 − σ)))^N', () => {
    const n = 4
    const rho = 0.8
    const { meanMs } = simulateTextbook({ algorithm: 'round-robin', backends: n, load: rho, requests: CASES, warmupRequests: CASES / 4, seed: 7 })
    const theory = ekm1Sojourn(n, rho, 1)
    expect(Math.abs(meanMs / theory - 1), `simulated ${meanMs}, E_4/M/1 ${theory}`).toBeLessThan(0.05)
    // And well apart from what a random split gives (M/M/1: 5 service times against 3.27).
    expect(meanMs).toBeLessThan(0.8 * mm1Sojourn(rho, 1))
  })

  it('P2C approaches the supermarket model (Mitzenmacher) as N grows', () => {
    const limit = supermarketSojourn(0.9, 1, 2)
    const err = (n: number, requests: number) => simulateTextbook({ algorithm: 'p2c', backends: n, load: 0.9, requests, warmupRequests: requests, seed: 3 }).meanMs / limit - 1
    const small = err(10, 400_000)
    const large = err(1000, 1_000_000)
    expect(small, `N = 10: ${(small * 100).toFixed(2)} % above the limit`).toBeGreaterThan(0.08)
    expect(Math.abs(large), `N = 1000: ${(large * 100).toFixed(2)} % from the limit`).toBeLessThan(0.03)
    expect(Math.abs(small)).toBeGreaterThan(4 * Math.abs(large))
  }, 60_000)

  it('least connections is bounded below by M/M/c, and the algorithms order as theory says', () => {
    // Ten single-server backends at ρ = 0.9. M/M/10 (one shared queue) is the floor of any
    // dispatcher; joining the shortest queue comes close; two choices next; round robin; random.
    const n = 10
    const rho = 0.9
    const mean = (algorithm: string) => simulateTextbook({ algorithm, backends: n, load: rho, requests: 500_000, warmupRequests: 100_000, seed: 5 }).meanMs
    const lc = mean('least-connections')
    const p2c = mean('p2c')
    const rr = mean('round-robin')
    const random = mean('weighted-random')
    const floor = mmcSojourn(rho * n, 1, n)
    // The sample mean of LC is itself noisy: 2 % below the floor would already be several standard errors.
    expect(lc, `LC ${lc} against M/M/10 ${floor}`).toBeGreaterThan(floor * 0.98)
    expect(lc).toBeLessThan(floor * 1.3)
    expect(lc).toBeLessThan(p2c)
    expect(p2c).toBeLessThan(rr)
    expect(rr).toBeLessThan(random)
    // M/M/1 at ρ = 0.9: 2.75 % standard error over ten servers (Whitt), so 12 % is over 4 of them.
    expect(Math.abs(random / mm1Sojourn(rho, 1) - 1)).toBeLessThan(0.12)
  }, 60_000)

  it('at low load every algorithm converges to the service time', () => {
    // ρ = 0.02: even a random split only adds ρ/(1 − ρ) ≈ 2 % (M/M/1). 100k requests give the
    // mean of exponential times a standard error of 0.32 %: the band [−1.5 %, +3.5 %] is 2 % of
    // queueing plus 4.7 standard errors either side.
    for (const algorithm of Object.keys(algorithms)) {
      const { meanMs } = simulateTextbook({ algorithm, backends: 10, load: 0.02, requests: 100_000, warmupRequests: 1000, seed: 9, keys: 100_000 })
      expect(meanMs, algorithm).toBeGreaterThan(0.985)
      expect(meanMs, algorithm).toBeLessThan(1.035)
    }
  }, 60_000)
})
