/**
 * Reads the server name (SNI) and ALPN protocols from a TLS ClientHello without terminating TLS, so
 * an L4 balancer can route passthrough connections by name. Pure: it takes the bytes received since
 * the connection opened and says whether to keep buffering, what the client asked for, or why the
 * connection must be closed.
 *
 * Record layer per RFC 8446 §5.1 (the hello may span several handshake records and any number of
 * TCP segments), ClientHello per RFC 8446 §4.1.2, server_name per RFC 6066 §3, ALPN per RFC 7301.
 * Every length is checked against the length that encloses it, so a lie is found as soon as the
 * lying length arrives, not when the bytes run out.
 */
import { normaliseHostName } from './host-name.js'

/** Outcome of reading the first bytes of a TLS connection. */
export type ClientHelloResult =
  | { readonly status: 'incomplete' }
  | {
      readonly status: 'complete'
      /** The first host_name, lower-cased, without a trailing dot; absent when the client sent no SNI. */
      readonly serverName?: string
      /** ALPN protocol names in the client's order (bytes as latin1), empty without the extension. */
      readonly alpn: readonly string[]
      /** Bytes from the connection start to the end of the record that completes the ClientHello. */
      readonly helloBytes: number
    }
  | { readonly status: 'invalid'; readonly code: ClientHelloErrorCode; readonly reason: string }

/** Stable codes of a rejected ClientHello. Codes never change meaning; reasons may improve. */
export const clientHelloErrors = {
  TLS_ERR_NOT_HANDSHAKE: 'the connection does not start with a TLS handshake record',
  TLS_ERR_BAD_RECORD: 'a TLS record header is invalid (version, length, or a non-handshake record inside the hello)',
  TLS_ERR_NOT_CLIENT_HELLO: 'the first handshake message is not a ClientHello',
  TLS_ERR_MALFORMED: 'the ClientHello does not follow the TLS grammar',
  TLS_ERR_TOO_LARGE: 'the ClientHello does not fit in the configured number of bytes',
  TLS_ERR_BAD_SERVER_NAME: 'the server_name is not a plausible DNS host name',
} as const

/** One of the ClientHello parser's stable error codes. */
export type ClientHelloErrorCode = keyof typeof clientHelloErrors

/** Limits on what the parser buffers. */
export interface ClientHelloLimits {
  /** Most bytes of the connection to buffer for the hello, record headers included. Default 65536. */
  readonly maxBytes?: number
}

const CONTENT_TYPE_HANDSHAKE = 22
const HANDSHAKE_CLIENT_HELLO = 1
const RECORD_HEADER_BYTES = 5
const HANDSHAKE_HEADER_BYTES = 4
// TLSCiphertext's bound; a plaintext hello record is at most 2^14, but peers size against this one.
const MAX_RECORD_BYTES = 2 ** 14 + 2048
const EXTENSION_SERVER_NAME = 0
const EXTENSION_ALPN = 16
const NAME_TYPE_HOST_NAME = 0

const INCOMPLETE: ClientHelloResult = Object.freeze({ status: 'incomplete' })

/**
 * Reads a ClientHello from `buf`, the bytes received from the start of the connection. Each call
 * costs time linear in `buf`, and a caller re-parses on every read, so a client trickling bytes
 * costs quadratic time: keep `maxBytes` modest and give the hello a deadline.
 */
export function parseClientHello(buf: Buffer, limits: ClientHelloLimits = {}): ClientHelloResult {
  const maxBytes = limits.maxBytes ?? 65536
  try {
    return parse(buf, maxBytes)
  } catch (e) {
    if (e instanceof Stop) return e.result
    throw e
  }
}

