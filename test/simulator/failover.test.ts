import { describe, expect, it } from 'vitest'
import { resultFileSchema } from '../../reports/result/result-model.js'
import { httpScenario, simulate, simulateOne } from './helpers.js'

// Health checks every 200 ms (±10 % jitter, as the engine's checker), fall 2, rise 2, no network
// delay: a backend killed at t is first probed within (t, t + 220 ms], and found down by the
// second failed probe, 180–220 ms later: down within (t + 180, t + 440]. Likewise back up.
const healthCheck = { type: 'http', intervalMs: 200, timeoutMs: 150, rise: 2, fall: 2 }
const killAndRestart = [
  { at: '2s', do: 'kill', target: 'web[0]' },
  { at: '4s', do: 'restart', target: 'web[0]' },
]

describe('failover from the timeline', () => {
  it('kill, detection by health checks, failed requests until then, restart and rise', () => {
    const run = simulateOne(httpScenario({ pool: { healthCheck, retries: { attempts: 0 } }, timeline: killAndRestart }))
    const timeline = run.events.filter((e) => e.source === 'timeline')
    expect(timeline.map((e) => [e.tMs, e.type, e.target])).toEqual([
      [2000, 'kill', 'web[0]'],
      [4000, 'restart', 'web[0]'],
    ])
    const balancer = run.events.filter((e) => e.source === 'balancer' && e.target === 'web-0')
    expect(balancer.map((e) => e.type)).toEqual(['backend-down', 'backend-up'])
    const [down, up] = balancer
    expect(down!.tMs).toBeGreaterThan(2180)
    expect(down!.tMs).toBeLessThanOrEqual(2440)
    expect(up!.tMs).toBeGreaterThan(4180)
    expect(up!.tMs).toBeLessThanOrEqual(4440)

    // Round robin sends every third request to web-0: refused until the balancer takes it out.
    const { sent, ok, failed, failures } = run.summary.requests
    expect(sent).toBe(ok + failed)
    expect(failures.byStatus).toEqual({ '502': failed })
    const expectedFailed = (down!.tMs - 2000) / 3
    expect(Math.abs(failed - expectedFailed)).toBeLessThanOrEqual(2)

    const [f] = run.failover
    expect(f).toMatchObject({ fault: 'kill', target: 'web[0]', atMs: 2000, failedRequests: failed })
    expect(f!.detectionMs).toBeCloseTo(down!.tMs - 2000, 6)
    expect(f!.recoveryMs).not.toBeNull()
    // web-0 took no traffic while down, and its share again after rising.
    const during = run.timeseries.filter((s) => s.tMs >= 2500 && s.tMs < 4000)
    expect(during.every((s) => (s.byBackend['web-0'] ?? 0) === 0)).toBe(true)
    const after = run.timeseries.filter((s) => s.tMs >= 4500 && s.tMs < 6000)
    expect(after.every((s) => Math.abs((s.byBackend['web-0'] ?? 0) - s.ok / 3) <= 1)).toBe(true)
  })

  it('retries hide a dead backend completely', () => {
    const run = simulateOne(httpScenario({ pool: { healthCheck, retries: { attempts: 2 } }, timeline: killAndRestart }))
    expect(run.summary.requests.failed).toBe(0)
    expect(run.summary.requests.ok).toBe(run.summary.requests.sent)
    expect(run.failover[0]).toMatchObject({ failedRequests: 0, recoveryMs: 0 })
  })

  it('a hung backend: requests wait for the response timeout (504) until the checks time out', () => {
    const run = simulateOne(
      httpScenario({
        pool: { healthCheck, retries: { attempts: 2 }, timeouts: { responseMs: 500 } },
        // Enough client connections that none waits for a free one (see the last test below).
        simulation: { connections: 'unlimited' },
        timeline: [
          { at: '2s', do: 'pause', target: 'web[0]' },
          { at: '4s', do: 'resume', target: 'web[0]' },
        ],
      }),
    )
    const { sent, ok, failed, failures } = run.summary.requests
    expect(sent).toBe(ok + failed)
    // A timeout is not retried: every request sent to web-0 before it is taken out fails.
    expect(failures.byStatus).toEqual({ '504': failed })
    const down = run.events.find((e) => e.type === 'backend-down')!
    // First probe after the pause, its 150 ms timeout, 180–220 ms, the second probe's timeout.
    expect(down.tMs - 2000).toBeGreaterThan(480)
    expect(down.tMs - 2000).toBeLessThanOrEqual(740)
    expect(Math.abs(failed - (down.tMs - 2000) / 3)).toBeLessThanOrEqual(3)
    // Their latency is the timeout.
    expect(run.summary.latencyUs.max).toBeGreaterThanOrEqual(500_000)
    expect(run.summary.latencyUs.max).toBeLessThan(501_000)
  })

  it("the client's own timeout, when shorter than the balancer's", () => {
    const run = simulateOne(
      httpScenario({
        pool: { retries: { attempts: 0 } },
        load: { timeout: '300ms' },
        simulation: { connections: 'unlimited' },
        timeline: [
          { at: '2s', do: 'pause', target: 'web[0]' },
          { at: '3s', do: 'resume', target: 'web[0]' },
        ],
      }),
    )
    const { failed, failures } = run.summary.requests
    // No health checks: every third request in the pause waits; those sent in its first 700 ms
    // give up, those sent in the last 300 ms are answered when the backend resumes.
    expect(failures.byKind).toEqual({ timeout: failed })
    expect(Math.abs(failed - 700 / 3)).toBeLessThanOrEqual(2)
    expect(run.summary.latencyUs.max).toBeGreaterThan(290_000)
    expect(run.summary.latencyUs.max).toBeLessThan(300_000)
  })

  it('retries within the budget: 503 answers retried elsewhere, as far as the budget allows', () => {
    const errors = { behaviour: { errorRate: 1, errorStatus: 503 } }
    // Random picks, so that each first attempt meets web-0 with probability 1/3 (round robin's
    // shared position would shift with every retry pick).
    const base = (budgetPercent: number) =>
      httpScenario({
        pool: { algorithm: 'weighted-random', retries: { attempts: 2, budgetPercent, minRetriesPerSecond: 0 } },
        timeline: [{ at: '0s', do: 'set-behaviour', target: 'web[0]', ...errors }],
        load: { duration: '20s', warmup: '1s' },
      })
    const generous = simulateOne(base(100))
    expect(generous.summary.requests.failed).toBe(0)
    // Every third request needs one retry; a 20 % budget pays for 0.2 per request: about
    // 1/3 − 1/5 = 13 % fail, with their backend's 503.
    const tight = simulateOne(base(20))
    const rate = tight.summary.requests.failed / tight.summary.requests.sent
    expect(rate).toBeGreaterThan(0.11)
    expect(rate).toBeLessThan(0.155)
    expect(Object.keys(tight.summary.requests.failures.byStatus)).toEqual(['503'])
  })

  it('drain, weight, add and remove from the timeline', () => {
    const run = simulateOne(
      httpScenario({
        timeline: [
          { at: '1s', do: 'drain', target: 'web[1]' },
          { at: '2s', do: 'undrain', target: 'web[1]' },
          { at: '3s', do: 'add-backend', target: 'web' },
          { at: '4s', do: 'remove-backend', target: 'web[2]' },
          { at: '5s', do: 'set-weight', target: 'web[0]', weight: 3 },
        ],
        pool: { algorithm: 'smooth-weighted-round-robin', retries: { attempts: 0 } },
      }),
    )
    const share = (from: number, to: number, id: string) => {
      const xs = run.timeseries.filter((s) => s.tMs >= from && s.tMs < to)
      const all = xs.reduce((sum, s) => sum + s.ok, 0)
      return xs.reduce((sum, s) => sum + (s.byBackend[id] ?? 0), 0) / all
    }
    expect(share(1100, 2000, 'web-1')).toBe(0)
    expect(share(3100, 4000, 'web-3')).toBeCloseTo(0.25, 2)
    expect(share(4100, 5000, 'web-2')).toBe(0)
    // After set-weight: web-0 weight 3 against web-1 and web-3 at 1.
    expect(share(5100, 6000, 'web-0')).toBeCloseTo(0.6, 2)
    expect(run.events.filter((e) => e.source === 'timeline').map((e) => e.type)).toEqual(['drain', 'undrain', 'add-backend', 'remove-backend', 'set-weight'])
    expect(run.events.find((e) => e.type === 'add-backend')?.detail).toBe('web-3')
    expect(run.summary.requests.failed).toBe(0)
    expect(Object.keys(run.backends).sort()).toEqual(['web-0', 'web-1', 'web-2', 'web-3'])
  })

  it('is deterministic under a seed and produces valid result files', () => {
    const input = httpScenario({ pool: { algorithm: 'p2c', healthCheck, retries: { attempts: 1 } }, timeline: killAndRestart, simulation: { arrival: { kind: 'poisson' }, backends: { web: { servers: 1, service: { kind: 'exponential', meanMs: 2 } } } } })
    const a = simulate(input)
    const b = simulate(input)
    const strip = (r: typeof a) => JSON.stringify({ ...r, environment: null, runs: r.runs.map((x) => ({ ...x, startedAt: '', durationMs: 0, simulation: { ...x.simulation!, wallMs: 0 } })) })
    expect(strip(a)).toBe(strip(b))
    const c = simulate(input, { seed: 99 })
    expect(c.runs[0]!.summary.latencyUs).not.toEqual(a.runs[0]!.summary.latencyUs)
    for (const r of [a, c]) expect(resultFileSchema.safeParse(r).success).toBe(true)
  })
})
