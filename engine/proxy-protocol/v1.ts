/**
 * PROXY protocol version 1: one human-readable line,
 * `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n` or `PROXY UNKNOWN[ anything]\r\n`, at most 107
 * bytes. Parsing is strict and early: every byte seen is checked against what a valid line could
 * still become, so a plain client on a PROXY port is rejected on its first bytes.
 */
import { formatIPv6, parseDecimal, parseIPv4, parseIPv6 } from './ip-address.js'
import { checkPort, incomplete, invalid, matchesSignature } from './types.js'
import type { ProxyAddresses, ProxyParseResult } from './types.js'

/** The bytes every v1 header starts with. */
export const V1_SIGNATURE = Buffer.from('PROXY ', 'latin1')

/** The longest v1 line the spec allows, CRLF included (a full TCP6 line). */
export const V1_MAX_LENGTH = 107

const CR = 0x0d
const LF = 0x0a
const PROTOCOLS = ['TCP4', 'TCP6', 'UNKNOWN'] as const

/** Reads a v1 header from the first bytes of a connection. */
export function parseProxyV1(buf: Buffer): ProxyParseResult {
  if (!matchesSignature(buf, V1_SIGNATURE)) return invalid('PROXY_ERR_NOT_PROXY', 'does not start with "PROXY "')
  if (buf.length < V1_SIGNATURE.length) return incomplete

  const scanEnd = Math.min(buf.length, V1_MAX_LENGTH)
  let stop = scanEnd
  for (let i = V1_SIGNATURE.length; i < scanEnd; i++) {
    if (buf[i] === CR || buf[i] === LF) {
      stop = i
      break
    }
  }
  const fields = buf.toString('latin1', V1_SIGNATURE.length, stop)
  if (stop === scanEnd) {
    const partial = checkLine(fields, undefined)
    if (partial.status === 'invalid') return partial
    return buf.length >= V1_MAX_LENGTH ? tooLong() : incomplete
  }
  if (buf[stop] === LF) return invalid('PROXY_ERR_MALFORMED', 'line feed without a carriage return before it')
  if (stop + 2 > V1_MAX_LENGTH) return tooLong()
  // The fields are final once the CR is seen, so judge them before the LF arrives.
  const line = checkLine(fields, stop + 2)
  if (line.status === 'invalid') return line
  if (stop + 1 === buf.length) return incomplete
  if (buf[stop + 1] !== LF) return invalid('PROXY_ERR_MALFORMED', 'carriage return not followed by a line feed')
  return line
}

