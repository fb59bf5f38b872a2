import * as grpc from '@grpc/grpc-js'
import { afterAll, describe, expect, it } from 'vitest'
import { generateCertificateAuthority, issueCertificate } from '../../../engine/tls/self-signed.js'
import { backendConfigSchema } from '../../../harness/backend/backend-config.js'
import { startBackend, type RunningBackend } from '../../../harness/backend/backend.js'
import { grpcStatusOf, jitteredAge } from '../../../harness/backend/behaviour.js'
import { backendProtos, type EchoReply } from '../../../harness/backend/grpc-protos.js'

const started: RunningBackend[] = []
const clients: grpc.Client[] = []
afterAll(async () => {
  for (const c of clients) c.close()
  await Promise.all(started.map((b) => b.stop(0)))
})

async function backend(config: Record<string, unknown>): Promise<RunningBackend> {
  const b = await startBackend(backendConfigSchema.parse({ control: { port: 0 }, grpc: { port: 0 }, ...config }), () => {})
  started.push(b)
  return b
}

const { echo, health } = backendProtos()
const EchoClient = grpc.makeGenericClientConstructor(echo, 'Echo')
const HealthClient = grpc.makeGenericClientConstructor(health, 'Health')

function client<T extends grpc.Client>(Ctor: new (address: string, creds: grpc.ChannelCredentials) => T, port: number, creds = grpc.credentials.createInsecure()): T {
  const c = new Ctor(`127.0.0.1:${port}`, creds)
  clients.push(c)
  return c
}

interface UnaryOutcome {
  error?: grpc.ServiceError
  reply?: EchoReply
  metadata?: grpc.Metadata
}

/** One Unary call; resolves with its reply or its error, and the initial metadata. */
function unary(c: grpc.Client, message: string): Promise<UnaryOutcome> {
  return new Promise((resolve) => {
    let metadata: grpc.Metadata | undefined
    const call = (c as unknown as Record<string, Function>)['Unary']!.call(c, { message }, (error: grpc.ServiceError | null, reply: EchoReply) =>
      resolve(error === null ? { reply, ...(metadata === undefined ? {} : { metadata }) } : { error }),
    ) as grpc.ClientUnaryCall
    call.on('metadata', (m) => (metadata = m))
  })
}

describe('grpcStatusOf', () => {
  it.each([
    { behaviour: {}, code: grpc.status.UNKNOWN },
    { behaviour: { errorStatus: 503 }, code: grpc.status.UNAVAILABLE },
    { behaviour: { errorStatus: 404 }, code: grpc.status.UNIMPLEMENTED },
    { behaviour: { errorStatus: 401 }, code: grpc.status.UNAUTHENTICATED },
    { behaviour: { errorStatus: 503, grpcStatus: 8 }, code: grpc.status.RESOURCE_EXHAUSTED },
  ])('$behaviour → $code', ({ behaviour, code }) => {
    expect(grpcStatusOf(behaviour)).toBe(code)
  })
})

describe('jitteredAge', () => {
  it('stays within ±10% of the configured age', () => {
    expect([jitteredAge(1000, () => 0), jitteredAge(1000, () => 0.5), jitteredAge(1000, () => 0.999999)].map(Math.round)).toEqual([900, 1000, 1100])
  })
})

