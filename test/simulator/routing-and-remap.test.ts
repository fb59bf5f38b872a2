import { describe, expect, it } from 'vitest'
import type { ScenarioInput } from '../../harness/scenario/scenario-schema.js'
import { httpScenario, simulateOne } from './helpers.js'

describe('timeline changes to routing and membership', () => {
  it("set-weight on a route's split re-weights it as the engine's admin API does", () => {
    const input = {
      name: 'reweight',
      backends: { stable: { count: 2 }, canary: { count: 1 } },
      balancer: {
        listeners: [{ name: 'web', protocol: 'http', routes: [{ name: 'rollout', split: [{ pool: 'stable', weight: 90 }, { pool: 'canary', weight: 10 }] }] }],
        pools: { stable: { backends: 'stable' }, canary: { backends: 'canary' } },
      },
      load: { mode: 'open', rate: 2000, duration: '4s', warmup: '200ms', intervalMs: 500 },
      timeline: [
        { at: '2s', do: 'set-weight', target: 'stable', route: 'rollout', weight: 0 },
        { at: '2s', do: 'set-weight', target: 'canary', route: 'rollout', weight: 100 },
      ],
    } as ScenarioInput
    const run = simulateOne(input)
    const share = (from: number, to: number) => {
      const xs = run.timeseries.filter((s) => s.tMs >= from && s.tMs < to)
      const all = xs.reduce((sum, s) => sum + s.ok, 0)
      return xs.reduce((sum, s) => sum + (s.byBackend['canary-0'] ?? 0), 0) / all
    }
    // 4000 requests at 10 %: a binomial standard error of 0.47 points; 2 points is over four.
    expect(Math.abs(share(0, 2000) - 0.1)).toBeLessThan(0.02)
    expect(share(2000, 4000)).toBe(1)
    expect(run.events.filter((e) => e.source === 'timeline').map((e) => e.detail)).toEqual(['route rollout: stable weight 0', 'route rollout: canary weight 100'])
  })

  it('remove-backend and add-backend group[i]: the keys (clients) that moved, as a live run counts them', () => {
    const run = simulateOne(
      httpScenario({
        count: 5,
        pool: { algorithm: 'rendezvous', hashKey: { source: 'source-ip' }, retries: { attempts: 0 } },
        load: { rate: 2000, clients: 200, connections: 200, duration: '3s', warmup: '200ms' },
        timeline: [
          { at: '1s', do: 'remove-backend', target: 'web[2]' },
          { at: '2s', do: 'add-backend', target: 'web[2]' },
        ],
      }),
    )
    expect(run.remap).toHaveLength(2)
    const [removed, added] = run.remap!
    expect(removed).toMatchObject({ change: 'remove-backend web[2]', backendsBefore: 5, backendsAfter: 4, keys: 200 })
    expect(added).toMatchObject({ change: 'add-backend web[2]', backendsBefore: 4, backendsAfter: 5, keys: 200 })
    // Rendezvous moves exactly the keys that must move: web-2's, about 1/5 of 200 each way.
    for (const r of [removed!, added!]) {
      expect(r.moved).toBe(r.minimal)
      expect(r.movedShare).toBeGreaterThan(0.1)
      expect(r.movedShare).toBeLessThan(0.3)
    }
    expect(added!.moved).toBe(removed!.moved)
    expect(run.backends['web-2']!.requests).toBeGreaterThan(0)
    expect(run.fairness!.maxOverMean).toBeGreaterThan(1)
    expect(run.summary.requests.failed).toBe(0)
  })
})
