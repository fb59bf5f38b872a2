/**
 * What each stream of an h2 or grpc run sends: its header block and body, built once for the
 * common case (one shape, no per-request headers, no cookie). A gRPC call is a POST of one
 * pre-encoded, length-prefixed message with `te: trailers`, so the generator never runs protobuf
 * while measuring.
 */
import type { OutgoingHttpHeaders } from 'node:http2'
import { backendProtos, ECHO_UNARY_PATH } from '../../backend/grpc-protos.js'
import type { ResolvedPlan } from '../load-plan.js'
import { defaultHostHeader } from './http-request.js'

/** One stream's request. */
export interface H2Request {
  readonly headers: OutgoingHttpHeaders
  /** Absent: the header block ends the stream. */
  readonly body?: Buffer
}

/** The request of stream `i`, with the client's Cookie header when it has one. */
export type H2RequestEncoder = (i: number, cookie?: string) => H2Request

/** A gRPC length-prefixed message (gRPC over HTTP/2): a 0 (uncompressed) flag, a 4-byte big-endian length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length)
  out[0] = 0
  out.writeUInt32BE(message.length, 1)
  out.set(message, 5)
  return out
}

/** The EchoRequest every grpc run sends by default. */
export function defaultGrpcMessage(): Uint8Array {
  return backendProtos().encodeEchoRequest({ message: 'ping' })
}

/** The requests of a grpc run: every call the same, so built once. */
export function grpcRequestEncoder(plan: ResolvedPlan): H2RequestEncoder {
  const body = grpcFrame(plan.grpc?.message ?? defaultGrpcMessage())
  const base: OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': plan.grpc?.path ?? ECHO_UNARY_PATH,
    ':authority': plan.http?.hostHeader ?? defaultHostHeader(plan.target),
    'content-type': 'application/grpc',
    te: 'trailers',
    'user-agent': 'layerbench',
    ...lowerCased(plan.http?.headers),
  }
  const one: H2Request = { headers: base, body }
  const perRequest = plan.headersPerRequest
  return (i, cookie) =>
    perRequest === undefined && cookie === undefined ? one : { headers: { ...base, ...lowerCased(perRequest?.(i)), ...(cookie === undefined ? {} : { cookie }) }, body }
}

/** The requests of an h2 run, from the plan's HTTP shape (and mix, and per-request headers). */
export function h2RequestEncoder(plan: ResolvedPlan): H2RequestEncoder {
  const build = (i: number, cookie: string | undefined): H2Request => {
    const s = plan.requestFor === undefined ? (plan.http ?? {}) : { ...plan.http, ...plan.requestFor(i) }
    const headers: OutgoingHttpHeaders = {
      ':method': s.method ?? 'GET',
      ':path': s.path ?? '/',
      ':authority': s.hostHeader ?? defaultHostHeader(plan.target),
      'user-agent': 'layerbench',
    }
    for (const [name, value] of Object.entries(lowerCased(s.headers))) {
      // HTTP/2 carries the host as :authority and has no connection-specific headers.
      if (name === 'host') headers[':authority'] = value
      else if (name !== 'connection') headers[name] = value
    }
    Object.assign(headers, lowerCased(plan.headersPerRequest?.(i)))
    if (cookie !== undefined) headers['cookie'] = cookie
    if (s.bodyBytes === undefined || s.bodyBytes === 0) return { headers }
    headers['content-length'] = s.bodyBytes
    return { headers, body: Buffer.alloc(s.bodyBytes, 'x') }
  }
  if (plan.requestFor !== undefined || plan.headersPerRequest !== undefined) return build
  const one = build(0, undefined)
  return (i, cookie) => (cookie === undefined ? one : build(i, cookie))
}

/** HTTP/2 header names are lower case. */
function lowerCased(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value
  return out
}
