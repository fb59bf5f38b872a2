/**
 * gRPC status codes as the wire carries them (`grpc-status`), their names, and gRPC's mapping of
 * an HTTP status to the code a client reports when a reply carries none
 * (grpc/doc/http-grpc-status-mapping.md). Shared by the backend (its injected errors) and the
 * load generator (its counts by status).
 */

/** The names of the codes 0–16, by code. */
export const GRPC_STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const

const UNKNOWN = 2
const HTTP_TO_GRPC: Readonly<Record<number, number>> = { 400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14 }

/** The code a gRPC client reports for an HTTP reply of `status` without `grpc-status`. */
export function grpcCodeOfHttpStatus(status: number): number {
  return HTTP_TO_GRPC[status] ?? UNKNOWN
}

/** The name of `code` (`OK`, `UNAVAILABLE`…), or the number itself for a code outside 0–16. */
export function grpcStatusName(code: number): string {
  return GRPC_STATUS_NAMES[code] ?? String(code)
}
