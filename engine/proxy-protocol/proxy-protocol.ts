/**
 * HAProxy's PROXY protocol (https://www.haproxy.org/download/2.0/doc/proxy-protocol.txt), versions
 * 1 and 2: how a proxy tells the next hop who the real client was. The parser takes the bytes
 * received since the connection opened and says whether to keep buffering, where the header ends,
 * or why the connection must be closed; it never waits longer than the bytes seen require.
 */
import { parseProxyV1, V1_SIGNATURE } from './v1.js'
import { parseProxyV2, V2_SIGNATURE } from './v2.js'
import { incomplete, invalid } from './types.js'
import type { ProxyParseResult } from './types.js'

export { encodeProxyV1, V1_MAX_LENGTH, V1_SIGNATURE } from './v1.js'
export { encodeProxyV2, V2_SIGNATURE } from './v2.js'
export { proxyErrors } from './types.js'
export type { ProxyAddresses, ProxyErrorCode, ProxyHeader, ProxyParseResult, ProxyTlv } from './types.js'

/** Which header versions a listener accepts; both by default. */
export interface AcceptedProxyVersions {
  readonly v1?: boolean
  readonly v2?: boolean
}

/**
 * Reads a PROXY header from `buf`, the bytes received from the start of the connection. On
 * `complete`, the proxied stream starts at `header.headerBytes`.
 */
export function parseProxyHeader(buf: Buffer, accept: AcceptedProxyVersions = {}): ProxyParseResult {
  const v1 = accept.v1 ?? true
  const v2 = accept.v2 ?? true
  if (!v1 && !v2) return invalid('PROXY_ERR_NOT_PROXY', 'no PROXY protocol version is accepted')
  const first = buf[0]
  if (first === undefined) return incomplete
  // The two signatures differ in their first byte, so it alone picks the version.
  if (v2 && first === V2_SIGNATURE[0]) return parseProxyV2(buf)
  if (v1 && first === V1_SIGNATURE[0]) return parseProxyV1(buf)
  const accepted = v1 && v2 ? 'v1 or v2' : v1 ? 'v1' : 'v2'
  return invalid('PROXY_ERR_NOT_PROXY', `first byte 0x${first.toString(16).padStart(2, '0')} does not start a PROXY ${accepted} header`)
}
