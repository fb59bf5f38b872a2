/** gRPC status codes the balancer answers with (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const

/** The balancer's own failures whose gRPC status says more than their HTTP status would. */
const BY_CODE: Readonly<Record<string, number>> = {
  LB_ERR_UPSTREAM_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  LB_ERR_UPSTREAM_CONNECT_TIMEOUT: GrpcStatus.UNAVAILABLE,
  LB_ERR_NO_HEALTHY_BACKEND: GrpcStatus.UNAVAILABLE,
  LB_ERR_NO_ROUTE: GrpcStatus.UNIMPLEMENTED,
  LB_ERR_FILTER: GrpcStatus.INTERNAL,
}

/**
 * The gRPC status of an answer the balancer gives a gRPC call itself: by its error code when it
 * has one that maps, else by its HTTP status as gRPC's HTTP-to-gRPC table does (400 INTERNAL,
 * 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429 and 502–504 UNAVAILABLE,
 * anything else UNKNOWN).
 */
export function grpcStatusOf(httpStatus: number, code: string | undefined): number {
  const byCode = code === undefined ? undefined : BY_CODE[code]
  if (byCode !== undefined) return byCode
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL
    case 401:
      return GrpcStatus.UNAUTHENTICATED
    case 403:
      return GrpcStatus.PERMISSION_DENIED
    case 404:
      return GrpcStatus.UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE
    default:
      return GrpcStatus.UNKNOWN
  }
}

const UNITS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }

/** A `grpc-timeout` value (up to 8 digits and a unit, gRPC over HTTP/2) in milliseconds; undefined when malformed. */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const m = /^(\d{1,8})([HMSmun])$/.exec(value.trim())
  return m === null ? undefined : Number(m[1]) * UNITS[m[2]!]!
}

/** True for a gRPC request (its content type is application/grpc, with or without a subtype). */
export function isGrpc(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/grpc([+;]|$)/i.test(contentType)
}

/** A grpc-message value: percent-encoded outside printable ASCII (and `%` itself), as the protocol asks. */
export function grpcMessage(text: string): string {
  let out = ''
  for (const b of Buffer.from(text, 'utf8')) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  return out
}
