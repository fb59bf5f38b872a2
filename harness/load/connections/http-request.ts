import net from 'node:net'
import { requestHeadString, type HttpHeader } from '../../../engine/http/index.js'
import type { HttpRequestShape, LoadTarget } from '../load-types.js'

/** The bytes of request `i`, with the client's Cookie header when it has one. */
export type RequestEncoder = (i: number, cookie?: string) => Buffer

/** The default Host header of a target: `host:port`, with IPv6 literals bracketed. */
export function defaultHostHeader(target: LoadTarget): string {
  return net.isIPv6(target.host) ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`
}

/**
 * Encodes the plan's HTTP/1.1 requests. The common case — one shape, no per-request headers, no
 * cookie — is encoded once. `requestFor` gives each request its own shape (a mix), `perRequest`
 * adds headers, and a cookie is added per client. Headers are validated by the engine's writer, so
 * an invalid shape throws before any load is sent. `close` asks the server to close after the
 * response (one request per connection).
 */
export function httpRequestEncoder(
  target: LoadTarget,
  shape: HttpRequestShape = {},
  options: { close?: boolean; perRequest?: (i: number) => Record<string, string>; requestFor?: (i: number) => HttpRequestShape } = {},
): RequestEncoder {
  const build = (s: HttpRequestShape, extra: Record<string, string> | undefined, cookie: string | undefined) => {
    const headers: HttpHeader[] = [{ name: 'host', value: s.hostHeader ?? defaultHostHeader(target) }, { name: 'user-agent', value: 'layerbench' }]
    for (const [name, value] of Object.entries(s.headers ?? {})) {
      if (name.toLowerCase() === 'host' && s.hostHeader === undefined) headers[0] = { name: 'host', value }
      else headers.push({ name, value })
    }
    for (const [name, value] of Object.entries(extra ?? {})) headers.push({ name, value })
    if (cookie !== undefined) headers.push({ name: 'cookie', value: cookie })
    if (s.bodyBytes !== undefined) headers.push({ name: 'content-length', value: String(s.bodyBytes) })
    if (options.close === true) headers.push({ name: 'connection', value: 'close' })
    const head = Buffer.from(requestHeadString(s.method ?? 'GET', s.path ?? '/', headers), 'latin1')
    return s.bodyBytes === undefined || s.bodyBytes === 0 ? head : Buffer.concat([head, Buffer.alloc(s.bodyBytes, 'x')])
  }
  const { perRequest, requestFor } = options
  if (perRequest === undefined && requestFor === undefined) {
    const bytes = build(shape, undefined, undefined)
    return (_i, cookie) => (cookie === undefined ? bytes : build(shape, undefined, cookie))
  }
  build(shape, undefined, undefined)
  return (i, cookie) => build(requestFor === undefined ? shape : { ...shape, ...requestFor(i) }, perRequest?.(i), cookie)
}
