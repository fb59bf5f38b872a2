import { isHostPort } from './authority.js'
import { Field, classifyField } from './field-names.js'
import { contentLengthValue, TE_CHUNKED, TE_CHUNKED_UNKNOWN_CODING, TE_MALFORMED, transferEncodingVerdict } from './framing-fields.js'
import { FAILED, scan, scanFields, skipEmptyLines } from './head-scanner.js'
import type { BodyFraming, HttpHeader, RequestHead, ResponseHead } from './http-head.js'
import { CHUNKED, getHeader, NO_BODY, TUNNEL, UNTIL_CLOSE } from './http-head.js'
import { httpErrors, type HttpErrorCode, type HttpErrorStatus } from './http-errors.js'
import { CONNECTION_CLOSE, CONNECTION_KEEP_ALIVE, CONNECTION_UPGRADE, connectionOptions, lowerCaseListElements } from './list-tokens.js'
import { scanRequestLine, scanStatusLine } from './start-line.js'

/** Bounds on a head, checked while scanning so an oversized head is refused without being read whole. */
export interface HeadLimits {
  /** Bytes of the head including leading CRLFs and the final CRLFCRLF; default 16384. */
  readonly maxHeadBytes: number
  /** Header lines; default 100. */
  readonly maxHeaders: number
}

/** The limits used where none are given. */
export const defaultHeadLimits: HeadLimits = Object.freeze({ maxHeadBytes: 16384, maxHeaders: 100 })

/** Outcome of parsing a head from the bytes received so far. */
export type ParseResult<H> =
  | { readonly status: 'incomplete' }
  | { readonly status: 'complete'; readonly head: H }
  | { readonly status: 'error'; readonly httpStatus: HttpErrorStatus; readonly code: HttpErrorCode; readonly reason: string }

/** A parse failure (see {@link ParseResult}). */
export type ParseFailure = Extract<ParseResult<unknown>, { status: 'error' }>

const INCOMPLETE: ParseResult<never> = Object.freeze({ status: 'incomplete' })

function failure(code: HttpErrorCode): ParseFailure {
  const { status, meaning } = httpErrors[code]
  return { status: 'error', httpStatus: status, code, reason: meaning }
}

/** Maps a scan that did not finish to its result: an error, 431 once the limit is reached, else incomplete. */
function unfinished(pos: number, received: number, maxHeadBytes: number): ParseFailure | ParseResult<never> {
  if (pos === FAILED) return failure(scan.error)
  return received >= maxHeadBytes ? failure('HTTP_ERR_HEADERS_TOO_LARGE') : INCOMPLETE
}

/**
 * Where the last {@link scanHead} found a whole head: its start line begins at `lineStart` (after
 * any leading empty lines) and the head ends at `end`, just past the final CRLFCRLF. Reused like
 * `scan`, so a parse allocates nothing for it; parsing is synchronous, so no two parses interleave.
 */
const headSpan = { lineStart: 0, end: 0 }

/**
 * The part of a parse that requests and responses share: skips leading empty lines, scans the
 * start line with `scanStartLine` and the header lines after it, all within the limits. Returns the
 * head's text, from its start line through the final CRLFCRLF, with its bounds left in `headSpan`;
 * or, while the head is unfinished, the result to return.
 */
function scanHead(
  buf: Buffer,
  start: number,
  end: number,
  limits: Partial<HeadLimits> | undefined,
  scanStartLine: (buf: Buffer, pos: number, end: number) => number,
): string | ParseResult<never> {
  const maxHeadBytes = limits?.maxHeadBytes ?? defaultHeadLimits.maxHeadBytes
  const maxHeaders = limits?.maxHeaders ?? defaultHeadLimits.maxHeaders
  const limit = Math.min(end, start + maxHeadBytes)
  const lineStart = skipEmptyLines(buf, start, limit)
  let pos = lineStart
  if (pos >= 0) pos = scanStartLine(buf, pos, limit)
  if (pos >= 0) pos = scanFields(buf, pos, limit, maxHeaders, lineStart)
  if (pos < 0) return unfinished(pos, limit - start, maxHeadBytes)
  headSpan.lineStart = lineStart
  headSpan.end = pos
  // One latin1 decode of the whole head; every string a parse makes is a slice of it.
  return buf.toString('latin1', lineStart, pos)
}

