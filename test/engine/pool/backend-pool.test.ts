import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import type { Backend } from '../../../engine/balancing/types.js'
import { EngineError } from '../../../engine/errors.js'
import { createBackendPool, type PoolEvent } from '../../../engine/pool/backend-pool.js'
import type { BackendPoolOptions } from '../../../engine/pool/pool-options.js'
import { tally } from '../../helpers/backends.js'

const members = (ids: string[], extra: Record<string, unknown> = {}) => ids.map((id, i) => ({ id, host: '127.0.0.1', port: 9001 + i, ...extra }))

function pool(options: Partial<BackendPoolOptions> = {}, seed = 1) {
  const deps = seededDeps(seed)
  const events: PoolEvent[] = []
  const p = createBackendPool({ algorithm: 'round-robin', backends: members(['a', 'b', 'c']), ...options }, deps, (e) => events.push(e))
  return { pool: p, deps, events }
}

const codeOf = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return (e as EngineError).code
  }
  return undefined
}

describe('backend pool: validation', () => {
  it('reports every problem at once, each with its path and a stable code', () => {
    try {
      createBackendPool({
        algorithm: 'round-robin',
        backends: [{ host: '127.0.0.1', port: 0 }, { host: '', port: 80, weight: -1 }],
        health: { rise: 0, fall: 2 },
        surprise: true,
      } as unknown as BackendPoolOptions)
      expect.unreachable()
    } catch (e) {
      const error = e as EngineError
      expect(error.code).toBe('LB_ERR_INVALID_OPTIONS')
      expect(error.issues.map((i) => i.path).sort()).toEqual(['', 'backends[0].port', 'backends[1].host', 'backends[1].weight', 'health.rise'])
      expect(error.message).toContain('backends[1].weight')
    }
  })

  it.each([
    [{ algorithm: 'fastest' }, 'LB_ERR_UNKNOWN_ALGORITHM'],
    [{ algorithm: 'maglev', algorithmOptions: { tableSize: 100 } }, 'LB_ERR_INVALID_OPTIONS'],
    [{ backends: [...members(['a']), ...members(['a'])] }, 'LB_ERR_DUPLICATE_BACKEND'],
  ])('rejects %j with %s', (options, code) => {
    expect(codeOf(() => createBackendPool({ backends: members(['a']), ...options } as BackendPoolOptions))).toBe(code)
  })

  it('names backends host:port when no id is given', () => {
    const p = createBackendPool({ backends: [{ host: '127.0.0.2', port: 8080 }] })
    expect(p.pick().id).toBe('127.0.0.2:8080')
  })
})

describe('backend pool: picks and errors', () => {
  it('throws LB_ERR_NO_HEALTHY_BACKEND when nothing is ready', () => {
    const { pool: p } = pool()
    for (const id of ['a', 'b', 'c']) p.setHealthy(id, false)
    expect(codeOf(() => p.pick())).toBe('LB_ERR_NO_HEALTHY_BACKEND')
    expect(codeOf(() => createBackendPool({ backends: [] }).pick())).toBe('LB_ERR_NO_HEALTHY_BACKEND')
  })

  it('retries on a backend not yet tried, then throws LB_ERR_BACKENDS_EXHAUSTED', () => {
    const { pool: p } = pool({ algorithm: 'maglev' })
    const tried = new Set<string>()
    for (let attempt = 0; attempt < 3; attempt++) {
      const b = p.pick({ key: 'client-1', tried, attempt })
      expect(tried.has(b.id)).toBe(false)
      tried.add(b.id)
    }
    expect(tried.size).toBe(3)
    expect(codeOf(() => p.pick({ key: 'client-1', tried, attempt: 3 }))).toBe('LB_ERR_BACKENDS_EXHAUSTED')
  })

  it('uses backups only when no primary is ready, and returns to primaries when one recovers', () => {
    const { pool: p } = pool({ backends: [...members(['a', 'b']), ...members(['spare'], { backup: true, port: 9100 })] })
    expect(new Set(Array.from({ length: 10 }, () => p.pick().id))).toEqual(new Set(['a', 'b']))
    p.setHealthy('a', false)
    p.setHealthy('b', false)
    expect(new Set(Array.from({ length: 10 }, () => p.pick().id))).toEqual(new Set(['spare']))
    p.setHealthy('b', true)
    expect(new Set(Array.from({ length: 10 }, () => p.pick().id))).toEqual(new Set(['b']))
  })

  it('moves to backups on retry when every primary was tried', () => {
    const { pool: p } = pool({ backends: [...members(['a']), ...members(['spare'], { backup: true, port: 9100 })] })
    expect(p.pick({ tried: new Set(['a']), attempt: 1 }).id).toBe('spare')
  })

  it('counts picks and requests in flight per backend', () => {
    const { pool: p } = pool()
    const picked = Array.from({ length: 6 }, () => p.pick())
    for (const b of picked) p.onStart(b)
    p.onDone(picked[0]!, { ok: true, latencyUs: 10 })
    const status = Object.fromEntries(p.status().map((s) => [s.id, s]))
    expect(status.a!.picks + status.b!.picks + status.c!.picks).toBe(6)
    expect(status.a!.active + status.b!.active + status.c!.active).toBe(5)
  })
})