function parse(buf: Buffer, maxBytes: number): ClientHelloResult {
  const fragments: Buffer[] = []
  let handshakeBytes = 0
  let helloLength: number | undefined
  let helloEnd: number | undefined
  for (let offset = 0; offset < buf.length; ) {
    const recordEnd = readRecordHeader(buf, offset, maxBytes)
    if (recordEnd === undefined) break
    const fragment = buf.subarray(offset + RECORD_HEADER_BYTES, Math.min(recordEnd, buf.length))
    fragments.push(fragment)
    handshakeBytes += fragment.length
    if (recordEnd > buf.length) break
    offset = recordEnd
    if (helloLength === undefined && handshakeBytes >= HANDSHAKE_HEADER_BYTES) {
      helloLength = Buffer.concat(fragments).readUIntBE(1, 3)
    }
    if (helloLength !== undefined && handshakeBytes >= HANDSHAKE_HEADER_BYTES + helloLength) {
      // Whatever follows the hello (early data, a compatibility change_cipher_spec) is not ours.
      helloEnd = recordEnd
      break
    }
  }

  const handshake = Buffer.concat(fragments)
  const type = handshake[0]
  if (type === undefined) return INCOMPLETE
  if (type !== HANDSHAKE_CLIENT_HELLO) throw fail('TLS_ERR_NOT_CLIENT_HELLO', `handshake message type ${type} is not ClientHello (1)`)
  if (handshake.length < HANDSHAKE_HEADER_BYTES) return INCOMPLETE
  const length = handshake.readUIntBE(1, 3)
  if (RECORD_HEADER_BYTES + HANDSHAKE_HEADER_BYTES + length > maxBytes) {
    throw fail('TLS_ERR_TOO_LARGE', `a ${length}-byte ClientHello exceeds the ${maxBytes}-byte limit`)
  }
  const hello = readClientHello(new Cursor(handshake, HANDSHAKE_HEADER_BYTES, HANDSHAKE_HEADER_BYTES + length))
  if (helloEnd === undefined) return INCOMPLETE
  return { status: 'complete', ...hello, helloBytes: helloEnd }
}

/**
 * Checks the record header at `offset` byte by byte as far as it has arrived and returns where the
 * record ends, or undefined while the header is partial.
 */
function readRecordHeader(buf: Buffer, offset: number, maxBytes: number): number | undefined {
  const contentType = buf[offset]
  if (contentType !== CONTENT_TYPE_HANDSHAKE) {
    // A record of another type may only follow a finished hello, and the caller stops there.
    if (offset === 0) throw fail('TLS_ERR_NOT_HANDSHAKE', `first byte 0x${hex(contentType ?? 0, 2)} is not a handshake record (0x16)`)
    throw fail('TLS_ERR_BAD_RECORD', `a record of type ${contentType} interrupts the ClientHello`)
  }
  const major = buf[offset + 1]
  if (major !== undefined && major !== 3) throw fail('TLS_ERR_BAD_RECORD', `record version major ${major} is not 3`)
  const minor = buf[offset + 2]
  if (minor !== undefined && minor > 4) throw fail('TLS_ERR_BAD_RECORD', `record version 0x03${hex(minor, 2)} is above 0x0304`)
  if (offset + RECORD_HEADER_BYTES > buf.length) return undefined
  const length = buf.readUInt16BE(offset + 3)
  if (length === 0) throw fail('TLS_ERR_BAD_RECORD', 'empty handshake record')
  if (length > MAX_RECORD_BYTES) throw fail('TLS_ERR_BAD_RECORD', `record length ${length} exceeds ${MAX_RECORD_BYTES}`)
  const end = offset + RECORD_HEADER_BYTES + length
  if (end > maxBytes) throw fail('TLS_ERR_TOO_LARGE', `the ClientHello records run past the ${maxBytes}-byte limit`)
  return end
}

function readClientHello(body: Cursor): { serverName?: string; alpn: string[] } {
  const version = body.u16('legacy_version')
  if (version < 0x0300 || version > 0x0304) throw malformed(`legacy_version 0x${hex(version, 4)} is not SSL 3.0–TLS 1.3`)
  body.skip(32, 'random')
  const sessionId = body.vector(1, 'legacy_session_id')
  if (sessionId.remaining > 32) throw malformed(`session id of ${sessionId.remaining} bytes exceeds 32`)
  const cipherSuites = body.vector(2, 'cipher_suites')
  if (cipherSuites.remaining < 2 || cipherSuites.remaining % 2 !== 0) throw malformed(`cipher_suites length ${cipherSuites.remaining} is not a positive even number`)
  const compression = body.vector(1, 'legacy_compression_methods')
  if (compression.remaining < 1) throw malformed('no compression methods')
  // Pre-TLS 1.2 clients may stop here; such a hello has no extensions at all.
  if (body.remaining === 0) return { alpn: [] }

  const extensions = body.vector(2, 'extensions')
  if (body.remaining !== 0) throw malformed(`${body.remaining} bytes after the extensions`)
  const seen = new Set<number>()
  let serverName: string | undefined
  let alpn: string[] = []
  while (extensions.remaining > 0) {
    const type = extensions.u16('extension type')
    const data = extensions.vector(2, `extension ${type}`)
    // RFC 8446 §4.2: a type may appear once; two SNIs would let the router and the backend disagree.
    if (seen.has(type)) throw malformed(`extension ${type} appears twice`)
    seen.add(type)
    if (type === EXTENSION_SERVER_NAME) serverName = readServerName(data)
    else if (type === EXTENSION_ALPN) alpn = readAlpn(data)
  }
  return serverName === undefined ? { alpn } : { serverName, alpn }
}

