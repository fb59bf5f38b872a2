import { afterEach, describe, expect, it } from 'vitest'
import { nativeGenerator, type LoadPlan } from '../../../harness/load/index.js'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers } from '../../helpers/test-servers.js'
import { killBackends, spawnBackend } from '../backend/backend-harness.js'
import { expectConsistent } from './generator-conformance.js'
import { scriptedHttpBackend } from './servers.js'

afterEach(async () => {
  await stopEngines()
  await closeServers()
  killBackends()
})

const CONNECTIONS = 4
const MESSAGES = 50

/** N connections, M messages each: bounded in messages, and in time should a reply never come. */
const plan = (port: number): LoadPlan => ({ protocol: 'websocket', target: { host: '127.0.0.1', port }, mode: 'closed', connections: CONNECTIONS, durationMs: 10_000, maxRequests: CONNECTIONS * MESSAGES, timeoutMs: 2000 })

async function backendApp() {
  const b = await spawnBackend({ id: 'ws-1', http: { port: 0 }, control: { port: 0 } })
  return { port: b.ready.http!, served: async () => (await b.control<{ served: { http: { requests: number } } }>('GET', '/state')).body.served.http.requests }
}

describe('WebSocket load', () => {
  it('echoes every message of every connection from the backend app, timed per round trip', async () => {
    const b = await backendApp()
    const s = await nativeGenerator.run(plan(b.port))
    expectConsistent(s)
    expect(s.sent).toBe(CONNECTIONS * MESSAGES)
    expect(s.ok).toBe(s.sent)
    expect(s.latencyUs.count).toBe(s.ok)
    expect(s.byBackend).toEqual({ 'ws-1': s.ok })
    expect(s.handshakeUs?.count).toBe(CONNECTIONS)
    expect(await b.served()).toBe(s.ok)
  })

  it.each([
    ['layer 4, a byte relay that knows nothing of WebSocket', { name: 'web', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'app' }, 4],
    ['layer 7, through its upgrade handling', { name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'app' }] }, 7],
  ] as const)('is relayed by the engine at %s', async (_, listener, layer) => {
    const b = await backendApp()
    const engine = await engineFrom({ listeners: [listener], pools: { app: { backends: [{ id: 'ws-1', host: '127.0.0.1', port: b.port }] } } })
    const s = await nativeGenerator.run(plan(listenerAddress(engine, 'web').port))
    expectConsistent(s)
    expect(s.ok).toBe(CONNECTIONS * MESSAGES)
    expect(await b.served()).toBe(s.ok)
    const l = engine.stats().listeners[0]!
    expect(l.layer).toBe(layer)
    // L7 answered each upgrade as an HTTP exchange (one 101 per connection), then relayed bytes; L4 saw connections only.
    expect(l.responses['1xx']).toBe(layer === 7 ? CONNECTIONS : 0)
    expect(l.connections.total).toBe(CONNECTIONS)
  })

  it('counts a refused upgrade against every message, never as an echo', async () => {
    const server = await scriptedHttpBackend()
    const s = await nativeGenerator.run({ ...plan(server.port), maxRequests: 8 })
    expectConsistent(s)
    expect(s.ok).toBe(0)
    expect(s.failed).toBe(s.sent)
    expect(s.failures.byKind).toEqual({ connect: s.sent })
  })
})