describe('backend pool: membership, health, drain', () => {
  it('rebuilds its picker only when the ready set or weights change', () => {
    const { pool: p } = pool()
    const start = p.rebuilds
    p.pick()
    p.reportHealth('a', true) // already healthy: no change
    p.setWeight('b', 1) // same weight
    p.setDraining('c', false) // not draining
    p.upsert({ id: 'a', host: '127.0.0.1', port: 9001 }) // identical
    p.pick()
    expect(p.rebuilds).toBe(start)
    p.setWeight('b', 3)
    p.pick()
    expect(p.rebuilds).toBe(start + 1)
    p.reportHealth('a', false)
    p.reportHealth('a', false)
    p.pick()
    expect(p.rebuilds).toBe(start + 1) // two failures: fall is 3
    p.reportHealth('a', false)
    p.pick()
    expect(p.rebuilds).toBe(start + 2)
  })

  it('takes a backend out after `fall` failed checks and back after `rise` passed ones', () => {
    const { pool: p, events } = pool({ health: { rise: 2, fall: 2 } })
    expect(p.reportHealth('b', false)).toBeUndefined()
    expect(p.reportHealth('b', false)).toBe('down')
    expect(new Set(Array.from({ length: 20 }, () => p.pick().id))).toEqual(new Set(['a', 'c']))
    expect(p.reportHealth('b', true)).toBeUndefined()
    expect(p.reportHealth('b', true)).toBe('up')
    expect(new Set(Array.from({ length: 20 }, () => p.pick().id))).toEqual(new Set(['a', 'b', 'c']))
    expect(events.filter((e) => e.type === 'health').map((e) => (e as { healthy: boolean }).healthy)).toEqual([false, true])
  })

  it('starts backends unhealthy when configured (Envoy: wait for the first check)', () => {
    const { pool: p } = pool({ health: { initial: 'unhealthy', rise: 1, fall: 1 } })
    expect(codeOf(() => p.pick())).toBe('LB_ERR_NO_HEALTHY_BACKEND')
    p.reportHealth('c', true)
    expect(p.pick().id).toBe('c')
  })

  it('drains: no new picks, requests in flight finish, then a drained event', () => {
    const { pool: p, events } = pool()
    const inFlight: Backend[] = []
    for (let i = 0; i < 3; i++) {
      const b = p.pick()
      p.onStart(b)
      inFlight.push(b)
    }
    const onA = inFlight.find((b) => b.id === 'a')!
    p.setDraining('a', true)
    expect(tally(Array.from({ length: 30 }, () => p.pick().id)).get('a')).toBeUndefined()
    expect(events.some((e) => e.type === 'drained')).toBe(false)
    p.onDone(onA, { ok: true, latencyUs: 100 })
    expect(events.filter((e) => e.type === 'drained')).toEqual([{ type: 'drained', id: 'a', atUs: 0 }])
    p.setDraining('a', false)
    expect(tally(Array.from({ length: 30 }, () => p.pick().id)).get('a')).toBe(10)
  })

  it('skips disabled backends and backends of weight 0', () => {
    const { pool: p } = pool()
    p.setEnabled('a', false)
    p.setWeight('b', 0)
    expect(new Set(Array.from({ length: 10 }, () => p.pick().id))).toEqual(new Set(['c']))
    expect(p.ready()).toEqual(['c'])
  })

  it('applies a new membership: adds, updates, removes, and keeps the state of those that stay', () => {
    const { pool: p } = pool()
    for (let i = 0; i < 9; i++) p.pick()
    p.setMembers([...members(['a', 'b']), { id: 'd', host: '127.0.0.9', port: 7000, weight: 2 }])
    const status = Object.fromEntries(p.status().map((s) => [s.id, s]))
    expect(Object.keys(status).sort()).toEqual(['a', 'b', 'd'])
    expect(status.a!.picks).toBe(3)
    expect(status.d).toMatchObject({ host: '127.0.0.9', weight: 2, picks: 0, ready: true })
    expect(codeOf(() => p.remove('c'))).toBe('LB_ERR_UNKNOWN_BACKEND')
  })

  it('counts feedback on a handout from before a weight change against the same member', () => {
    const { pool: p } = pool({ algorithm: 'least-connections' })
    const before = p.pick()
    p.onStart(before)
    p.setWeight(before.id, 3)
    const after = p.pick() // rebuilt: a new handout for the re-weighted member
    expect(p.status().find((s) => s.id === before.id)).toMatchObject({ weight: 3, active: 1 })
    p.onDone(before, { ok: true, latencyUs: 10 })
    expect(p.status().find((s) => s.id === before.id)!.active).toBe(0)
    expect(after.weight === 3 || after.id !== before.id).toBe(true)
  })

  it('ignores feedback about a removed backend, even once a backend of the same id is back', () => {
    const { pool: p } = pool({ algorithm: 'least-connections' })
    const pickC = () => {
      for (;;) {
        const b = p.pick()
        p.onStart(b)
        if (b.id === 'c') return b
      }
    }
    const c = pickC()
    p.remove('c')
    p.upsert({ id: 'c', host: '127.0.0.1', port: 9003 })
    const fresh = pickC()
    p.onDone(c, { ok: true, latencyUs: 10 }) // the old member's request: not the new member's
    expect(p.status().find((s) => s.id === 'c')!.active).toBe(1)
    p.onDone(fresh, { ok: true, latencyUs: 10 })
    expect(p.status().find((s) => s.id === 'c')!.active).toBe(0)
  })

  it('matches a backend it did not hand out by id', () => {
    const { pool: p } = pool({ algorithm: 'least-connections' })
    const copy = { id: 'b', host: '127.0.0.1', port: 9002, weight: 1 }
    p.onStart(copy)
    p.onStart(copy)
    expect(p.status().find((s) => s.id === 'b')!.active).toBe(2)
    // b has two in flight: least connections sends the next two elsewhere.
    const next = [0, 1].map(() => {
      const b = p.pick()
      p.onStart(b)
      return b
    })
    expect(next.map((b) => b.id).sort()).toEqual(['a', 'c'])
    p.onDone(copy, { ok: true, latencyUs: 10 })
    expect(p.status().find((s) => s.id === 'b')!.active).toBe(1)
  })

  it('keeps in-flight counts across rebuilds, so least connections stays exact', () => {
    const { pool: p } = pool({ algorithm: 'least-connections' })
    const a = p.status().find((s) => s.id === 'a')!
    const backendA = { id: a.id, host: a.host, port: a.port, weight: a.weight }
    for (let i = 0; i < 4; i++) p.onStart(backendA)
    p.upsert({ id: 'd', host: '127.0.0.1', port: 9004 }) // forces a rebuild
    const picks = tally(
      Array.from({ length: 30 }, () => {
        const b = p.pick()
        p.onStart(b)
        return b.id
      }),
    )
    // a had 4 in flight: the others are filled to 4 before a gets one more (30 = 3·4 + 4·4.5).
    expect(picks.get('a') ?? 0).toBeLessThan(picks.get('b')!)
    expect(p.status().find((s) => s.id === 'a')!.active).toBe(4 + (picks.get('a') ?? 0))
  })
})

