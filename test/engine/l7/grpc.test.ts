import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { httpListener, poolOf } from './clients.js'
import { closeH2Sessions, h2Connect, h2Request } from './h2-clients.js'

/** One gRPC message frame (uncompressed) around an encoded protobuf message. */
function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(message.length, 1)
  return Buffer.concat([head, message])
}

interface Message {
  text?: string
  delayMs?: number
  status?: number
  n?: number
}

type Unary = (req: Message, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Message) => void) => grpc.ClientUnaryCall
interface EchoClient extends grpc.Client {
  say: Unary
  count(req: Message, md?: grpc.Metadata): grpc.ClientReadableStream<Message>
}

const definition = protoLoader.loadSync(fileURLToPath(new URL('../../fixtures/grpc/echo.proto', import.meta.url)), { keepCase: false, defaults: true })
const proto = grpc.loadPackageDefinition(definition) as unknown as {
  layerbench: { test: { Echo: grpc.ServiceClientConstructor; Other: grpc.ServiceClientConstructor } }
}
const { Echo, Other } = proto.layerbench.test

const servers = new Set<grpc.Server>()
const clients = new Set<grpc.Client>()

afterEach(async () => {
  closeH2Sessions()
  for (const c of clients) c.close()
  clients.clear()
  await stopEngines()
  for (const s of servers) s.forceShutdown()
  servers.clear()
})

/** A gRPC server on 127.0.0.1 answering as `id`; `seen` counts calls and cancellations. */
async function grpcBackend(id: string) {
  const seen = { calls: 0, cancelled: 0, metadata: [] as grpc.Metadata[] }
  const server = new grpc.Server()
  const say = (call: grpc.ServerUnaryCall<Message, Message>, cb: grpc.sendUnaryData<Message>) => {
    seen.calls++
    seen.metadata.push(call.metadata)
    call.on('cancelled', () => seen.cancelled++)
    const req = call.request
    setTimeout(() => {
      if (call.cancelled) return
      const trailer = new grpc.Metadata()
      trailer.set('x-served-by', id)
      trailer.set('trace-bin', Buffer.from([0, 1, 2, 255]))
      if (req.status !== undefined && req.status !== 0) return cb({ code: req.status, details: `failed as asked: ${req.text}`, metadata: trailer })
      const md = new grpc.Metadata()
      md.set('x-backend', id)
      call.sendMetadata(md)
      cb(null, { text: `${id}: ${req.text}` }, trailer)
    }, req.delayMs ?? 0)
  }
  server.addService(Echo.service, {
    say,
    count: (call: grpc.ServerWritableStream<Message, Message>) => {
      seen.calls++
      for (let i = 0; i < (call.request.n ?? 0); i++) call.write({ text: id, n: i })
      call.end()
    },
  })
  server.addService(Other.service, { say: (call: grpc.ServerUnaryCall<Message, Message>, cb: grpc.sendUnaryData<Message>) => cb(null, { text: `other ${id}` }) })
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e))))
  servers.add(server)
  return { id, port, seen }
}

function clientOf<C extends grpc.Client>(ctor: grpc.ServiceClientConstructor, address: { host: string; port: number }): C {
  const c = new ctor(`${address.host}:${address.port}`, grpc.credentials.createInsecure()) as unknown as C
  clients.add(c)
  return c
}

function say(client: EchoClient, req: Message, options: grpc.CallOptions = {}, md = new grpc.Metadata()): Promise<{ res?: Message; err?: grpc.ServiceError; headers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined
    const call = client.say(req, md, options, (err, res) => resolve({ ...(err === null ? {} : { err }), ...(res === undefined ? {} : { res }), ...(headers === undefined ? {} : { headers }) }))
    call.on('metadata', (m) => (headers = m))
  })
}

async function engineFor(pools: Record<string, { id: string; port: number }[]>, routes: unknown[], extra: Record<string, unknown> = {}) {
  const engine = await engineFrom({
    listeners: [httpListener(routes, extra)],
    pools: Object.fromEntries(Object.entries(pools).map(([name, bs]) => [name, poolOf(bs, { protocol: 'h2' })])),
  })
  return listenerAddress(engine, 'web')
}

