import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { afterEach, describe, expect, it } from 'vitest'
import { grpcProbe, healthCheckRequestFrame, servingStatusOf } from '../../../engine/health/grpc-probe.js'
import { healthCheckConfigSchema, probeFor } from '../../../engine/health/health-check-config.js'
import { closedPort } from '../../helpers/test-servers.js'

const definition = protoLoader.loadSync(fileURLToPath(new URL('../../../harness/backend/proto/health.proto', import.meta.url)), { enums: String, defaults: true })
const Health = (grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }).grpc.health.v1.Health

const servers = new Set<grpc.Server>()
afterEach(() => {
  for (const s of servers) s.forceShutdown()
  servers.clear()
})

/** A gRPC server whose health service answers by service name from `statuses` (none: no health service). */
async function server(statuses?: Record<string, string>): Promise<number> {
  const s = new grpc.Server()
  if (statuses !== undefined) {
    s.addService(Health.service, {
      check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const st = statuses[call.request.service]
        if (st === undefined) return cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' })
        cb(null, { status: st })
      },
    })
  }
  const port = await new Promise<number>((resolve, reject) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e))))
  servers.add(s)
  return port
}

describe('grpc health probe (grpc.health.v1.Health/Check)', () => {
  it.each([
    ['the server as a whole, SERVING', { '': 'SERVING' }, '', true, 'SERVING'],
    ['a named service, SERVING', { 'pkg.Svc': 'SERVING' }, 'pkg.Svc', true, 'SERVING'],
    ['NOT_SERVING fails', { '': 'NOT_SERVING' }, '', false, 'NOT_SERVING'],
    ['an unknown service fails with its gRPC status', { '': 'SERVING' }, 'other', false, 'grpc-status 5'],
    ['no health service: UNIMPLEMENTED', undefined, '', false, 'grpc-status 12'],
  ] as const)('%s', async (_, statuses, service, ok, detail) => {
    const port = await server(statuses)
    const r = await grpcProbe({ host: '127.0.0.1', port }, { service, timeoutMs: 3000 })
    expect(r).toMatchObject({ ok, detail })
  })

  it('fails on a closed port, and through the health-check configuration', async () => {
    const r = await grpcProbe({ host: '127.0.0.1', port: await closedPort() }, { timeoutMs: 2000 })
    expect(r.ok).toBe(false)
    const port = await server({ 'a.B': 'SERVING' })
    const probe = probeFor(healthCheckConfigSchema.parse({ type: 'grpc', grpc: { service: 'a.B' }, timeoutMs: 3000 }))
    expect((await probe({ host: '127.0.0.1', port })).ok).toBe(true)
  })

  it('configuration: grpc settings only with type grpc', () => {
    expect(healthCheckConfigSchema.safeParse({ type: 'http', grpc: {} }).success).toBe(false)
    expect(healthCheckConfigSchema.parse({ type: 'grpc' })).toMatchObject({ type: 'grpc' })
  })

  it('frames: request encoding and response decoding', () => {
    expect([...healthCheckRequestFrame('')]).toEqual([0, 0, 0, 0, 0])
    expect([...healthCheckRequestFrame('a.B')]).toEqual([0, 0, 0, 0, 5, 0x0a, 3, 0x61, 0x2e, 0x42])
    expect(servingStatusOf(Buffer.from([0, 0, 0, 0, 2, 0x08, 1]))).toBe(1)
    expect(servingStatusOf(Buffer.from([0, 0, 0, 0, 0]))).toBe(0)
    expect(servingStatusOf(Buffer.from([1, 0, 0, 0, 0]))).toBeUndefined()
    expect(servingStatusOf(Buffer.from([0, 0, 0, 0, 3, 0x08, 1]))).toBeUndefined()
  })
})