/** The v1 line for `addresses` (UNKNOWN when undefined). Throws RangeError on UDP or bad values. */
export function encodeProxyV1(addresses: ProxyAddresses | undefined): Buffer {
  if (addresses === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1')
  const { family, source, destination } = addresses
  if (family !== 'tcp4' && family !== 'tcp6') throw new RangeError(`PROXY v1 cannot carry ${family}`)
  const text = (address: string, role: string): string => {
    if (family === 'tcp4') {
      if (parseIPv4(address) === undefined) throw new RangeError(`${role}: ${JSON.stringify(address)} is not an IPv4 address`)
      return address
    }
    const bytes = parseIPv6(address)
    if (bytes === undefined) throw new RangeError(`${role}: ${JSON.stringify(address)} is not an IPv6 address`)
    return formatIPv6(bytes)
  }
  const line = [
    'PROXY',
    family.toUpperCase(),
    text(source.address, 'source.address'),
    text(destination.address, 'destination.address'),
    checkPort(source.port, 'source.port'),
    checkPort(destination.port, 'destination.port'),
  ].join(' ')
  return Buffer.from(`${line}\r\n`, 'latin1')
}

/**
 * Checks the fields after "PROXY ": the whole line when its length (CRLF included) is known, else
 * everything seen so far, whose last field may still grow. A partial line that is fine so far
 * yields `incomplete`.
 */
function checkLine(fields: string, lineLength: number | undefined): ProxyParseResult {
  const complete = lineLength !== undefined
  const tokens = fields.split(' ')
  const protocol = tokens[0] ?? ''
  if (!complete && tokens.length === 1) {
    return PROTOCOLS.some((p) => p.startsWith(protocol)) ? incomplete : unknownProtocol(protocol)
  }
  // UNKNOWN may be followed by anything: the receiver must ignore it.
  if (protocol === 'UNKNOWN') {
    return complete ? { status: 'complete', header: { version: 1, command: 'proxy', headerBytes: lineLength } } : incomplete
  }
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return unknownProtocol(protocol)
  if (tokens.length > 5) return invalid('PROXY_ERR_MALFORMED', `more than four fields after ${protocol}`)
  if (complete && tokens.length < 5) return invalid('PROXY_ERR_MALFORMED', `${protocol} needs four fields, got ${tokens.length - 1}`)

  const parseAddress = protocol === 'TCP4' ? parseIPv4 : parseIPv6
  const addresses: string[] = []
  const ports: number[] = []
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i] ?? ''
    const isAddress = i <= 2
    const growing = !complete && i === tokens.length - 1
    if (growing) {
      const viable = isAddress ? couldBecomeAddress(token, protocol) : couldBecomePort(token)
      if (!viable) return isAddress ? badAddress(token, protocol) : badPort(token)
      continue
    }
    if (token === '') return invalid('PROXY_ERR_MALFORMED', 'fields must be separated by exactly one space')
    if (isAddress) {
      const bytes = parseAddress(token)
      if (bytes === undefined) return badAddress(token, protocol)
      addresses.push(protocol === 'TCP4' ? token : formatIPv6(bytes))
    } else {
      const port = parseDecimal(token, 65535)
      if (port === undefined) return badPort(token)
      ports.push(port)
    }
  }
  if (lineLength === undefined) return incomplete
  const [source = '', destination = ''] = addresses
  const [sourcePort = 0, destinationPort = 0] = ports
  const family = protocol === 'TCP4' ? 'tcp4' : 'tcp6'
  return {
    status: 'complete',
    header: {
      version: 1,
      command: 'proxy',
      addresses: { family, source: { address: source, port: sourcePort }, destination: { address: destination, port: destinationPort } },
      headerBytes: lineLength,
    },
  }
}

// Completions that turn any viable prefix of an address into a whole one: finish the current
// group or octet, open `::`, or finish an embedded dotted quad.
const IPV4_COMPLETIONS = ['', '0', '.0', '.0.0', '.0.0.0', '0.0', '0.0.0']
const IPV6_COMPLETIONS = ['', '0', ':', ':0', '::', '::0', '0::', '.0', '.0.0', '.0.0.0', '0.0', '0.0.0']

/** Whether some continuation of `prefix` is a valid address of the protocol's family. */
export function couldBecomeAddress(prefix: string, protocol: 'TCP4' | 'TCP6'): boolean {
  if (prefix === '') return true
  const parse = protocol === 'TCP4' ? parseIPv4 : parseIPv6
  const completions = protocol === 'TCP4' ? IPV4_COMPLETIONS : IPV6_COMPLETIONS
  return completions.some((c) => parse(prefix + c) !== undefined)
}

function couldBecomePort(prefix: string): boolean {
  return prefix === '' || parseDecimal(prefix, 65535) !== undefined
}

function unknownProtocol(protocol: string): ProxyParseResult {
  return invalid('PROXY_ERR_MALFORMED', `${JSON.stringify(protocol)} is not TCP4, TCP6 or UNKNOWN`)
}

function badAddress(token: string, protocol: string): ProxyParseResult {
  return invalid('PROXY_ERR_BAD_ADDRESS', `${JSON.stringify(token)} is not a ${protocol} address`)
}

function badPort(token: string): ProxyParseResult {
  return invalid('PROXY_ERR_BAD_PORT', `${JSON.stringify(token)} is not a port`)
}

function tooLong(): ProxyParseResult {
  return invalid('PROXY_ERR_TOO_LONG', `no CRLF within the first ${V1_MAX_LENGTH} bytes`)
}
