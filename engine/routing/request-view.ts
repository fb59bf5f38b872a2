import { getCookie } from './cookies.js'
import { normalizeHost } from './host-match.js'
import { queryParam, requestPath, targetAuthority } from './request-target.js'
import type { RouteRequest } from './route-types.js'

/**
 * One request as the matchers see it during one `match`. The path is derived up front (every
 * lookup needs it); the host only when a host map or host condition asks; the Cookie header is
 * read at most once and only if a cookie matcher runs; query parameters are read on demand.
 */
export class RequestView {
  /** `undefined` until first asked. */
  #host: string | undefined
  /** `null` until the first cookie matcher asks. */
  #cookieHeader: string | undefined | null = null

  constructor(
    readonly request: RouteRequest,
    /** Raw, without query string. */
    readonly path: string,
  ) {}

  /**
   * Normalised: lower-case, no port. An absolute-form target's authority overrides the Host
   * header, as RFC 9112 §3.2.2 requires of a server receiving one.
   */
  get host(): string {
    if (this.#host === undefined) {
      const target = this.request.target
      const authority = target.charCodeAt(0) === 0x2f ? undefined : targetAuthority(target)
      this.#host = normalizeHost(authority === undefined || authority === '' ? this.request.host : authority)
    }
    return this.#host
  }

  cookie(name: string): string | undefined {
    if (this.#cookieHeader === null) this.#cookieHeader = this.request.cookieHeader()
    return getCookie(this.#cookieHeader, name)
  }

  query(name: string): string | undefined {
    return queryParam(this.request.target, name)
  }
}

/** The view of `request`. */
export function viewRequest(request: RouteRequest): RequestView {
  return new RequestView(request, requestPath(request.target))
}

/** The first path segment ('/api/v1/x' → 'api', '/' → ''), or `undefined` for a path not starting with '/'. */
export function firstSegment(path: string): string | undefined {
  if (path.charCodeAt(0) !== 0x2f) return undefined
  const end = path.indexOf('/', 1)
  return path.slice(1, end < 0 ? path.length : end)
}
