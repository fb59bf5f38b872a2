/**
 * gRPC on the backend, served by @grpc/grpc-js from the shipped protos: `layerbench.echo.Echo`
 * (unary and server streaming) under the behaviour — latency, errors as gRPC statuses, resets,
 * slow streams — and `grpc.health.v1.Health` answering from the backend's health. Connections
 * are accepted by the shared stream listener (PROXY header, TLS with ALPN `h2`) and injected
 * into grpc-js, so the backend knows which connection carries each call.
 */
import * as grpc from '@grpc/grpc-js'
import type { BackendConfig } from './backend-config.js'
import type { BackendState } from './backend-state.js'
import { grpcStatusOf, type Decision } from './behaviour.js'
import { backendProtos, ECHO_SERVICE, type EchoReply, type EchoRequest, type EchoStreamRequest, type ServingStatus } from './grpc-protos.js'
import { attributeClient } from './http-answers.js'
import { paceBody } from './slow-body.js'
import { resetConnection, whenSecure, type AcceptedConnection, type ProtocolConnection } from './stream-listener.js'

/** ALPN offered by the gRPC listener with TLS: gRPC is HTTP/2 only. */
export const GRPC_ALPN = ['h2'] as const

/** Replies of a server stream when the request asks for none; and the most it may ask for. */
const DEFAULT_STREAM_COUNT = 10
const MAX_STREAM_COUNT = 10_000

/** The gRPC side of a backend: its connection handler, and its graceful stop. */
export interface GrpcProtocol {
  readonly serve: (accepted: AcceptedConnection) => ProtocolConnection
  /** GOAWAY on every connection; calls in progress have `graceMs` to finish. */
  drain(graceMs: number): void
  /** Closes what is left. */
  destroy(): void
}

/** The gRPC server of the backend with `state`. */
export function grpcProtocol(state: BackendState, age: BackendConfig['connectionAge']): GrpcProtocol {
  const protos = backendProtos()
  const options: grpc.ServerOptions =
    age === undefined ? {} : { 'grpc.max_connection_age_ms': age.maxMs, 'grpc.max_connection_age_grace_ms': age.graceMs }
  const server = new grpc.Server(options)
  // grpc-js names a call's connection by its peer as `address:port`.
  const connections = new Map<string, AcceptedConnection>()
  const echo = new EchoService(state, (peer) => connections.get(peer))
  server.addService(protos.echo, { Unary: echo.unary, ServerStream: echo.serverStream })
  server.addService(protos.health, healthService(state))
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure())
  return {
    serve: (accepted) => {
      const key = `${accepted.tcp.remoteAddress}:${accepted.tcp.remotePort}`
      connections.set(key, accepted)
      accepted.tcp.once('close', () => connections.delete(key))
      // node:http2 takes a TLS socket only once its handshake is done.
      whenSecure(accepted, () => injector.injectConnection(accepted.socket))
      // The listener's drain is the injector's, for every connection at once.
      return { drain: () => undefined }
    },
    drain: (graceMs) => injector.drain(graceMs),
    destroy: () => injector.destroy(),
  }
}

/** Initial metadata of an echo call: who answers, and the call's ordinal. */
function backendMetadata(id: string, served: number): grpc.Metadata {
  const md = new grpc.Metadata()
  md.set('x-backend', id)
  md.set('x-backend-served', String(served))
  return md
}

function firstValue(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0]
  return v === undefined ? undefined : String(v)
}

/** The echo service's handlers. */
class EchoService {
  constructor(
    private readonly state: BackendState,
    private readonly connectionOf: (peer: string) => AcceptedConnection | undefined,
  ) {}

  unary = (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>): void => {
    this.begin(call, (served, decision, from) => {
      if (this.resetIf(decision, from)) return
      call.sendMetadata(backendMetadata(this.state.id, served))
      if (decision.outcome === 'error') return callback(this.error())
      this.state.countGrpc(grpc.status.OK)
      callback(null, this.reply(call.request.message, served, 0))
    })
  }

