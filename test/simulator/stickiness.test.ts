import { describe, expect, it } from 'vitest'
import { loadScenario } from '../../harness/scenario/load-scenario.js'
import { simulateScenario } from '../../harness/simulator/simulate-scenario.js'
import type { RunResult } from '../../reports/result/result-model.js'
import { httpScenario, simulateOne } from './helpers.js'

/** Answers of backend `id` in the time series between `from` and `to` ms. */
function answersOf(run: RunResult, id: string, from: number, to: number): number {
  return run.timeseries.filter((s) => s.tMs >= from && s.tMs < to).reduce((sum, s) => sum + (s.byBackend[id] ?? 0), 0)
}

describe('session stickiness in simulation', () => {
  it('sticky-sessions.yaml: cookie, source-address hash and none, as the live run judges them', () => {
    const loaded = loadScenario(new URL('../../scenarios/sticky-sessions.yaml', import.meta.url).pathname)
    const result = simulateScenario(loaded)
    const run = (s: string) => result.runs.find((r) => r.variant['stickiness'] === s)!
    for (const r of result.runs) {
      expect(r.expectations.length, JSON.stringify(r.variant)).toBeGreaterThan(0)
      expect(r.expectations.every((e) => e.pass), JSON.stringify(r.expectations)).toBe(true)
      expect(r.warnings.join(' ')).not.toMatch(/not judged|not simulated/)
    }
    const cookie = run('cookie').sticky!
    // 40 clients over 4 backends by round robin: the 10 sessions on web-1 move once when it is
    // removed, and never back after the re-add, so the other three keep 40 sessions between them.
    expect(cookie.sessions).toBe(40)
    expect(cookie.violations).toBe(10)
    expect(cookie.imbalance).toBeCloseTo(14 / 10, 10)
    // web-1 comes back at 5 s (+ 0.5 s warm-up): no cookie leads a session to it.
    expect(answersOf(run('cookie'), 'web-1', 5500, 8000)).toBe(0)
    expect(answersOf(run('cookie'), 'web-1', 0, 2500)).toBeGreaterThan(0)
    // The source-address ring sends the removed backend's clients away and back again.
    const hash = run('source-ip').sticky!
    expect(hash.violations).toBeGreaterThan(cookie.violations)
    expect(answersOf(run('source-ip'), 'web-1', 5600, 8000)).toBeGreaterThan(0)
    // A random backend per request: 3 in 4 change backend, 2 in 3 while one of 4 is out.
    const none = run('none').sticky!.violationRate
    expect(none).toBeGreaterThan(0.68)
    expect(none).toBeLessThan(0.76)
  })

  it('a client that drops its cookies is not pinned: the pool balances it like any other', () => {
    // Random picks: without a pin, 3 requests in 4 of a client land on another backend than its last.
    const sticky = { algorithm: 'random', stickySession: { cookie: 'lb' }, retries: { attempts: 0 } }
    const kept = simulateOne(httpScenario({ count: 4, pool: sticky, load: { clients: 20, connections: 20, cookies: true, duration: '2s' } })).sticky!
    const dropped = simulateOne(httpScenario({ count: 4, pool: sticky, load: { clients: 20, connections: 20, cookies: false, duration: '2s' } })).sticky!
    expect(kept.requests).toBeGreaterThan(1900)
    expect(kept.violations).toBe(0)
    // ~1980 answers at p = 3/4: a standard error of 1 point; 0.70–0.80 is five either side.
    expect(dropped.requests).toBeGreaterThan(1900)
    expect(dropped.violationRate).toBeGreaterThan(0.7)
    expect(dropped.violationRate).toBeLessThan(0.8)
  })

  it('a pinned backend that fails health checks gives its sessions to the picker, which re-pins them', () => {
    const run = simulateOne(
      httpScenario({
        count: 3,
        pool: { stickySession: { cookie: 'lb' }, retries: { attempts: 0 }, healthCheck: { type: 'http', intervalMs: 100, timeoutMs: 50, rise: 2, fall: 2 } },
        load: { clients: 30, connections: 30, cookies: true, duration: '3s' },
        timeline: [{ at: '1s', do: 'pause', target: 'web[0]' }],
      }),
    )
    const s = run.sticky!
    // The 10 sessions of web-0 move once when it is found down; the rest never move. A session
    // whose request hung on the paused backend fails (timeout) and moves with its next answer.
    expect(s.violations).toBe(10)
    expect(answersOf(run, 'web-0', 1700, 4000)).toBe(0)
  })
})
