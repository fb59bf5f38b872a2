/**
 * PROXY protocol version 2: a 16-byte binary preamble (signature, version/command, family/transport,
 * length), the address block of the family, then type-length-value extensions up to the declared
 * length. Every byte is checked as soon as it arrives; the header is complete only when all
 * `16 + length` bytes are present.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip-address.js'
import { checkPort, incomplete, invalid, matchesSignature } from './types.js'
import type { ProxyAddresses, ProxyParseResult, ProxyTlv } from './types.js'

/** The twelve bytes every v2 header starts with ("\r\n\r\n\0\r\nQUIT\n"). */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])

const PREAMBLE_BYTES = 16
const COMMAND_LOCAL = 0x0
const COMMAND_PROXY = 0x1

interface Layout {
  readonly family?: ProxyAddresses['family']
  readonly addressBytes: number
}

// The only family/transport bytes the spec defines; receivers must reject any other. AF_UNSPEC and
// AF_UNIX carry no address this engine can use, so they parse as "no addresses".
const LAYOUTS = new Map<number, Layout>([
  [0x00, { addressBytes: 0 }],
  [0x11, { family: 'tcp4', addressBytes: 12 }],
  [0x12, { family: 'udp4', addressBytes: 12 }],
  [0x21, { family: 'tcp6', addressBytes: 36 }],
  [0x22, { family: 'udp6', addressBytes: 36 }],
  [0x31, { addressBytes: 216 }],
  [0x32, { addressBytes: 216 }],
])

const FAMILY_BYTES: Record<ProxyAddresses['family'], number> = { tcp4: 0x11, udp4: 0x12, tcp6: 0x21, udp6: 0x22 }

/** Reads a v2 header from the first bytes of a connection. */
export function parseProxyV2(buf: Buffer): ProxyParseResult {
  if (!matchesSignature(buf, V2_SIGNATURE)) return invalid('PROXY_ERR_NOT_PROXY', 'does not start with the v2 signature')
  const versionCommand = buf[12]
  if (versionCommand === undefined) return incomplete
  if (versionCommand >> 4 !== 2) return invalid('PROXY_ERR_BAD_VERSION', `version ${versionCommand >> 4} is not 2`)
  const command = versionCommand & 0x0f
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) return invalid('PROXY_ERR_BAD_COMMAND', `command ${command} is neither LOCAL (0) nor PROXY (1)`)

  const familyByte = buf[13]
  if (familyByte === undefined) return incomplete
  const layout = LAYOUTS.get(familyByte)
  if (layout === undefined) return invalid('PROXY_ERR_BAD_FAMILY', `family/transport byte 0x${hex2(familyByte)} is not defined`)

  if (buf.length < PREAMBLE_BYTES) return incomplete
  const length = buf.readUInt16BE(14)
  if (length < layout.addressBytes) {
    return invalid('PROXY_ERR_MALFORMED', `length ${length} cannot hold the ${layout.addressBytes}-byte address block of family 0x${hex2(familyByte)}`)
  }
  const headerBytes = PREAMBLE_BYTES + length
  if (buf.length < headerBytes) return incomplete

  const tlvs = parseTlvs(buf.subarray(PREAMBLE_BYTES + layout.addressBytes, headerBytes))
  if (tlvs === undefined) return invalid('PROXY_ERR_BAD_TLV', 'a TLV runs past the declared header length')
  // LOCAL connections (health checks) must be treated as coming from their real endpoints.
  const addresses = command === COMMAND_PROXY && layout.family !== undefined ? readAddresses(buf, layout.family) : undefined
  return {
    status: 'complete',
    header: {
      version: 2,
      command: command === COMMAND_PROXY ? 'proxy' : 'local',
      ...(addresses === undefined ? {} : { addresses }),
      tlvs,
      headerBytes,
    },
  }
}

/**
 * The v2 header for `addresses` (a LOCAL header when undefined) followed by `tlvs`. Throws
 * RangeError on an invalid address, port or TLV, or a header longer than the 16-bit length allows.
 */
export function encodeProxyV2(addresses: ProxyAddresses | undefined, tlvs: readonly ProxyTlv[] = []): Buffer {
  const parts: Buffer[] = []
  if (addresses !== undefined) {
    const v4 = addresses.family === 'tcp4' || addresses.family === 'udp4'
    const bytes = (address: string, role: string): Buffer => {
      const parsed = v4 ? parseIPv4(address) : parseIPv6(address)
      if (parsed === undefined) throw new RangeError(`${role}: ${JSON.stringify(address)} is not an IPv${v4 ? 4 : 6} address`)
      return parsed
    }
    const ports = Buffer.alloc(4)
    ports.writeUInt16BE(checkPort(addresses.source.port, 'source.port'), 0)
    ports.writeUInt16BE(checkPort(addresses.destination.port, 'destination.port'), 2)
    parts.push(bytes(addresses.source.address, 'source.address'), bytes(addresses.destination.address, 'destination.address'), ports)
  }
  tlvs.forEach((tlv, i) => {
    if (!Number.isInteger(tlv.type) || tlv.type < 0 || tlv.type > 0xff) throw new RangeError(`tlvs[${i}].type: ${tlv.type} is not a byte`)
    if (tlv.value.length > 0xffff) throw new RangeError(`tlvs[${i}].value: ${tlv.value.length} bytes is more than 65535`)
    const head = Buffer.alloc(3)
    head[0] = tlv.type
    head.writeUInt16BE(tlv.value.length, 1)
    parts.push(head, tlv.value)
  })
  const body = Buffer.concat(parts)
  if (body.length > 0xffff) throw new RangeError(`a ${body.length}-byte address block and TLVs do not fit the 16-bit length`)
  const preamble = Buffer.alloc(PREAMBLE_BYTES)
  V2_SIGNATURE.copy(preamble)
  preamble[12] = 0x20 | (addresses === undefined ? COMMAND_LOCAL : COMMAND_PROXY)
  preamble[13] = addresses === undefined ? 0x00 : FAMILY_BYTES[addresses.family]
  preamble.writeUInt16BE(body.length, 14)
  return Buffer.concat([preamble, body])
}

function readAddresses(buf: Buffer, family: ProxyAddresses['family']): ProxyAddresses {
  const size = family === 'tcp4' || family === 'udp4' ? 4 : 16
  const format = size === 4 ? formatIPv4 : formatIPv6
  const at = PREAMBLE_BYTES
  return {
    family,
    source: { address: format(buf.subarray(at, at + size)), port: buf.readUInt16BE(at + 2 * size) },
    destination: { address: format(buf.subarray(at + size, at + 2 * size)), port: buf.readUInt16BE(at + 2 * size + 2) },
  }
}

/** TLVs filling `block` exactly, copied out of the connection buffer; undefined if one overruns it. */
function parseTlvs(block: Buffer): ProxyTlv[] | undefined {
  const tlvs: ProxyTlv[] = []
  let at = 0
  while (at < block.length) {
    if (at + 3 > block.length) return undefined
    const type = block[at]!
    const end = at + 3 + block.readUInt16BE(at + 1)
    if (end > block.length) return undefined
    tlvs.push({ type, value: Buffer.from(block.subarray(at + 3, end)) })
    at = end
  }
  return tlvs
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}
