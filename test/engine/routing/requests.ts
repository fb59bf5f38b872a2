import type { RouteRequest } from '../../../engine/routing/route-types.js'

/** A request as tests describe it; header names in any case. */
export interface RequestSpec {
  readonly method?: string
  readonly host?: string
  readonly target?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly cookie?: string
}

/** A `RouteRequest` that counts how often the router reads the host, headers and cookies. */
export interface CountingRequest extends RouteRequest {
  readonly reads: { host: number; header: number; cookie: number }
}

/** Builds a request: GET '/' with no Host unless told otherwise. */
export function request(spec: RequestSpec = {}): CountingRequest {
  const headers = new Map(Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
  const reads = { host: 0, header: 0, cookie: 0 }
  return {
    method: spec.method ?? 'GET',
    get host() {
      reads.host++
      return spec.host
    },
    target: spec.target ?? '/',
    reads,
    header(name) {
      reads.header++
      return headers.get(name)
    },
    cookieHeader() {
      reads.cookie++
      return spec.cookie
    },
  }
}
