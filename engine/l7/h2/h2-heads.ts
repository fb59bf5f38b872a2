import type { OutgoingHttpHeaders } from 'node:http2'
import { CHUNKED, getHeader, NO_BODY, type BodyFraming, type HttpHeader, type RequestHead } from '../../http/http-head.js'

/**
 * Fields that describe one HTTP/1.1 connection and are malformed in HTTP/2 (RFC 9113 §8.2.2);
 * `te` is allowed with the value `trailers` only.
 */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings'])

/** Fields Node's HTTP/2 refuses to send more than once: the first value received is kept. */
const SINGLE_VALUE: ReadonlySet<string> = new Set([
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expires',
  'last-modified',
  'location',
  'retry-after',
  'x-content-type-options',
])

/** A Content-Length value as a length, or undefined unless it is plain digits. */
function lengthOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined
  return Number(value)
}

/**
 * The request head of an HTTP/2 stream in the lifecycle's terms, from its header block as received
 * (`raw`: names and values alternating, pseudo-headers first). `:authority` becomes Host when the
 * request has none, and split Cookie fields are joined with "; " (RFC 9113 §8.2.3) so the
 * request can travel as HTTP/1.1. The body is framed by Content-Length when given; otherwise
 * it is framed chunked (the downstream encodes DATA frames as chunks) unless the headers ended the
 * stream.
 */
export function requestHeadFromH2(raw: readonly string[], endStream: boolean): RequestHead {
  const headers: HttpHeader[] = []
  let method = 'GET'
  let path = '/'
  let authority: string | undefined
  let host: string | undefined
  let cookies: string | undefined
  let length: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    if (name.charCodeAt(0) === 58 /* : */) {
      if (name === ':method') method = value
      else if (name === ':path') path = value
      else if (name === ':authority') authority = value
      continue
    }
    if (name === 'cookie') {
      cookies = cookies === undefined ? value : `${cookies}; ${value}`
      continue
    }
    if (name === 'host') host ??= value
    else if (name === 'content-length') length ??= value
    headers.push({ name, value })
  }
  if (host === undefined && authority !== undefined) {
    host = authority
    headers.unshift({ name: 'host', value: authority })
  }
  if (cookies !== undefined) headers.push({ name: 'cookie', value: cookies })
  const n = lengthOf(length)
  const framing: BodyFraming = endStream ? NO_BODY : n !== undefined ? { kind: 'length', length: n } : CHUNKED
  return {
    method,
    target: path,
    version: '1.1',
    headers,
    framing,
    keepAlive: true,
    expectContinue: false,
    ...(host === undefined ? {} : { host }),
    headBytes: 0,
    get: getHeader,
  }
}

/**
 * Header fields for `respond` or `additionalHeaders` of an HTTP/2 stream: names in lower case,
 * connection-specific fields and any pseudo-header dropped, repeated fields as arrays (Set-Cookie)
 * except those HTTP/2 carries once.
 */
export function h2HeaderFields(status: number | undefined, headers: readonly HttpHeader[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = status === undefined ? {} : { ':status': status }
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!
    const name = h.name.toLowerCase()
    if (CONNECTION_SPECIFIC.has(name) || name.charCodeAt(0) === 58) continue
    if (name === 'te' && h.value.trim().toLowerCase() !== 'trailers') continue
    const prev = out[name]
    if (prev === undefined) out[name] = h.value
    else if (SINGLE_VALUE.has(name)) continue
    else if (Array.isArray(prev)) prev.push(h.value)
    else out[name] = [String(prev), h.value]
  }
  return out
}
