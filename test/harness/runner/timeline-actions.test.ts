import { describe, expect, it } from 'vitest'
import type { RunEvent } from '../../../reports/result/result-model.js'
import type { BalancerControl } from '../../../harness/runner/balancer-process.js'
import { runAction, type TimelineContext } from '../../../harness/runner/timeline.js'
import type { RunningBackend } from '../../../harness/providers/index.js'
import type { TimelineEntry } from '../../../harness/scenario/scenario-schema.js'

/** A backend that records what was done to it. */
function fakeBackend(id: string, log: string[]): RunningBackend {
  const act = (what: string) => async () => void log.push(`${id} ${what}`)
  return {
    spec: { id, group: id.replace(/-\d+$/, ''), protocols: ['http'] },
    host: `127.9.0.${id.endsWith('1') ? 2 : 1}`,
    ports: { http: 8080, control: 9090 },
    kill: act('kill'),
    pause: act('pause'),
    resume: act('resume'),
    restart: act('restart'),
    stop: act('stop'),
    configure: act('configure'),
    setHealthy: act('health'),
    state: async () => ({}),
    cpuUs: async () => undefined,
    stats: async () => ({}),
  }
}

function fakeContext(balancer: BalancerControl & { calls: string[] }, arms?: TimelineContext['splitArms']) {
  const log = balancer.calls
  const events: RunEvent[] = []
  const warnings: string[] = []
  const web = [fakeBackend('web-0', log), fakeBackend('web-1', log)]
  const ctx: TimelineContext = {
    balancer,
    instances: (g) => (g === 'web' ? web : g === 'canary' ? [fakeBackend('canary-0', log)] : []),
    poolsOf: (g) => (g === 'web' ? [{ pool: 'web', port: 'http' }] : [{ pool: 'canary', port: 'http' }]),
    backendId: (g, i) => `${g}-${i}`,
    addInstance: async () => {
      throw new Error('not in these tests')
    },
    weightOf: () => 2,
    ...(arms === undefined ? {} : { splitArms: arms }),
    nowMs: () => 1234,
    record: (e) => events.push(e),
    warn: (m) => warnings.push(m),
  }
  return { ctx, events, warnings }
}

function recordingBalancer(withSplits = true): BalancerControl & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    setWeight: async (pool, id, w) => void calls.push(`weight ${pool}/${id} ${w}`),
    setDraining: async (pool, id, d) => void calls.push(`drain ${pool}/${id} ${d}`),
    addBackend: async (pool, b) => void calls.push(`add ${pool}/${b.id} ${b.host}:${b.port} weight ${b.weight}`),
    removeBackend: async (pool, id) => void calls.push(`remove ${pool}/${id}`),
    ...(withSplits ? { setSplitWeights: async (l: string, r: string, w: Readonly<Record<string, number>>) => void calls.push(`split ${l}/${r} ${JSON.stringify(w)}`) } : {}),
  }
}

const entry = (e: Record<string, unknown>) => e as unknown as TimelineEntry

describe('timeline actions', () => {
  it('set-weight without a route sets backend weights in the pools', async () => {
    const b = recordingBalancer()
    const { ctx, events } = fakeContext(b)
    await runAction(entry({ at: 0, do: 'set-weight', target: 'web', weight: 5 }), ctx)
    expect(b.calls).toEqual(['weight web/web-0 5', 'weight web/web-1 5'])
    expect(events).toEqual([{ tMs: 1234, source: 'timeline', type: 'set-weight', target: 'web', detail: 'weight 5' }])
  })

  it('set-weight with a route re-weights the arms drawing from the group', async () => {
    const b = recordingBalancer()
    const { ctx, events } = fakeContext(b, (route, g) => (route === 'rollout' ? { listener: 'web', pools: [g] } : undefined))
    await runAction(entry({ at: 0, do: 'set-weight', target: 'canary', route: 'rollout', weight: 25 }), ctx)
    expect(b.calls).toEqual(['split web/rollout {"canary":25}'])
    expect(events[0]).toMatchObject({ type: 'set-weight', target: 'canary', detail: 'route rollout: canary weight 25' })
  })

  it('a balancer that cannot re-weight a split skips the action with the reason', async () => {
    const b = recordingBalancer(false)
    const { ctx, events, warnings } = fakeContext(b, () => ({ listener: 'web', pools: ['canary'] }))
    await runAction(entry({ at: 500, do: 'set-weight', target: 'canary', route: 'rollout', weight: 25 }), ctx)
    expect(b.calls).toEqual([])
    expect(events[0]).toMatchObject({ source: 'runner', type: 'skipped', detail: 'set-weight: this balancer cannot re-weight a split at run time' })
    expect(warnings).toHaveLength(1)
  })

  it('an unknown split arm is an error', async () => {
    const { ctx } = fakeContext(recordingBalancer(), () => undefined)
    await expect(runAction(entry({ at: 0, do: 'set-weight', target: 'canary', route: 'nope', weight: 1 }), ctx)).rejects.toThrow(/no split arm of route nope/)
  })

  it('add-backend group[i] brings a removed backend back at its address under its id', async () => {
    const b = recordingBalancer()
    const { ctx, events } = fakeContext(b)
    await runAction(entry({ at: 0, do: 'remove-backend', target: 'web[1]' }), ctx)
    await runAction(entry({ at: 0, do: 'add-backend', target: 'web[1]' }), ctx)
    expect(b.calls).toEqual(['remove web/web-1', 'web-1 stop', 'web-1 restart', 'add web/web-1 127.9.0.2:8080 weight 2'])
    expect(events.map((e) => [e.type, e.target, e.detail])).toEqual([
      ['remove-backend', 'web[1]', undefined],
      ['add-backend', 'web[1]', 'web-1'],
    ])
  })
})

