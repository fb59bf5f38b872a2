/**
 * The backend's gRPC services as grpc-js service definitions, loaded once from the shipped
 * `.proto` files with @grpc/proto-loader: `layerbench.echo.Echo` (unary and server-streaming echo)
 * and the standard `grpc.health.v1.Health`.
 */
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { projectRoot } from '../system/environment.js'
import { BACKEND_PROTO_DIR, BACKEND_PROTO_FILES } from './proto-files.js'

/** The full names of the backend's services. */
export const ECHO_SERVICE = 'layerbench.echo.Echo'
export const HEALTH_SERVICE = 'grpc.health.v1.Health'

/** The echo service's unary method as a request path, what a load generator sends to. */
export const ECHO_UNARY_PATH = `/${ECHO_SERVICE}/Unary`

/** `EchoRequest` as grpc-js hands it to a handler. */
export interface EchoRequest {
  readonly message: string
}

/** `EchoStreamRequest`. */
export interface EchoStreamRequest {
  readonly message: string
  readonly count: number
}

/** `EchoReply`. */
export interface EchoReply {
  readonly backend: string
  readonly message: string
  readonly served: number
  readonly pad: Buffer
  readonly index: number
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`, by name. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN'

/** The loaded definitions. */
export interface BackendProtos {
  readonly echo: grpc.ServiceDefinition
  readonly health: grpc.ServiceDefinition
  /** Encodes an `EchoRequest` (the bytes a generator sends, framed once ahead of a run). */
  readonly encodeEchoRequest: (request: EchoRequest) => Buffer
  /** Decodes an `EchoReply`. */
  readonly decodeEchoReply: (bytes: Buffer) => EchoReply
}

let loaded: BackendProtos | undefined

/** The absolute paths of the shipped `.proto` files. */
export function backendProtoPaths(root: string = projectRoot()): string[] {
  return BACKEND_PROTO_FILES.map((f) => join(root, BACKEND_PROTO_DIR, f))
}

/** The backend's services, loaded on first use (a missing file throws, naming it). */
export function backendProtos(): BackendProtos {
  if (loaded !== undefined) return loaded
  // Numbers rather than Long objects, enums by name, absent fields at their defaults: what a
  // handler and a test compare against.
  const definition = protoLoader.loadSync(backendProtoPaths(), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true })
  const service = (name: string) => {
    const d = definition[name]
    if (d === undefined || !('Unary' in d || 'Check' in d)) throw new Error(`${name} is not in ${BACKEND_PROTO_DIR}`)
    return d as grpc.ServiceDefinition
  }
  const echo = service(ECHO_SERVICE)
  const unary = echo['Unary']!
  loaded = {
    echo,
    health: service(HEALTH_SERVICE),
    encodeEchoRequest: (r) => unary.requestSerialize(r),
    decodeEchoReply: (b) => unary.responseDeserialize(b) as EchoReply,
  }
  return loaded
}
