import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { backendConfigSchema } from '../../../harness/backend/backend-config.js'
import { startBackend, type RunningBackend } from '../../../harness/backend/backend.js'
import { grpcFrame } from '../../../harness/load/connections/h2-request.js'
import { loadPlanIssues, nativeGenerator, type LoadPlan } from '../../../harness/load/index.js'

const started: RunningBackend[] = []
const servers: http2.Http2Server[] = []
afterAll(async () => {
  await Promise.all(started.map((b) => b.stop(0)))
  for (const s of servers) s.close()
})

async function backend(config: Record<string, unknown>): Promise<RunningBackend> {
  const b = await startBackend(backendConfigSchema.parse({ control: { port: 0 }, ...config }), () => {})
  started.push(b)
  return b
}

const plan = (over: Partial<LoadPlan> & Pick<LoadPlan, 'protocol' | 'target'>): LoadPlan => ({ mode: 'closed', connections: 1, durationMs: 3000, timeoutMs: 2000, ...over })

describe('plan checks', () => {
  it.each([
    { over: { protocol: 'http', streamsPerConnection: 4 }, path: 'streamsPerConnection' },
    { over: { protocol: 'h2', streamsPerConnection: 0 }, path: 'streamsPerConnection' },
    { over: { protocol: 'h2', grpc: {} }, path: 'grpc' },
    { over: { protocol: 'grpc', grpc: { path: 'Unary' } }, path: 'grpc.path' },
    { over: { protocol: 'grpc', newConnectionPerRequest: true }, path: 'newConnectionPerRequest' },
  ] as const)('$path: $over', ({ over, path }) => {
    const issues = loadPlanIssues({ mode: 'closed', connections: 1, durationMs: 1000, target: { host: '127.0.0.1', port: 1 }, ...over } as LoadPlan)
    expect(issues.map((i) => i.path)).toContain(path)
  })
})

describe('grpcFrame', () => {
  it('prefixes a message with the uncompressed flag and its big-endian length', () => {
    expect([...grpcFrame(Uint8Array.of(0x0a, 0x01, 0x78))]).toEqual([0, 0, 0, 0, 3, 0x0a, 0x01, 0x78])
  })
})

describe('the native generator over HTTP/2', () => {
  it('opens `connections` sessions carrying `streamsPerConnection` streams each', async () => {
    let sessions = 0
    let open = 0
    let peak = 0
    const server = http2.createServer()
    servers.push(server)
    server.on('session', () => sessions++)
    server.on('stream', (stream) => {
      peak = Math.max(peak, ++open)
      // Held long enough that every client has a stream open at once.
      setTimeout(() => {
        open--
        if (!stream.closed) stream.respond({ ':status': 200, 'x-backend': 'local' }, { endStream: true })
      }, 20)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const s = await nativeGenerator.run(plan({ protocol: 'h2', target: { host: '127.0.0.1', port }, connections: 3, streamsPerConnection: 4, maxRequests: 240 }))
    expect(sessions).toBe(3)
    expect(peak).toBe(12)
    expect(s.sent).toBe(240)
    expect([s.ok, s.failed, s.byBackend]).toEqual([240, 0, { local: 240 }])
    // One handshake per session, not per stream.
    expect(s.handshakeUs?.count ?? 0).toBe(3)
  })

  it('measures a known latency: its p50 is the backend’s own service time plus the round trip', async () => {
    const b = await backend({ id: 'h2-known', http: { port: 0 }, behaviour: { latency: { kind: 'fixed', ms: 20 } } })
    const s = await nativeGenerator.run(plan({ protocol: 'h2', target: { host: '127.0.0.1', port: b.ports.http! }, connections: 2, streamsPerConnection: 4, maxRequests: 160 }))
    const service = b.state.snapshot().service
    expect(s.ok).toBe(160)
    expect(service.holds).toBe(160)
    // Never less than what the backend waited; above it by a round trip, a small share of 20 ms.
    expect(s.latencyUs.p50).toBeGreaterThanOrEqual(service.requestedMeanUs)
    expect(s.latencyUs.p50).toBeLessThan(service.actualMeanUs * 1.5)
  })

  it('in the open loop, corrects for coordinated omission from the due times', async () => {
    const b = await backend({ id: 'h2-open', http: { port: 0 } })
    const s = await nativeGenerator.run(plan({ protocol: 'h2', target: { host: '127.0.0.1', port: b.ports.http! }, mode: 'open', rate: 200, durationMs: 1000, connections: 1, streamsPerConnection: 8 }))
    expect(s.sent).toBe(s.ok + s.failed)
    expect(s.sent).toBeGreaterThan(0)
    expect(s.sent).toBeLessThanOrEqual(200)
    expect(s.correctedLatencyUs).toBeDefined()
    expect(s.correctedLatencyUs!.p50).toBeGreaterThanOrEqual(s.latencyUs.p50)
  })
})

describe('the native generator over gRPC', () => {
  it('counts calls by gRPC status from the trailers, failures included', async () => {
    const b = await backend({ id: 'g-gen', grpc: { port: 0 }, seed: 7, behaviour: { errorRate: 0.3, errorStatus: 503 } })
    const s = await nativeGenerator.run(plan({ protocol: 'grpc', target: { host: '127.0.0.1', port: b.ports.grpc! }, connections: 2, streamsPerConnection: 8, maxRequests: 400 }))
    const codes = b.state.served.grpc.byCode
    expect(s.sent).toBe(400)
    // The backend's own account and the generator's agree call for call.
    expect(s.grpcStatus).toEqual({ OK: codes[0], UNAVAILABLE: codes[14] })
    expect([s.ok, s.failed]).toEqual([codes[0], codes[14]])
    expect(s.failures.byStatus).toEqual({ UNAVAILABLE: codes[14] })
    expect(s.byBackend).toEqual({ 'g-gen': codes[0] })
    expect(b.state.served.grpc.connections).toBe(2)
  })

  it('moves to new connections when the backend ages them out, losing no call', async () => {
    const b = await backend({ id: 'g-age', grpc: { port: 0 }, connectionAge: { maxMs: 200, graceMs: 500 }, behaviour: { latency: { kind: 'fixed', ms: 2 } } })
    const s = await nativeGenerator.run(plan({ protocol: 'grpc', target: { host: '127.0.0.1', port: b.ports.grpc! }, connections: 1, streamsPerConnection: 4, durationMs: 1000 }))
    expect(s.failures).toEqual({ byKind: {}, byStatus: {} })
    expect(s.ok).toBeGreaterThan(0)
    expect(b.state.served.grpc.connections).toBeGreaterThanOrEqual(3)
  })
})