  serverStream = (call: grpc.ServerWritableStream<EchoStreamRequest, EchoReply>): void => {
    this.begin(call, (served, decision, from) => {
      if (this.resetIf(decision, from)) return
      call.sendMetadata(backendMetadata(this.state.id, served))
      if (decision.outcome === 'error') return void call.emit('error', this.error())
      const asked = call.request.count
      const count = asked === 0 ? DEFAULT_STREAM_COUNT : Math.min(asked, MAX_STREAM_COUNT)
      const reply = (i: number) => this.reply(call.request.message, served, i)
      const finish = () => {
        this.state.countGrpc(grpc.status.OK)
        call.end()
      }
      const slow = this.state.behaviour.slowBody
      if (slow === undefined) {
        for (let i = 0; i < count; i++) call.write(reply(i))
        return finish()
      }
      // Replies leave at the byte rate, each weighing about its encoded size.
      const replyBytes = Math.max(1, reply(0).pad.length + reply(0).message.length + this.state.id.length + 12)
      const paced = paceBody(count, slow.bytesPerSecond / replyBytes, (from, to) => {
        for (let i = from; i < to; i++) call.write(reply(i))
      }, finish)
      call.once('cancelled', () => paced.cancel())
    })
  }

  /** Counts and attributes the call, draws its fate and waits out its latency (unless cancelled). */
  private begin(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, then: (served: number, decision: Decision, from: AcceptedConnection | undefined) => void): void {
    const state = this.state
    const served = ++state.served.grpc.requests
    const from = this.connectionOf(call.getPeer())
    if (from !== undefined) {
      const seen = attributeClient(firstValue(call.metadata, 'x-forwarded-for'), firstValue(call.metadata, 'x-real-ip'), from.client)
      state.see(from.tls, seen.address, seen.via, from.peer)
    }
    const decision = state.decide()
    if (decision.delayMs <= 0) return then(served, decision, from)
    const held = state.hold(decision.delayMs, () => {
      if (!call.cancelled) then(served, decision, from)
    })
    call.once('cancelled', () => held.cancel())
  }

  /**
   * A drawn reset resets the TCP connection carrying the call (grpc-js gives a handler no hold on
   * its HTTP/2 stream): every call on that connection fails, as with an HTTP/1.1 reset.
   */
  private resetIf(decision: Decision, from: AcceptedConnection | undefined): boolean {
    if (decision.outcome !== 'reset' || from === undefined) return false
    this.state.served.grpc.resets++
    resetConnection(from.tcp, from.socket)
    return true
  }

  private error(): Partial<grpc.StatusObject> {
    const code = grpcStatusOf(this.state.behaviour)
    this.state.countGrpc(code)
    return { code, details: `injected error by backend ${this.state.id}` }
  }

  private reply(message: string, served: number, index: number): EchoReply {
    const bytes = this.state.behaviour.responseBytes
    return { backend: this.state.id, message, served, pad: bytes === undefined ? EMPTY : padOf(bytes), index }
  }
}

const EMPTY = Buffer.alloc(0)
let pad: Buffer = EMPTY
/** `bytes` bytes of `x`, kept for the next reply of the same size. */
function padOf(bytes: number): Buffer {
  if (pad.length !== bytes) pad = Buffer.alloc(bytes, 'x')
  return pad
}

/** grpc.health.v1: the backend as a whole and its echo service share the backend's health. */
function healthService(state: BackendState): grpc.UntypedServiceImplementation {
  const known = (service: string) => service === '' || service === ECHO_SERVICE
  const status = (): ServingStatus => (state.healthy ? 'SERVING' : 'NOT_SERVING')
  return {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, { status: ServingStatus }>, callback: grpc.sendUnaryData<{ status: ServingStatus }>) => {
      if (!known(call.request.service)) return callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` })
      callback(null, { status: status() })
    },
    Watch: (call: grpc.ServerWritableStream<{ service: string }, { status: ServingStatus }>) => {
      if (!known(call.request.service)) return void call.write({ status: 'SERVICE_UNKNOWN' })
      call.write({ status: status() })
      const stop = state.watchHealth(() => call.write({ status: status() }))
      call.once('cancelled', stop)
      call.once('close', stop)
    },
  }
}