describe('gRPC through the engine (grpc-js client → engine L7 → grpc-js servers)', () => {
  it('unary calls on one client connection are balanced per call; metadata, binary trailers and statuses pass both ways', async () => {
    const bs = await Promise.all(['g1', 'g2', 'g3'].map((id) => grpcBackend(id)))
    const a = await engineFor({ app: bs }, [{ pool: 'app' }])
    const client = clientOf<EchoClient>(Echo, a)
    const md = new grpc.Metadata()
    md.set('x-tenant', 'blue')
    md.set('blob-bin', Buffer.from([9, 8, 7]))
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => say(client, { text: `hi ${i}` }, {}, md)))
    expect(results.every((r) => r.err === undefined)).toBe(true)
    expect(bs.map((b) => b.seen.calls)).toEqual([10, 10, 10])
    expect(results[4]!.res!.text).toMatch(/^g[123]: hi 4$/)
    expect(results[4]!.headers!.get('x-backend')[0]).toMatch(/^g[123]$/)
    const seenMd = bs[0]!.seen.metadata[0]!
    expect(seenMd.get('x-tenant')).toEqual(['blue'])
    expect(seenMd.get('blob-bin')).toEqual([Buffer.from([9, 8, 7])])
    // A status from the backend, with its message and binary trailer metadata.
    const failed = await say(client, { text: 'x', status: grpc.status.NOT_FOUND })
    expect(failed.err!.code).toBe(grpc.status.NOT_FOUND)
    expect(failed.err!.details).toBe('failed as asked: x')
    expect(failed.err!.metadata.get('trace-bin')).toEqual([Buffer.from([0, 1, 2, 255])])
    expect(failed.err!.metadata.get('x-served-by')[0]).toMatch(/^g[123]$/)
  })

  it('server streaming passes every message and the final status', async () => {
    const b = await grpcBackend('g1')
    const a = await engineFor({ app: [b] }, [{ pool: 'app' }])
    const client = clientOf<EchoClient>(Echo, a)
    const got: Message[] = []
    await new Promise<void>((resolve, reject) => {
      const s = client.count({ n: 50 })
      s.on('data', (m: Message) => got.push(m))
      s.on('status', (st: grpc.StatusObject) => (st.code === grpc.status.OK ? resolve() : reject(new Error(st.details))))
      s.on('error', reject)
    })
    expect(got.map((m) => m.n)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('routes on /package.Service/Method', async () => {
    const [echo, other] = await Promise.all([grpcBackend('echo'), grpcBackend('other')])
    const a = await engineFor({ echo: [echo], other: [other] }, [
      { match: { path: { prefix: '/layerbench.test.Other/' } }, pool: 'other' },
      { match: { path: { exact: '/layerbench.test.Echo/Say' } }, pool: 'echo' },
    ])
    const r1 = await say(clientOf<EchoClient>(Echo, a), { text: 'a' })
    const r2 = await say(clientOf<EchoClient>(Other, a), { text: 'b' })
    expect(r1.res!.text).toBe('echo: a')
    expect(r2.res!.text).toBe('other other')
    // No route for Echo/Count: the engine's 404 is UNIMPLEMENTED, as gRPC has it.
    const st = await new Promise<grpc.StatusObject>((resolve) => clientOf<EchoClient>(Echo, a).count({ n: 1 }).on('status', resolve).on('error', () => {}))
    expect(st.code).toBe(grpc.status.UNIMPLEMENTED)
    expect(st.metadata.get('x-layerbench-error')).toEqual(['LB_ERR_NO_ROUTE'])
  })

  it('the engine’s own failures are gRPC statuses: DEADLINE_EXCEEDED past grpc-timeout, UNAVAILABLE without a backend', async () => {
    // A backend that never answers nor enforces deadlines, and a raw call with grpc-timeout and no
    // deadline of the client's own: only the engine can end it.
    const silent = http2.createServer()
    silent.on('stream', () => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const b = await grpcBackend('live')
    const a = await engineFor({ silent: [{ id: 'silent', port: (silent.address() as AddressInfo).port }], app: [b] }, [
      { match: { path: { prefix: '/layerbench.test.Other/' } }, pool: 'silent' },
      { pool: 'app' },
    ])
    onTestFinished(() => {
      silent.close()
    })
    const session = await h2Connect(`http://${a.host}:${a.port}`)
    const late = await h2Request(session, '/layerbench.test.Other/Say', {
      method: 'POST',
      headers: { 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '200m' },
      body: grpcFrame(Buffer.from([0x0a, 0x01, 0x78])), // text "x"
    })
    // Trailers-Only: HTTP 200, the status in the one header block, no body.
    expect(late.status).toBe(200)
    expect(late.headers['grpc-status']).toBe(String(grpc.status.DEADLINE_EXCEEDED))
    expect(late.headers['x-layerbench-error']).toBe('LB_ERR_UPSTREAM_TIMEOUT')
    expect(late.body.length).toBe(0)
    const client = clientOf<EchoClient>(Echo, a)
    for (const s of servers) s.forceShutdown()
    const down = await say(client, { text: 'nobody' })
    expect(down.err!.code).toBe(grpc.status.UNAVAILABLE)
    expect(down.err!.metadata.get('x-layerbench-error')).toEqual(['LB_ERR_UPSTREAM_CONNECT'])
  })

  it('a cancelled call is cancelled at the backend (RST_STREAM passed on)', async () => {
    const b = await grpcBackend('g1')
    const a = await engineFor({ app: [b] }, [{ pool: 'app' }])
    const client = clientOf<EchoClient>(Echo, a)
    const call = client.say({ text: 'wait', delayMs: 5000 }, new grpc.Metadata(), {}, () => {})
    await eventually(() => expect(b.seen.calls).toBe(1))
    call.cancel()
    await eventually(() => expect(b.seen.cancelled).toBe(1))
  })
})
