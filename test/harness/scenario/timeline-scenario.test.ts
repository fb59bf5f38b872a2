import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { parseScenario } from '../../../harness/scenario/load-scenario.js'
import { splitArmsOf } from '../../../harness/scenario/split-arms.js'
import { scaleTimes } from '../../../harness/scenario/time-scale.js'

/** A canary: route `rollout` splits between pools stable and canary; route `forced` sends to canary. */
const canary = (over: Record<string, unknown> = {}) => ({
  name: 'canary',
  backends: { stable: { count: 2 }, canary: { count: 1 } },
  balancer: {
    listeners: [
      {
        name: 'web',
        protocol: 'http',
        routes: [
          { name: 'forced', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, pool: 'canary' },
          { name: 'rollout', split: [{ pool: 'stable', weight: 95 }, { pool: 'canary', weight: 5 }] },
        ],
      },
    ],
    pools: { stable: { backends: 'stable' }, canary: { backends: 'canary' } },
  },
  load: { duration: '8s', warmup: '1s' },
  ...over,
})

const issues = (raw: unknown) => {
  try {
    parseScenario(raw, 'test.yaml', '')
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError)
    return (e as EngineError).issues.map((i) => `${i.path}: ${i.message}`)
  }
  throw new Error('expected the scenario to be rejected')
}

describe('set-weight on a route split', () => {
  it('finds the arms of a route whose pools draw from a group', () => {
    const s = parseScenario(canary(), 'x', '').variants[0]!.scenario
    expect(splitArmsOf(s.balancer, 'rollout', 'canary')).toEqual({ listener: 'web', pools: ['canary'] })
    expect(splitArmsOf(s.balancer, 'rollout', 'stable')).toEqual({ listener: 'web', pools: ['stable'] })
    expect(splitArmsOf(s.balancer, 'forced', 'canary')).toEqual({ listener: 'web', pools: [] })
    expect(splitArmsOf(s.balancer, 'nope', 'canary')).toBeUndefined()
    // A named route is known by its name only; an unnamed one as route-<index>.
    expect(splitArmsOf(s.balancer, 'route-1', 'canary')).toBeUndefined()
    const unnamed = { ...s.balancer, listeners: [{ ...s.balancer.listeners[0]!, routes: [{ match: {}, split: [{ pool: 'canary', weight: 1 }] }] }] }
    expect(splitArmsOf(unnamed, 'route-0', 'canary')).toEqual({ listener: 'web', pools: ['canary'] })
  })

  it('accepts a step of the canary', () => {
    const s = parseScenario(canary({ timeline: [{ at: '3s', do: 'set-weight', target: 'canary', route: 'rollout', weight: 25 }] }), 'x', '').variants[0]!.scenario
    expect(s.timeline[0]).toEqual({ at: 3000, do: 'set-weight', target: 'canary', route: 'rollout', weight: 25 })
  })

  it.each([
    ['an unknown route', { target: 'canary', route: 'nope' }, 'timeline[0].route: no listener has a route "nope" (unnamed routes are route-<index>)'],
    ['a route without a split', { target: 'canary', route: 'forced' }, 'timeline[0].route: no split arm of route forced draws from group canary'],
    ['one backend of a group', { target: 'stable[1]', route: 'rollout' }, 'timeline[0].target: a split weighs pools: target a whole group'],
  ])('rejects %s', (_, entry, message) => {
    expect(issues(canary({ timeline: [{ at: '3s', do: 'set-weight', weight: 25, ...entry }] }))).toContain(message)
  })
})

describe('add-backend of one instance (re-adding a removed backend)', () => {
  it('accepts group[i] within the group', () => {
    const s = parseScenario(canary({ timeline: [{ at: '2s', do: 'remove-backend', target: 'stable[1]' }, { at: '4s', do: 'add-backend', target: 'stable[1]' }] }), 'x', '').variants[0]!.scenario
    expect(s.timeline[1]).toMatchObject({ do: 'add-backend', target: 'stable[1]' })
    expect(issues(canary({ timeline: [{ at: '4s', do: 'add-backend', target: 'stable[2]' }] }))).toContain('timeline[0].target: stable has 2 backend(s)')
  })
})

