import type { ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2'
import { ChunkedTracker } from '../../http/chunked.js'
import { CHUNKED, getHeader, NO_BODY, type BodyFraming, type HttpHeader, type RequestHead, type ResponseHead } from '../../http/http-head.js'
import { statusText } from '../../http/status-text.js'
import { originForm } from '../http1/http1-codec.js'
import { h2HeaderFields } from './h2-heads.js'

/**
 * The header block of a request sent upstream over HTTP/2: pseudo-headers from the request, Host
 * as `:authority`, `te: trailers` kept when the client asked for trailers (gRPC needs it), and
 * the fields the filters shaped (`headers`, hop-by-hop already dropped).
 */
export function h2RequestFields(request: RequestHead, headers: readonly HttpHeader[], scheme: 'http' | 'https'): OutgoingHttpHeaders {
  let authority: string | undefined
  const rest: HttpHeader[] = []
  for (const h of headers) {
    if (authority === undefined && h.name.length === 4 && h.name.toLowerCase() === 'host') authority = h.value
    else rest.push(h)
  }
  const fields = h2HeaderFields(undefined, rest)
  fields[':method'] = request.method
  fields[':path'] = originForm(request.target)
  fields[':scheme'] = scheme
  if (authority !== undefined) fields[':authority'] = authority
  const te = request.get('te')
  if (te !== undefined && /(^|,)\s*trailers\s*(;|,|$)/i.test(te)) fields.te = 'trailers'
  return fields
}

/** Header fields of a `node:http2` header object, pseudo-headers left out, repeated ones one field each. */
export function fieldsOf(h: IncomingHttpHeaders): HttpHeader[] {
  const out: HttpHeader[] = []
  for (const name of Object.keys(h)) {
    if (name.charCodeAt(0) === 58) continue
    const v = h[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const x of v) out.push({ name, value: x })
    else out.push({ name, value: String(v) })
  }
  return out
}

/**
 * An HTTP/2 response head in the lifecycle's terms. A body is framed chunked for the way down
 * (the lifecycle encodes DATA as chunks, and the stream's end as the last chunk, which may carry
 * trailers): HTTP/2 ends a body with END_STREAM, not a length, and trailers may follow it.
 * Headers that ended the stream (a Trailers-Only gRPC answer, say) have no body at all.
 */
export function responseHeadFromH2(h: IncomingHttpHeaders, endStream: boolean): ResponseHead {
  const status = Number(h[':status'] ?? 0)
  const headers = fieldsOf(h).filter((f) => f.name !== 'content-length' || endStream)
  const framing: BodyFraming = endStream ? NO_BODY : CHUNKED
  if (!endStream) headers.push({ name: 'transfer-encoding', value: 'chunked' })
  return { version: '1.1', status, reason: statusText(status), headers, keepAlive: true, framing, headBytes: 0, get: getHeader }
}

const CRLF = Buffer.from('\r\n', 'latin1')

/** One chunk of a chunked body around `data` (never empty: a zero-size chunk ends the body). */
export function chunkOf(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF])
}

/** The last chunk, with trailer fields when given. */
export function lastChunk(trailers: readonly HttpHeader[] | undefined): Buffer {
  let s = '0\r\n'
  for (const t of trailers ?? []) s += `${t.name}: ${t.value}\r\n`
  return Buffer.from(`${s}\r\n`, 'latin1')
}

/**
 * Where a request body goes on an upstream HTTP/2 stream: the bytes arrive in the framing the
 * client used (a chunked body is decoded here), and the stream is ended when the body is.
 */
export class H2BodySink {
  private readonly dechunk: ChunkedTracker | undefined
  private owed: number

  constructor(
    private readonly stream: ClientHttp2Stream,
    framing: BodyFraming,
    maxTrailerBytes: number,
  ) {
    this.dechunk = framing.kind === 'chunked' ? new ChunkedTracker({ maxTrailerBytes }) : undefined
    this.owed = framing.kind === 'length' ? framing.length : 0
  }

  write(chunk: Buffer): boolean {
    const stream = this.stream
    if (stream.destroyed) return true
    if (this.dechunk === undefined) {
      this.owed -= chunk.length
      const ok = stream.write(chunk)
      if (this.owed <= 0) stream.end()
      return ok
    }
    let ok = true
    const end = this.dechunk.feed(chunk, 0, chunk.length, (data) => {
      ok = stream.write(data) && ok
    })
    if (end >= 0) stream.end()
    return ok
  }
}
