import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../../engine/runtime/event-log.js'
import { admin, engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { ADMIN, countBy, destroyAgents, httpListener, keepAliveAgent, poolOf, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

async function canaryEngine() {
  const [stable, canary] = await Promise.all([httpBackend('stable'), httpBackend('canary')])
  const engine = await engineFrom({
    admin: ADMIN,
    listeners: [
      httpListener([
        { name: 'forced', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, pool: 'canary' },
        { name: 'weighted', split: [{ pool: 'stable', weight: 95 }, { pool: 'canary', weight: 5 }] },
      ]),
    ],
    pools: { stable: poolOf([stable]), canary: poolOf([canary]) },
  })
  return { engine, address: listenerAddress(engine, 'web') }
}

async function spread(address: { host: string; port: number }, n: number): Promise<Map<string, number>> {
  const agent = keepAliveAgent({ maxSockets: 4 })
  const ids = await Promise.all(Array.from({ length: n }, () => send(address, '/', { agent }).then((r) => String(r.headers['x-backend']))))
  return countBy(ids)
}

describe('POST /listeners/{listener}/routes/{route}/split', () => {
  it('moves traffic step by step: 95/5 → 0/100 → 100/0, and logs each change', async () => {
    const { engine, address } = await canaryEngine()
    const r = await admin<{ split: unknown }>(engine, '/listeners/web/routes/weighted/split', { method: 'POST', body: { weights: { stable: 0, canary: 100 } } })
    expect(r.status).toBe(200)
    expect(r.body.split).toEqual([
      { pool: 'stable', weight: 0 },
      { pool: 'canary', weight: 100 },
    ])
    expect((await spread(address, 40)).get('canary')).toBe(40)
    await admin(engine, '/listeners/web/routes/weighted/split', { method: 'POST', body: { weights: { stable: 1, canary: 0 } } })
    expect((await spread(address, 40)).get('stable')).toBe(40)
    // Routes other than the split are untouched.
    expect((await send(address, '/', { headers: { 'x-canary': 'true' } })).headers['x-backend']).toBe('canary')
    const events = (await admin<EngineEvent[]>(engine, '/events')).body.filter((e) => e.type === 'route-split')
    expect(events.map((e) => [e.listener, e.detail])).toEqual([
      ['web', 'weighted: stable 0, canary 100'],
      ['web', 'weighted: stable 1, canary 0'],
    ])
  })

  it('names unnamed routes route-<index>', async () => {
    const [a, b] = await Promise.all([httpBackend('a'), httpBackend('b')])
    const engine = await engineFrom({ admin: ADMIN, listeners: [httpListener([{ split: [{ pool: 'a', weight: 1 }, { pool: 'b', weight: 1 }] }])], pools: { a: poolOf([a]), b: poolOf([b]) } })
    expect((await admin(engine, '/listeners/web/routes/route-0/split', { method: 'POST', body: { weights: { a: 0 } } })).status).toBe(200)
    expect((await spread(listenerAddress(engine, 'web'), 20)).get('b')).toBe(20)
  })

  it.each([
    ['an unknown listener', '/listeners/nope/routes/weighted/split', { weights: { canary: 1 } }, 404, 'LB_ERR_UNKNOWN_LISTENER'],
    ['an unknown route', '/listeners/web/routes/nope/split', { weights: { canary: 1 } }, 404, 'ROUTE_ERR_NO_SUCH_ROUTE'],
    ['a route without a split', '/listeners/web/routes/forced/split', { weights: { canary: 1 } }, 400, 'ROUTE_ERR_BAD_SPLIT'],
    ['a pool that is not an arm', '/listeners/web/routes/weighted/split', { weights: { blue: 1 } }, 400, 'ROUTE_ERR_BAD_SPLIT'],
    ['every arm at 0', '/listeners/web/routes/weighted/split', { weights: { stable: 0, canary: 0 } }, 400, 'ROUTE_ERR_BAD_SPLIT'],
    ['a negative weight', '/listeners/web/routes/weighted/split', { weights: { canary: -1 } }, 400, 'LB_ERR_ADMIN_BAD_REQUEST'],
    ['an unknown key', '/listeners/web/routes/weighted/split', { weights: {}, extra: 1 }, 400, 'LB_ERR_ADMIN_BAD_REQUEST'],
  ])('refuses %s (%i, code)', async (_, path, body, status, code) => {
    const { engine, address } = await canaryEngine()
    const r = await admin<{ code: string }>(engine, path, { method: 'POST', body })
    expect(r.status).toBe(status)
    expect(r.body.code).toBe(code)
    // Nothing changed: the 95/5 split still sends most requests to stable.
    expect((await spread(address, 40)).get('stable') ?? 0).toBeGreaterThan(25)
  })
})
