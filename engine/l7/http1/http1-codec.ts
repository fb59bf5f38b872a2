import { CHUNKED, UNTIL_CLOSE, type HttpHeader, type RequestHead, type ResponseHead } from '../../http/http-head.js'
import { parseResponseHead, responseFraming } from '../../http/http-parser.js'
import { requestHeadString, responseHeadString } from '../../http/http-writer.js'
import { hopByHopNames } from '../../http/hop-by-hop.js'
import { statusText } from '../../http/status-text.js'
import type { Codec } from '../codec.js'
import { bodyReaderFor } from './body-readers.js'

const CRLF = Buffer.from('\r\n', 'latin1')
const KEEP_FOR_UPGRADE = new Set(['connection', 'upgrade'])

/** Hop-by-hop names minus Connection and Upgrade, which an upgrade must pass on. */
function withoutUpgradeNames(names: ReadonlySet<string>): Set<string> {
  const copy = new Set(names)
  for (const name of KEEP_FOR_UPGRADE) copy.delete(name)
  return copy
}

/** A copy of `headers` without the names in `drop` (lower case). */
function without(headers: readonly HttpHeader[], drop: ReadonlySet<string>): HttpHeader[] {
  const out: HttpHeader[] = []
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!
    if (!drop.has(h.name.toLowerCase())) out.push(h)
  }
  return out
}

/**
 * The Transfer-Encoding lines of a message joined into one list, or undefined. Bodies are relayed
 * as received, so every coding applied to them (gzip, then chunked) must go along, not just chunked.
 */
function transferCodings(headers: readonly HttpHeader[]): string | undefined {
  let joined: string | undefined
  for (const h of headers) {
    if (h.name.length === 17 && h.name.toLowerCase() === 'transfer-encoding') joined = joined === undefined ? h.value : `${joined}, ${h.value}`
  }
  return joined
}

/** The origin-form target of a request (absolute-form targets are reduced to path and query). */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 47 /* / */) return target
  const scheme = target.indexOf('://')
  if (scheme < 0) return target
  const slash = target.indexOf('/', scheme + 3)
  const query = target.indexOf('?', scheme + 3)
  if (slash < 0) return query < 0 ? '/' : `/${target.slice(query)}`
  return query >= 0 && query < slash ? `/${target.slice(query)}` : target.slice(slash)
}

/** HTTP/1.1 (and 1.0) on both sides, bodies relayed in the framing they came in. */
export const http1Codec: Codec = {
  protocol: 'http/1.1',

  forwardRequestHeaders(head) {
    const drop = head.upgrade === undefined ? hopByHopNames(head) : withoutUpgradeNames(hopByHopNames(head))
    return without(head.headers, drop)
  },

  encodeRequestHead(head, headers) {
    if (head.framing.kind === 'chunked') headers.push({ name: 'Transfer-Encoding', value: transferCodings(head.headers) ?? 'chunked' })
    // An HTTP/1.0 request goes upstream as HTTP/1.0, so the response comes back in a framing a
    // 1.0 client understands (never chunked); keep-alive is asked for explicitly.
    if (head.version === '1.0' && head.upgrade === undefined) headers.push({ name: 'Connection', value: 'keep-alive' })
    const line = requestHeadString(head.method, originForm(head.target), headers)
    return head.version === '1.0' ? line.replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n') : line
  },

  parseResponseHead: (buf, limits) => parseResponseHead(buf, 0, buf.length, limits),

  responseFraming: (request, head) => responseFraming(request.method, head),

  forwardResponseHeaders(head) {
    const drop = head.status === 101 ? withoutUpgradeNames(hopByHopNames(head)) : hopByHopNames(head)
    return without(head.headers, drop)
  },

  encodeInterim(request, head) {
    // Interim responses (100 Continue, 103 Early Hints) go to HTTP/1.1 clients as they come.
    if (request.version !== '1.1') return undefined
    return responseHeadString(head.status, head.reason, without(head.headers, hopByHopNames(head)))
  },

  encodeResponseHead(request, status, reason, headers, o) {
    const framing = o.framing.kind
    // A body framed here is chunked by us alone; one relayed keeps the codings it came with.
    const codings = o.upstream === undefined ? (framing === 'chunked' ? 'chunked' : undefined) : framing === 'chunked' || framing === 'close' ? transferCodings(o.upstream.headers) : undefined
    if (codings !== undefined) headers.push({ name: 'Transfer-Encoding', value: codings })
    if (status !== 101) {
      if (!o.keepAlive) headers.push({ name: 'Connection', value: 'close' })
      else if (request.version === '1.0') headers.push({ name: 'Connection', value: 'keep-alive' })
    }
    return responseHeadString(status, reason, headers)
  },

  encodeAnswer(status, headers, body, keepAlive) {
    let head = `HTTP/1.1 ${status} ${statusText(status)}\r\n`
    for (const h of headers) head += `${h.name}: ${h.value}\r\n`
    return `${head}content-length: ${body.length}\r\nconnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${body}`
  },

  bodyReader: bodyReaderFor,

  transferCoded(head) {
    const codings = transferCodings(head.headers)
    return codings !== undefined && codings.trim().toLowerCase() !== 'chunked'
  },

  // An HTTP/1.0 client cannot read chunked: the body then ends with the connection.
  streamFraming: (request) => (request.version === '1.1' ? CHUNKED : UNTIL_CLOSE),

  encodeBodyChunk(framing, chunk) {
    if (framing.kind !== 'chunked') return chunk
    return Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF])
  },

  encodeBodyEnd: (framing) => (framing.kind === 'chunked' ? '0\r\n\r\n' : ''),
}
