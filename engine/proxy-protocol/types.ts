/**
 * The PROXY protocol's data model, shared by the v1 (text) and v2 (binary) codecs: the original
 * connection endpoints a proxy hands to the next hop, and the coded outcomes of reading them.
 */

/** Original endpoints of a proxied connection. IPv6 addresses are in RFC 5952 form. */
export interface ProxyAddresses {
  readonly family: 'tcp4' | 'tcp6' | 'udp4' | 'udp6'
  readonly source: { readonly address: string; readonly port: number }
  readonly destination: { readonly address: string; readonly port: number }
}

/** One v2 type-length-value extension, kept raw: its meaning belongs to whoever reads it. */
export interface ProxyTlv {
  readonly type: number
  readonly value: Buffer
}

/** A parsed header. `headerBytes` is where the proxied stream's own bytes begin. */
export interface ProxyHeader {
  readonly version: 1 | 2
  readonly command: 'proxy' | 'local'
  /** Absent for LOCAL, v1 UNKNOWN and v2 AF_UNSPEC / AF_UNIX. */
  readonly addresses?: ProxyAddresses
  /** Always present for v2 (possibly empty), absent for v1. */
  readonly tlvs?: readonly ProxyTlv[]
  readonly headerBytes: number
}

/**
 * Outcome of reading the first bytes of a connection: keep buffering, a header, or a reason to
 * close the connection.
 */
export type ProxyParseResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'complete'; readonly header: ProxyHeader }
  | { readonly status: 'invalid'; readonly code: ProxyErrorCode; readonly reason: string }

/** Stable codes of a rejected header. Codes never change meaning; reasons may improve. */
export const proxyErrors = {
  PROXY_ERR_NOT_PROXY: 'the connection does not start with an accepted PROXY header',
  PROXY_ERR_MALFORMED: 'the header does not follow the protocol grammar',
  PROXY_ERR_TOO_LONG: 'the v1 line is not terminated within 107 bytes',
  PROXY_ERR_BAD_ADDRESS: 'an address is not valid for the declared family',
  PROXY_ERR_BAD_PORT: 'a port is not a decimal 0–65535 without leading zeros',
  PROXY_ERR_BAD_VERSION: 'the v2 version nibble is not 2',
  PROXY_ERR_BAD_COMMAND: 'the v2 command is neither LOCAL nor PROXY',
  PROXY_ERR_BAD_FAMILY: 'the v2 address family and transport byte is not a defined value',
  PROXY_ERR_BAD_TLV: 'a v2 TLV does not fit in the header',
} as const

/** One of the PROXY protocol parser's stable error codes. */
export type ProxyErrorCode = keyof typeof proxyErrors

/** The shared `incomplete` result. */
export const incomplete: ProxyParseResult = Object.freeze({ status: 'incomplete' })

/** An `invalid` result with its code and a reason naming the offending value. */
export function invalid(code: ProxyErrorCode, reason: string): ProxyParseResult {
  return { status: 'invalid', code, reason }
}

/** True when `buf` is a prefix of `signature` or starts with it. */
export function matchesSignature(buf: Buffer, signature: Buffer): boolean {
  const n = Math.min(buf.length, signature.length)
  return buf.subarray(0, n).equals(signature.subarray(0, n))
}

/** `port` when it is an integer 0–65535; throws RangeError naming `role` otherwise (encoders only). */
export function checkPort(port: number, role: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`${role}: ${port} is not a port`)
  return port
}
