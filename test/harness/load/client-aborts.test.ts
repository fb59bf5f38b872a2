import { readdirSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { backendConfigSchema } from '../../../harness/backend/backend-config.js'
import { startBackend, type RunningBackend } from '../../../harness/backend/backend.js'
import { partialHeadLength } from '../../../harness/load/connections/http-connection.js'
import { httpRequestEncoder } from '../../../harness/load/connections/http-request.js'
import { AUTOCANNON_ABILITIES, CLIENT_ABORT_POINTS, loadPlanIssues, nativeGenerator, type ClientAbortPoint, type LoadPlan } from '../../../harness/load/index.js'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { httpListener, poolOf } from '../../engine/l7/clients.js'

const openFds = () => readdirSync('/proc/self/fd').length
const backends: RunningBackend[] = []

afterEach(async () => {
  await stopEngines()
  await Promise.all(backends.splice(0).map((b) => b.stop(0)))
})

describe('client aborts', () => {
  it('are planned for HTTP with the layerbench generator only', () => {
    const plan: LoadPlan = { protocol: 'tcp', target: { host: '127.0.0.1', port: 1 }, mode: 'closed', connections: 1, durationMs: 1, clientAbort: () => 'head' }
    expect(loadPlanIssues(plan).map((i) => i.path)).toEqual(['clientAbort'])
    expect(loadPlanIssues({ ...plan, protocol: 'http' }, AUTOCANNON_ABILITIES).map((i) => i.message)).toEqual([expect.stringContaining('clientAbort')])
  })

  it('cut the head at least one byte in and before its end, at points that move', () => {
    const encode = httpRequestEncoder({ host: '127.0.0.1', port: 8080 }, { method: 'POST', path: '/upload', bodyBytes: 100 })
    const request = encode(0)
    const headBytes = request.indexOf('\r\n\r\n') + 4
    const cuts = Array.from({ length: 500 }, (_, i) => partialHeadLength(i, request))
    expect(Math.min(...cuts)).toBe(1)
    expect(Math.max(...cuts)).toBe(headBytes - 1)
    expect(new Set(cuts).size).toBeGreaterThan(headBytes / 2)
  })

  it('abandon requests at each point, apart from failures, and the engine keeps no connection or descriptor', async () => {
    // Slow bodies (4000 bytes at 40 kB/s, the head first): a response is under way for 100 ms.
    const backend = await startBackend(backendConfigSchema.parse({ id: 'b0', http: { port: 0 }, control: { port: 0 }, behaviour: { responseBytes: 4000, slowBody: { bytesPerSecond: 40_000 } } }), () => {})
    backends.push(backend)
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([{ id: 'b0', port: backend.ports.http! }], { keepAlive: { idleTimeoutMs: 200 } }) } })
    const before = openFds()
    // Clients 0, 1 and 2 abandon every request, each at its own point; clients 3 to 5 never do.
    const pointOf = (client: number): ClientAbortPoint | undefined => CLIENT_ABORT_POINTS[client]
    const answered = new Set<number>()
    const s = await nativeGenerator.run({
      protocol: 'http',
      target: listenerAddress(engine, 'web'),
      mode: 'open',
      rate: 150,
      connections: 6,
      durationMs: 1500,
      timeoutMs: 2000,
      clientAbort: (client) => pointOf(client),
      onResponse: (r) => answered.add(r.client),
    })
    const aborts = s.clientAborts!
    expect(s.sent).toBe(s.ok + s.failed + aborts.total)
    expect(s.failed).toBe(0)
    expect(s.ok).toBeGreaterThan(0)
    for (const p of CLIENT_ABORT_POINTS) expect(aborts.byPoint[p], p).toBeGreaterThan(0)
    expect(Object.values(aborts.byPoint).reduce((a, b) => a + b, 0)).toBe(aborts.total)
    // An abandoned request is no reply: only the clients that never abort were answered.
    expect([...answered].sort()).toEqual([3, 4, 5])
    // Every client and backend connection the aborts left behind is closed, and its descriptor with it.
    await eventually(() => {
      const st = engine.stats()
      expect(st.listeners.map((l) => l.connections.active)).toEqual([0])
      expect(st.pools.flatMap((p) => p.backends.map((b) => b.connections.active))).toEqual([0])
    }, 10_000)
    await eventually(() => expect(openFds()).toBeLessThanOrEqual(before), 10_000)
  })
})