function readServerName(data: Cursor): string | undefined {
  const list = data.vector(2, 'server_name_list')
  if (data.remaining !== 0) throw malformed('bytes after server_name_list')
  if (list.remaining === 0) throw malformed('empty server_name_list')
  let host: string | undefined
  while (list.remaining > 0) {
    const nameType = list.u8('name_type')
    const name = list.vector(2, 'server name')
    // Other name types are opaque; RFC 6066 allows one name per type.
    if (nameType !== NAME_TYPE_HOST_NAME) continue
    if (host !== undefined) throw malformed('two host_name entries')
    const raw = name.rest('host_name').toString('latin1')
    host = normaliseHostName(raw)
    if (host === undefined) throw fail('TLS_ERR_BAD_SERVER_NAME', `${JSON.stringify(raw)} is not a DNS host name`)
  }
  return host
}

function readAlpn(data: Cursor): string[] {
  const list = data.vector(2, 'protocol_name_list')
  if (data.remaining !== 0) throw malformed('bytes after protocol_name_list')
  if (list.remaining === 0) throw malformed('empty protocol_name_list')
  const protocols: string[] = []
  while (list.remaining > 0) {
    const name = list.vector(1, 'protocol name')
    if (name.remaining === 0) throw malformed('empty ALPN protocol name')
    protocols.push(name.rest('protocol name').toString('latin1'))
  }
  return protocols
}

/**
 * A read position bounded twice: by `end`, the length the enclosing field declared (reading past
 * it is malformed), and by the bytes received so far (reading past them is merely incomplete).
 */
class Cursor {
  constructor(
    private readonly data: Buffer,
    private at: number,
    private readonly end: number,
  ) {}

  /** Declared bytes left, whether or not they have arrived. */
  get remaining(): number {
    return this.end - this.at
  }

  u8(what: string): number {
    return this.data[this.claim(1, what)]!
  }

  u16(what: string): number {
    return this.data.readUInt16BE(this.claim(2, what))
  }

  skip(n: number, what: string): void {
    this.claim(n, what)
  }

  /** Everything up to `end`. */
  rest(what: string): Buffer {
    const n = this.remaining
    const from = this.claim(n, what)
    return this.data.subarray(from, from + n)
  }

  /** A cursor over the body of a vector with a `lengthBytes`-byte length prefix; skips past it here. */
  vector(lengthBytes: 1 | 2, what: string): Cursor {
    const length = lengthBytes === 1 ? this.u8(`${what} length`) : this.u16(`${what} length`)
    if (length > this.remaining) throw malformed(`${what} length ${length} exceeds the ${this.remaining} bytes its container declares`)
    const inner = new Cursor(this.data, this.at, this.at + length)
    this.at += length
    return inner
  }

  private claim(n: number, what: string): number {
    if (n > this.remaining) throw malformed(`${what} runs past its container`)
    if (this.at + n > this.data.length) throw new Stop(INCOMPLETE)
    const from = this.at
    this.at += n
    return from
  }
}

/** Unwinds the recursive descent with a final result; never escapes parseClientHello. */
class Stop {
  constructor(readonly result: ClientHelloResult) {}
}

function malformed(reason: string): Stop {
  return fail('TLS_ERR_MALFORMED', reason)
}

function fail(code: ClientHelloErrorCode, reason: string): Stop {
  return new Stop({ status: 'invalid', code, reason })
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0')
}