describe('the gRPC listener', () => {
  it('answers the unary echo with its id in the reply and the metadata', async () => {
    const b = await backend({ id: 'g-a', behaviour: { responseBytes: 32 } })
    const c = client(EchoClient, b.ports.grpc!)
    const [one, two] = await Promise.all([unary(c, 'hello'), unary(c, 'again')])
    expect(one.reply).toMatchObject({ backend: 'g-a', message: 'hello' })
    expect(one.reply!.pad.length).toBe(32)
    expect(one.metadata!.get('x-backend')).toEqual(['g-a'])
    expect([one.reply!.served, two.reply!.served].sort()).toEqual([1, 2])
    expect(b.state.served.grpc).toEqual({ requests: 2, byCode: { 0: 2 }, resets: 0, connections: 1 })
    expect(b.state.snapshot().seen.plaintext).toBe(2)
  })

  it('streams count replies, paced by slowBody', async () => {
    const b = await backend({ id: 'g-b' })
    const c = client(EchoClient, b.ports.grpc!)
    const stream = (count: number) =>
      new Promise<EchoReply[]>((resolve, reject) => {
        const out: EchoReply[] = []
        const call = (c as unknown as Record<string, Function>)['ServerStream']!.call(c, { message: 'm', count }) as grpc.ClientReadableStream<EchoReply>
        call.on('data', (r: EchoReply) => out.push(r))
        call.on('error', reject)
        call.on('end', () => resolve(out))
      })
    expect((await stream(5)).map((r) => r.index)).toEqual([0, 1, 2, 3, 4])
    b.state.changeBehaviour({ responseBytes: 100, slowBody: { bytesPerSecond: 2000 } })
    const t0 = performance.now()
    const replies = await stream(3)
    // Three replies of ≈ 100 bytes at 2000 B/s: ≈ 150 ms, never much less.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(130)
    expect(replies).toHaveLength(3)
  })

  it('fails calls with the gRPC status of an injected error, and resets their connection', async () => {
    const b = await backend({ id: 'g-c', behaviour: { errorRate: 1, errorStatus: 503 } })
    const c = client(EchoClient, b.ports.grpc!)
    const failed = await unary(c, 'x')
    expect(failed.error!.code).toBe(grpc.status.UNAVAILABLE)
    expect(failed.error!.details).toContain('g-c')
    b.state.changeBehaviour({ errorRate: null, resetRate: 1 })
    const reset = await unary(c, 'y')
    expect(reset.error!.code).toBe(grpc.status.UNAVAILABLE)
    b.state.changeBehaviour({ resetRate: null })
    // The client reconnects and carries on.
    expect((await unary(c, 'z')).reply?.backend).toBe('g-c')
    expect(b.state.served.grpc).toEqual({ requests: 3, byCode: { 0: 1, 14: 1 }, resets: 1, connections: 2 })
  })

  it('serves grpc.health.v1 Check and Watch from the backend health', async () => {
    const b = await backend({ id: 'g-d' })
    const h = client(HealthClient, b.ports.grpc!)
    const check = (service: string) =>
      new Promise<{ status?: string; code?: number }>((resolve) =>
        (h as unknown as Record<string, Function>)['Check']!.call(h, { service }, (e: grpc.ServiceError | null, r: { status: string }) => resolve(e === null ? { status: r.status } : { code: e.code })),
      )
    expect(await check('')).toEqual({ status: 'SERVING' })
    expect(await check('layerbench.echo.Echo')).toEqual({ status: 'SERVING' })
    expect(await check('nope')).toEqual({ code: grpc.status.NOT_FOUND })
    const watched: string[] = []
    const watch = (h as unknown as Record<string, Function>)['Watch']!.call(h, { service: '' }) as grpc.ClientReadableStream<{ status: string }>
    watch.on('error', () => undefined)
    const seen = new Promise<void>((resolve) =>
      watch.on('data', (r: { status: string }) => {
        watched.push(r.status)
        if (watched.length === 1) b.state.changeBehaviour({ healthy: false })
        if (watched.length === 2) resolve()
      }),
    )
    await seen
    watch.cancel()
    expect(watched).toEqual(['SERVING', 'NOT_SERVING'])
    expect(await check('')).toEqual({ status: 'NOT_SERVING' })
    // Health calls are not load.
    expect(b.state.served.grpc.requests).toBe(0)
  })

  it('serves TLS with ALPN h2', async () => {
    const ca = await generateCertificateAuthority({ commonName: 'grpc test ca' })
    const leaf = await issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] })
    const b = await backend({ id: 'g-tls', grpc: { port: 0, tls: { cert: leaf.cert, key: leaf.key } } })
    const c = client(EchoClient, b.ports.grpc!, grpc.credentials.createSsl(Buffer.from(ca.cert)))
    expect((await unary(c, 'secure')).reply?.backend).toBe('g-tls')
    expect(b.state.snapshot().seen.tls).toBe(1)
  })

  it('sends GOAWAY at the maximum connection age, and the client moves to a new connection', async () => {
    const b = await backend({ id: 'g-age', connectionAge: { maxMs: 150, graceMs: 100 } })
    const c = client(EchoClient, b.ports.grpc!)
    expect((await unary(c, 'first')).reply).toBeDefined()
    expect(b.state.served.grpc.connections).toBe(1)
    // Past the longest jittered age (165 ms) and its grace, the first connection is gone.
    await new Promise((r) => setTimeout(r, 400))
    expect((await unary(c, 'later')).reply).toBeDefined()
    expect(b.state.served.grpc.connections).toBe(2)
  })
})