/**
 * What the header lines read by the last {@link readFields} say. Reused like `scan`, so that reading
 * them allocates nothing beyond the headers themselves; parsing is synchronous.
 */
const said = {
  contentLength: -1,
  transferEncoding: undefined as string | undefined,
  connection: 0,
  // Read in responses too, where they are not used: one loop serves both kinds of head.
  host: undefined as string | undefined,
  hostStart: 0,
  hostEnd: 0,
  hosts: 0,
  upgrade: undefined as string | undefined,
  expectContinue: false,
}

/**
 * Reads the header lines of the head `text`, which starts at `lineStart` in `buf`, from the bounds
 * that `scan` holds: appends each to `headers` and leaves in `said` what they say about framing,
 * the connection, the host, upgrades and expectations. Returns the failure they prove, if any.
 */
function readFields(buf: Buffer, text: string, lineStart: number, headers: HttpHeader[]): ParseFailure | undefined {
  const fields = scan.fields
  const count = scan.fieldCount
  let host: string | undefined
  let hostStart = 0
  let hostEnd = 0
  let hosts = 0
  let contentLength = -1
  let transferEncoding: string | undefined
  let connection = 0
  let upgrade: string | undefined
  let expectContinue = false
  for (let i = 0; i < count << 2; i += 4) {
    const nameStart = fields[i]!
    const nameEnd = fields[i + 1]!
    const valueStart = fields[i + 2]!
    const valueEnd = fields[i + 3]!
    const value = text.slice(valueStart, valueEnd)
    headers.push({ name: text.slice(nameStart, nameEnd), value })
    switch (classifyField(buf, lineStart + nameStart, nameEnd - nameStart)) {
      case Field.Other:
        break
      case Field.Host:
        host = value
        hostStart = lineStart + valueStart
        hostEnd = lineStart + valueEnd
        hosts++
        break
      case Field.ContentLength: {
        const n = contentLengthValue(buf, lineStart + valueStart, lineStart + valueEnd)
        if (n < 0 || (contentLength >= 0 && n !== contentLength)) return failure('HTTP_ERR_BAD_CONTENT_LENGTH')
        contentLength = n
        break
      }
      case Field.TransferEncoding:
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`
        break
      case Field.Connection:
        connection |= connectionOptions(value)
        break
      case Field.Upgrade:
        upgrade = upgrade === undefined ? value : `${upgrade}, ${value}`
        break
      case Field.Expect:
        if (!expectContinue) expectContinue = lowerCaseListElements(value).includes('100-continue')
        break
    }
  }
  said.contentLength = contentLength
  said.transferEncoding = transferEncoding
  said.connection = connection
  said.host = host
  said.hostStart = hostStart
  said.hostEnd = hostEnd
  said.hosts = hosts
  said.upgrade = upgrade
  said.expectContinue = expectContinue
  return undefined
}

/**
 * Parses a request head from `buf[start, end)`, which holds the bytes received so far for this
 * message. Stateless: call again with more bytes while the result is `incomplete`. Never reads past
 * `end` or `start + maxHeadBytes`; reports an error as soon as the bytes seen prove one.
 *
 * Enforced (RFC 9112 unless noted): CRLF line ends only; leading empty lines skipped; single-space
 * request line with a token method, a VCHAR target in the form the method allows, HTTP/1.0 or 1.1
 * (505 for other versions); header names are tokens directly followed by `:`; values of field-vchar
 * and OWS; no obs-fold; exactly one valid Host in 1.1 and never two; Transfer-Encoding excludes
 * Content-Length and HTTP/1.0 and must end in a single chunked, with only known codings (else 501);
 * Content-Length is plain decimal ≤ 2^53−1, repeated only identically.
 */
export function parseRequestHead(buf: Buffer, start: number, end: number, limits?: Partial<HeadLimits>): ParseResult<RequestHead> {
  const text = scanHead(buf, start, end, limits, scanRequestLine)
  if (typeof text !== 'string') return text
  const lineStart = headSpan.lineStart
  const pos = headSpan.end
  const method = text.slice(0, scan.methodEnd - lineStart)
  const target = text.slice(scan.targetStart - lineStart, scan.targetEnd - lineStart)
  const http11 = scan.minor === 1
  const headers: HttpHeader[] = []
  const refused = readFields(buf, text, lineStart, headers)
  if (refused !== undefined) return refused
  const { host, hostStart, hostEnd, hosts, contentLength, transferEncoding, connection, upgrade, expectContinue } = said

  if (!isAllowedTarget(buf, scan.targetStart, scan.targetEnd, method)) return failure('HTTP_ERR_BAD_TARGET')
  // RFC 9112 §3.2: exactly one valid Host in HTTP/1.1; never more than one.
  if (hosts > 1) return failure('HTTP_ERR_DUPLICATE_HOST')
  if (host === undefined ? http11 : !isHostPort(buf, hostStart, hostEnd, false)) {
    return failure(host === undefined ? 'HTTP_ERR_MISSING_HOST' : 'HTTP_ERR_BAD_HOST')
  }

  let framing: BodyFraming = NO_BODY
  if (transferEncoding !== undefined) {
    // RFC 9112 §6.1–6.3. Rejecting instead of letting TE override CL closes the CL.TE/TE.CL smuggling
    // gap; a 1.0 request with TE has unreliable framing; a request whose final coding is not chunked
    // has no determinable length (MUST 400), which is why that check precedes the 501 for codings.
    if (contentLength >= 0) return failure('HTTP_ERR_CONFLICTING_FRAMING')
    if (!http11) return failure('HTTP_ERR_BAD_TRANSFER_ENCODING')
    const verdict = transferEncodingVerdict(transferEncoding)
    if (verdict === TE_CHUNKED_UNKNOWN_CODING) return failure('HTTP_ERR_UNSUPPORTED_TRANSFER_CODING')
    if (verdict !== TE_CHUNKED) return failure('HTTP_ERR_BAD_TRANSFER_ENCODING')
    framing = CHUNKED
  } else if (contentLength >= 0) {
    framing = { kind: 'length', length: contentLength }
  }

  const close = (connection & CONNECTION_CLOSE) !== 0
  const head: RequestHead = {
    method,
    target,
    version: http11 ? '1.1' : '1.0',
    headers,
    framing,
    keepAlive: http11 ? !close : !close && (connection & CONNECTION_KEEP_ALIVE) !== 0,
    // RFC 9110 §7.8 and §10.1.1: Upgrade and Expect in HTTP/1.0 requests are ignored.
    upgrade: http11 && (connection & CONNECTION_UPGRADE) !== 0 ? upgrade : undefined,
    expectContinue: http11 && expectContinue,
    host,
    headBytes: pos - start,
    get: getHeader,
  }
  return { status: 'complete', head }
}

/**
 * Parses a response head from `buf[start, end)`, like {@link parseRequestHead}. The framing stored
 * in the head assumes a request that is neither HEAD nor CONNECT; use {@link responseFraming}.
 * Errors carry nominal statuses: a proxy answers its client with 502.
 */
export function parseResponseHead(buf: Buffer, start: number, end: number, limits?: Partial<HeadLimits>): ParseResult<ResponseHead> {
  const text = scanHead(buf, start, end, limits, scanStatusLine)
  if (typeof text !== 'string') return text
  const lineStart = headSpan.lineStart
  const pos = headSpan.end
  const status = scan.status
  const reason = text.slice(scan.reasonStart - lineStart, scan.reasonEnd - lineStart)
  const http11 = scan.minor === 1
  const headers: HttpHeader[] = []
  const refused = readFields(buf, text, lineStart, headers)
  if (refused !== undefined) return refused
  const { contentLength, transferEncoding, connection } = said

  let framing: BodyFraming
  let chunked = false
  if (transferEncoding !== undefined) {
    // RFC 9112 §6.1 and §6.3 rule 3: TE with CL, or TE in HTTP/1.0, means the framing cannot be
    // trusted; a proxy must not forward such a response on a reusable connection.
    if (contentLength >= 0) return failure('HTTP_ERR_CONFLICTING_FRAMING')
    if (!http11) return failure('HTTP_ERR_BAD_TRANSFER_ENCODING')
    const verdict = transferEncodingVerdict(transferEncoding)
    if (verdict === TE_MALFORMED) return failure('HTTP_ERR_BAD_TRANSFER_ENCODING')
    // Unknown codings are the client's business; only chunked being final matters for framing.
    chunked = verdict === TE_CHUNKED || verdict === TE_CHUNKED_UNKNOWN_CODING
  }
  if (status === 101) framing = TUNNEL
  else if (status < 200 || status === 204 || status === 304) framing = NO_BODY
  else if (transferEncoding !== undefined) framing = chunked ? CHUNKED : UNTIL_CLOSE
  else if (contentLength >= 0) framing = { kind: 'length', length: contentLength }
  else framing = UNTIL_CLOSE

  const close = (connection & CONNECTION_CLOSE) !== 0
  const head: ResponseHead = {
    version: http11 ? '1.1' : '1.0',
    status,
    reason,
    headers,
    keepAlive: http11 ? !close : !close && (connection & CONNECTION_KEEP_ALIVE) !== 0,
    framing,
    headBytes: pos - start,
    get: getHeader,
  }
  return { status: 'complete', head }
}

/**
 * The framing of a response body given the request method (RFC 9112 §6.3): 101 → tunnel; HEAD, 1xx,
 * 204, 304 → none; 2xx to CONNECT → tunnel; otherwise the head's own framing (TE chunked final →
 * chunked; other TE → close; Content-Length → length; else close).
 */
export function responseFraming(requestMethod: string, head: ResponseHead): BodyFraming {
  const status = head.status
  if (status === 101) return TUNNEL
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) return NO_BODY
  if (requestMethod === 'CONNECT' && status < 300) return TUNNEL
  return head.framing
}

const HTTP_SCHEME = [0x68, 0x74, 0x74, 0x70] // "http"

/**
 * RFC 9112 §3.2: origin-form (`/…`) for every method but CONNECT; authority-form (`host:port`) for
 * CONNECT only; `*` for OPTIONS only; absolute-form with an http(s) scheme (any case) and a
 * non-empty authority. The target is `buf[start, end)`, already known to be VCHAR only.
 */
function isAllowedTarget(buf: Buffer, start: number, end: number, method: string): boolean {
  if (method === 'CONNECT') return isHostPort(buf, start, end, true)
  const first = buf[start]
  if (first === 0x2f) return true
  if (first === 0x2a && end === start + 1) return method === 'OPTIONS'
  let i = start
  for (; i < start + 4; i++) if (i >= end || (buf[i]! | 0x20) !== HTTP_SCHEME[i - start]) return false
  if (i < end && (buf[i]! | 0x20) === 0x73) i++ // "https"
  if (i + 3 > end || buf[i] !== 0x3a || buf[i + 1] !== 0x2f || buf[i + 2] !== 0x2f) return false
  const authorityStart = i + 3
  let authorityEnd = authorityStart
  while (authorityEnd < end) {
    const b = buf[authorityEnd]
    if (b === 0x2f || b === 0x3f || b === 0x23) break
    authorityEnd++
  }
  // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid and must be rejected.
  return authorityEnd > authorityStart && isHostPort(buf, authorityStart, authorityEnd, false)
}