describe('backend pool: slow start', () => {
  it('ramps a recovered backend’s share from the floor to its full weight over the window', () => {
    const { pool: p, deps } = pool({ algorithm: 'weighted-random', slowStart: { windowMs: 10_000, aggression: 1, minWeightPercent: 10 } }, 5)
    p.setHealthy('c', false)
    p.pick()
    p.setHealthy('c', true)
    const shareAt = (seconds: number) => {
      deps.advanceUs(seconds * 1_000_000 - deps.nowUs())
      const counts = tally(Array.from({ length: 20_000 }, () => p.pick().id))
      return (counts.get('c') ?? 0) / 20_000
    }
    // c's weight w·f against a and b at 1: share = f / (2 + f).
    expect(shareAt(0)).toBeCloseTo(0.1 / 2.1, 1)
    expect(shareAt(5)).toBeCloseTo(0.5 / 2.5, 1)
    expect(shareAt(11)).toBeCloseTo(1 / 3, 1)
    const c = p.status().find((s) => s.id === 'c')!
    expect(c.effectiveWeight).toBe(1)
  })

  it('does not slow-start the backends present at creation', () => {
    const { pool: p } = pool({ slowStart: { windowMs: 10_000, aggression: 1, minWeightPercent: 10 } })
    expect(p.status().map((s) => s.effectiveWeight)).toEqual([1, 1, 1])
  })
})

describe('backend pool: passive ejection', () => {
  it('keeps an ejected backend out even while its health is good, and back once returned', () => {
    const { pool: p } = pool({ health: { rise: 1, fall: 1 } })
    p.setEjected('b', true)
    p.reportHealth('b', true)
    expect(new Set(Array.from({ length: 12 }, () => p.pick().id))).toEqual(new Set(['a', 'c']))
    expect(p.status().find((s) => s.id === 'b')).toMatchObject({ ejected: true, healthy: true, ready: false })
    p.setEjected('b', false)
    expect(new Set(Array.from({ length: 12 }, () => p.pick().id))).toEqual(new Set(['a', 'b', 'c']))
  })
})