describe('quick.timeScale', () => {
  const timed = canary({
    timeline: [{ at: '4s', do: 'set-weight', target: 'canary', route: 'rollout', weight: 50 }],
    quick: { duration: '4s', timeScale: 0.5 },
    expect: [
      { share: { groups: { stable: 1, canary: 1 }, window: { from: '4.5s', to: '8s' } } },
      { errorRate: { max: 0.1 }, window: { from: '4.5s', to: '8s' } },
      { groupShare: { group: 'canary', max: 0.1, window: { from: '0s', to: '4s' } } },
      { errorRate: { max: 0.1 } },
      { failover: { detectionMs: { max: 1000 } } },
    ],
  })

  it('scales the timeline and the expectation windows, not durations or bounds', () => {
    const full = parseScenario(timed, 'x', '').variants[0]!.scenario
    const quick = parseScenario(timed, 'x', '', { quick: true }).variants[0]!.scenario
    expect(full.timeline[0]!.at).toBe(4000)
    expect(quick.timeline[0]!.at).toBe(2000)
    expect(quick.load.duration).toBe(4000)
    expect(quick.expect).toEqual([
      { share: { groups: { stable: 1, canary: 1 }, tolerance: 0.02, minPValue: 0.001, window: { from: 2250, to: 4000 } } },
      { errorRate: { max: 0.1 }, window: { from: 2250, to: 4000 } },
      { groupShare: { group: 'canary', max: 0.1, window: { from: 0, to: 2000 } } },
      { errorRate: { max: 0.1 } },
      { failover: { detectionMs: { max: 1000 } } },
    ])
  })

  it('scaleTimes is pure', () => {
    const s = parseScenario(timed, 'x', '').variants[0]!.scenario
    const before = structuredClone(s)
    scaleTimes(s, 0.25)
    expect(s).toEqual(before)
  })

  it('rejects a scale above 1 and windows that end before they start', () => {
    expect(issues(canary({ quick: { timeScale: 2 } })).join('\n')).toMatch(/quick\.timeScale/)
    expect(issues(canary({ expect: [{ errorRate: { max: 0 }, window: { from: '2s', to: '1s' } }] }))).toContain('expect[0].window.to: to must be after from')
  })
})

describe('expectations that need measurements', () => {
  it('remap needs clients; groupShare a known group', () => {
    expect(issues(canary({ expect: [{ remap: { excess: { max: 0 } } }, { groupShare: { group: 'blue', max: 0.5 } }] }))).toEqual([
      'expect[0].remap: keys are clients: needs load.clients ≥ 2 or load.cookies',
      'expect[1].groupShare.group: no backend group "blue" (groups: stable, canary)',
    ])
  })
})

describe('load agents', () => {
  it('several agents run the layerbench generator with plain requests, one connection each at least', () => {
    expect(parseScenario(canary({ load: { duration: '8s', agents: 2, connections: 4 } }), 'x', '').variants[0]!.scenario.load.agents).toBe(2)
    expect(parseScenario(canary(), 'x', '').variants[0]!.scenario.load.agents).toBe(1)
    // A request mix crosses to the agents as data.
    expect(parseScenario(canary({ load: { duration: '8s', agents: 2, connections: 4, mix: [{ weight: 1, path: '/a' }] } }), 'x', '').variants[0]!.scenario.load.mix).toHaveLength(1)
    expect(issues(canary({ load: { agents: 3, connections: 2, generator: 'autocannon', cookies: true, maxRequests: 2 } }))).toEqual([
      'load.agents: agents run the layerbench generator: set load.generator: layerbench',
      'load.agents: cookies and client addresses need one generator: set load.agents: 1',
      'load.agents: 3 agents need at least as many connections (load.connections is 2)',
      'load.agents: 3 agents need load.maxRequests ≥ 3',
    ])
  })
})
