import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../engine/balancing/random.js'
import { formatIPv6 } from '../../../engine/proxy-protocol/ip-address.js'
import {
  encodeProxyV1,
  encodeProxyV2,
  parseProxyHeader,
  proxyErrors,
  V2_SIGNATURE,
  type ProxyAddresses,
  type ProxyParseResult,
  type ProxyTlv,
} from '../../../engine/proxy-protocol/proxy-protocol.js'

const tcp4: ProxyAddresses = { family: 'tcp4', source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.7', port: 443 } }
const tcp6: ProxyAddresses = { family: 'tcp6', source: { address: '2001:db8::1', port: 0 }, destination: { address: '2001:db8:0:1::ff', port: 65535 } }
const udp4: ProxyAddresses = { family: 'udp4', source: { address: '0.0.0.0', port: 53 }, destination: { address: '255.255.255.255', port: 5353 } }
const udp6: ProxyAddresses = { family: 'udp6', source: { address: '::ffff:192.0.2.1', port: 1 }, destination: { address: '::', port: 2 } }
const tlvs: ProxyTlv[] = [
  { type: 0x01, value: Buffer.from('h2') },
  { type: 0x04, value: Buffer.alloc(0) },
  { type: 0xea, value: Buffer.alloc(300, 7) },
]

/** A v2 header from its raw fields, for inputs the encoder refuses to produce. */
function v2(versionCommand: number, family: number, body: Buffer | number[] = [], length = Buffer.from(body).length): Buffer {
  const head = Buffer.alloc(4)
  head[0] = versionCommand
  head[1] = family
  head.writeUInt16BE(length, 2)
  return Buffer.concat([V2_SIGNATURE, head, Buffer.from(body)])
}

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1')

function expectComplete(result: ProxyParseResult) {
  if (result.status !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(result)}`)
  return result.header
}

describe('PROXY round trips', () => {
  const v1Cases: [string, ProxyAddresses | undefined][] = [
    ['tcp4', tcp4],
    ['tcp6', tcp6],
    ['tcp6 mapped', { ...tcp6, source: { address: '::ffff:10.0.0.1', port: 8080 } }],
    ['unknown', undefined],
  ]
  it.each(v1Cases)('v1 %s', (_, addresses) => {
    const bytes = encodeProxyV1(addresses)
    const header = expectComplete(parseProxyHeader(Buffer.concat([bytes, latin1('GET / HTTP/1.1\r\n')])))
    expect(header).toEqual({ version: 1, command: 'proxy', headerBytes: bytes.length, ...(addresses ? { addresses } : {}) })
  })

  const v2Cases: [string, ProxyAddresses | undefined, ProxyTlv[]][] = [
    ['tcp4', tcp4, []],
    ['tcp6', tcp6, []],
    ['udp4', udp4, []],
    ['udp6', udp6, []],
    ['tcp4 with TLVs', tcp4, tlvs],
    ['tcp6 with TLVs', tcp6, tlvs],
    ['local', undefined, []],
    ['local with TLVs', undefined, tlvs],
  ]
  it.each(v2Cases)('v2 %s', (_, addresses, extensions) => {
    const bytes = encodeProxyV2(addresses, extensions)
    const header = expectComplete(parseProxyHeader(Buffer.concat([bytes, Buffer.from([0x16, 0x03, 0x01])])))
    expect(header).toEqual({
      version: 2,
      command: addresses ? 'proxy' : 'local',
      ...(addresses ? { addresses } : {}),
      tlvs: extensions,
      headerBytes: bytes.length,
    })
  })

  it('normalises IPv6 text to RFC 5952 in both versions', () => {
    const loose: ProxyAddresses = { family: 'tcp6', source: { address: '2001:DB8:0:0:0:0:0:1', port: 1 }, destination: { address: '0::0', port: 2 } }
    expect(encodeProxyV1(loose).toString('latin1')).toBe('PROXY TCP6 2001:db8::1 :: 1 2\r\n')
    const fromV1 = expectComplete(parseProxyHeader(latin1('PROXY TCP6 2001:DB8:0:0:0:0:0:1 0::0 1 2\r\n')))
    const fromV2 = expectComplete(parseProxyHeader(encodeProxyV2(loose)))
    expect(fromV1.addresses).toEqual({ family: 'tcp6', source: { address: '2001:db8::1', port: 1 }, destination: { address: '::', port: 2 } })
    expect(fromV2.addresses).toEqual(fromV1.addresses)
  })

  it('copies TLV values out of the connection buffer', () => {
    const bytes = encodeProxyV2(tcp4, [{ type: 0x02, value: Buffer.from('api.example.test') }])
    const header = expectComplete(parseProxyHeader(bytes))
    bytes.fill(0)
    expect(header.tlvs?.[0]?.value.toString()).toBe('api.example.test')
  })
})

describe('PROXY byte vectors', () => {
  it('encodes 192.0.2.1:56324 → 198.51.100.7:443 over TCP as the spec lays it out', () => {
    const expected = Buffer.from(
      [
        '0d0a0d0a000d0a515549540a', // signature
        '21', // version 2, command PROXY
        '11', // AF_INET, STREAM
        '000c', // 12 bytes of addresses follow
        'c0000201', // 192.0.2.1
        'c6336407', // 198.51.100.7
        'dc04', // 56324
        '01bb', // 443
      ].join(''),
      'hex',
    )
    expect(encodeProxyV2(tcp4).equals(expected)).toBe(true)
    expect(expectComplete(parseProxyHeader(expected))).toEqual({ version: 2, command: 'proxy', addresses: tcp4, tlvs: [], headerBytes: 28 })
    expect(encodeProxyV1(tcp4).toString('latin1')).toBe('PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n')
  })

  it('encodes LOCAL as sixteen bytes with AF_UNSPEC and no body', () => {
    expect(encodeProxyV2(undefined).toString('hex')).toBe('0d0a0d0a000d0a515549540a20000000')
  })

  it('accepts the longest v1 line (107 bytes) and rejects a longer one', () => {
    const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
    const longest = latin1(`PROXY UNKNOWN ${f} ${f} 65535 65535\r\n`)
    expect(longest.length).toBe(107)
    expect(expectComplete(parseProxyHeader(longest))).toEqual({ version: 1, command: 'proxy', headerBytes: 107 })
    const tcp6Longest = latin1(`PROXY TCP6 ${f} ${f} 65535 65535\r\n`)
    expect(expectComplete(parseProxyHeader(tcp6Longest)).headerBytes).toBe(104)
    expect(parseProxyHeader(latin1(`PROXY UNKNOWN ${f} ${f} 65535 655350\r\n`))).toMatchObject({ status: 'invalid', code: 'PROXY_ERR_TOO_LONG' })
  })

  it.each([
    ['AF_UNSPEC', 0x00, 0],
    ['AF_UNIX stream', 0x31, 216],
    ['AF_UNIX datagram', 0x32, 216],
  ])('parses PROXY over %s as a header without addresses', (_, family, addressBytes) => {
    const tlv = [0x05, 0x00, 0x02, 0xab, 0xcd]
    const header = expectComplete(parseProxyHeader(v2(0x21, family, [...Buffer.alloc(addressBytes, 0x41), ...tlv])))
    expect(header).toEqual({ version: 2, command: 'proxy', tlvs: [{ type: 5, value: Buffer.from([0xab, 0xcd]) }], headerBytes: 16 + addressBytes + 5 })
  })

  it('ignores the address block of a LOCAL header but keeps its TLVs', () => {
    const header = expectComplete(parseProxyHeader(v2(0x20, 0x11, [...Buffer.alloc(12, 9), 0x03, 0x00, 0x00])))
    expect(header).toEqual({ version: 2, command: 'local', tlvs: [{ type: 3, value: Buffer.alloc(0) }], headerBytes: 31 })
  })
})

describe('PROXY incremental parsing', () => {
  const headers: [string, Buffer][] = [
    ['v1 tcp4', encodeProxyV1(tcp4)],
    ['v1 tcp6', encodeProxyV1(tcp6)],
    ['v1 unknown', encodeProxyV1(undefined)],
    ['v1 unknown with trailer', latin1('PROXY UNKNOWN whatever the sender had\r\n')],
    ['v1 tcp6 mapped, upper case', latin1('PROXY TCP6 ::FFFF:192.0.2.1 1:2:3:4:5:6:7:8 1 65535\r\n')],
    ['v2 tcp4', encodeProxyV2(tcp4)],
    ['v2 tcp6 + TLVs', encodeProxyV2(tcp6, tlvs)],
    ['v2 udp6', encodeProxyV2(udp6)],
    ['v2 local', encodeProxyV2(undefined)],
  ]

  it.each(headers)('%s: every proper prefix is incomplete, the whole header complete', (_, bytes) => {
    for (let n = 0; n < bytes.length; n++) {
      expect(parseProxyHeader(bytes.subarray(0, n)), `prefix of ${n} bytes`).toEqual({ status: 'incomplete' })
    }
    const payload = Buffer.from('payload')
    expect(expectComplete(parseProxyHeader(Buffer.concat([bytes, payload]))).headerBytes).toBe(bytes.length)
  })
})

describe('PROXY v1 early checks never reject a line that could still be valid', () => {
  const forms = (bytes: Buffer): string[] => {
    const words = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16))
    const quad = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`
    return [
      formatIPv6(bytes),
      formatIPv6(bytes).toUpperCase(),
      words.map((w) => w.padStart(4, '0')).join(':'),
      `${words.slice(0, 6).join(':')}:${quad}`,
      `::ffff:${quad}`,
    ]
  }

  it('accepts every prefix of random IPv6 lines in several spellings', () => {
    const random = seededRandom(11)
    for (let n = 0; n < 60; n++) {
      const bytes = Buffer.from(Array.from({ length: 16 }, () => (random() < 0.5 ? 0 : Math.floor(random() * 256))))
      for (const text of forms(bytes)) {
        const line = latin1(`PROXY TCP6 ${text} ${text} ${Math.floor(random() * 65536)} 0\r\n`)
        for (let k = 0; k < line.length; k++) expect(parseProxyHeader(line.subarray(0, k)).status, line.toString('latin1', 0, k)).toBe('incomplete')
        expect(parseProxyHeader(line).status).toBe('complete')
      }
    }
  })
})

describe('PROXY rejections', () => {
  const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
  // [what, input, code, length of the shortest prefix already rejected]
  const rows: [string, Buffer, keyof typeof proxyErrors, number][] = [
    ['HTTP request', latin1('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'PROXY_ERR_NOT_PROXY', 1],
    ['TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10]), 'PROXY_ERR_NOT_PROXY', 1],
    ['"POST"', latin1('POST / HTTP/1.1\r\n'), 'PROXY_ERR_NOT_PROXY', 2],
    ['lower-case proxy', latin1('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'PROXY_ERR_NOT_PROXY', 1],
    ['PROXY without space', latin1('PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'PROXY_ERR_NOT_PROXY', 6],
    ['unknown protocol', latin1('PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n'), 'PROXY_ERR_MALFORMED', 10],
    ['lower-case protocol', latin1('PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n'), 'PROXY_ERR_MALFORMED', 7],
    ['UNKNOWN glued to text', latin1('PROXY UNKNOWNX\r\n'), 'PROXY_ERR_MALFORMED', 14],
    ['empty protocol', latin1('PROXY \r\n'), 'PROXY_ERR_MALFORMED', 7],
    ['double space', latin1('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'), 'PROXY_ERR_MALFORMED', 12],
    ['missing ports', latin1('PROXY TCP4 1.2.3.4 5.6.7.8\r\n'), 'PROXY_ERR_MALFORMED', 27],
    ['missing destination port', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'), 'PROXY_ERR_MALFORMED', 29],
    ['trailing space', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n'), 'PROXY_ERR_MALFORMED', 31],
    ['extra field', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n'), 'PROXY_ERR_MALFORMED', 31],
    ['bare LF', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'), 'PROXY_ERR_MALFORMED', 31],
    ['CR without LF', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX'), 'PROXY_ERR_MALFORMED', 32],
    ['octet above 255', latin1('PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 20],
    ['leading zero octet', latin1('PROXY TCP4 1.2.03.4 5.6.7.8 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 17],
    ['three octets', latin1('PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 17],
    ['IPv6 under TCP4', latin1('PROXY TCP4 ::1 ::1 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 12],
    ['IPv4 under TCP6', latin1('PROXY TCP6 1.2.3.4 ::1 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 13],
    ['IPv6 zone id', latin1('PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 19],
    ['two "::"', latin1('PROXY TCP6 1::2::3 ::1 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 17],
    ['five-digit group', latin1('PROXY TCP6 12345:: ::1 1 2\r\n'), 'PROXY_ERR_BAD_ADDRESS', 16],
    ['port above 65535', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'), 'PROXY_ERR_BAD_PORT', 32],
    ['port with leading zero', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n'), 'PROXY_ERR_BAD_PORT', 29],
    ['negative port', latin1('PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n'), 'PROXY_ERR_BAD_PORT', 28],
    ['no CRLF in 107 bytes', latin1(`PROXY UNKNOWN ${f} ${f} ${'9'.repeat(20)}`), 'PROXY_ERR_TOO_LONG', 107],
    ['v2 signature typo', Buffer.from([...V2_SIGNATURE.subarray(0, 7), 0x52]), 'PROXY_ERR_NOT_PROXY', 8],
    ['v2 version 1', v2(0x11, 0x11, Buffer.alloc(12)), 'PROXY_ERR_BAD_VERSION', 13],
    ['v2 version 3', v2(0x31, 0x11, Buffer.alloc(12)), 'PROXY_ERR_BAD_VERSION', 13],
    ['v2 command 2', v2(0x22, 0x11, Buffer.alloc(12)), 'PROXY_ERR_BAD_COMMAND', 13],
    ['v2 family 0x13', v2(0x21, 0x13, Buffer.alloc(12)), 'PROXY_ERR_BAD_FAMILY', 14],
    ['v2 family 0x41', v2(0x21, 0x41, Buffer.alloc(12)), 'PROXY_ERR_BAD_FAMILY', 14],
    ['v2 INET with UNSPEC transport', v2(0x21, 0x10, Buffer.alloc(12)), 'PROXY_ERR_BAD_FAMILY', 14],
    ['v2 length below the IPv4 block', v2(0x21, 0x11, Buffer.alloc(11)), 'PROXY_ERR_MALFORMED', 16],
    ['v2 length below the IPv6 block', v2(0x21, 0x21, Buffer.alloc(12)), 'PROXY_ERR_MALFORMED', 16],
    ['v2 LOCAL length below its block', v2(0x20, 0x11, []), 'PROXY_ERR_MALFORMED', 16],
    ['v2 TLV header cut short', v2(0x21, 0x11, [...Buffer.alloc(12), 0x01, 0x00]), 'PROXY_ERR_BAD_TLV', 30],
    ['v2 TLV value overruns', v2(0x21, 0x11, [...Buffer.alloc(12), 0x01, 0x00, 0x05, 0x61, 0x62]), 'PROXY_ERR_BAD_TLV', 33],
  ]

  it.each(rows.map(([what, input, code, at]) => [what, code, at, input] as const))('%s → %s, detected after %d bytes', (_, code, detectedAt, input) => {
    expect(parseProxyHeader(input)).toMatchObject({ status: 'invalid', code })
    expect(parseProxyHeader(input.subarray(0, detectedAt))).toMatchObject({ status: 'invalid', code })
    expect(parseProxyHeader(input.subarray(0, detectedAt - 1))).toEqual({ status: 'incomplete' })
  })

  it('every code in the table is documented', () => {
    for (const [, , code] of rows) expect(proxyErrors[code]).toBeTypeOf('string')
  })

  it.each([
    ['v1 only refuses v2', encodeProxyV2(tcp4), { v2: false }],
    ['v2 only refuses v1', encodeProxyV1(tcp4), { v1: false }],
    ['nothing accepted', encodeProxyV1(tcp4), { v1: false, v2: false }],
  ])('%s', (_, bytes, accept) => {
    expect(parseProxyHeader(bytes, accept)).toMatchObject({ status: 'invalid', code: 'PROXY_ERR_NOT_PROXY' })
    expect(parseProxyHeader(bytes.subarray(0, 1), accept)).toMatchObject({ status: 'invalid', code: 'PROXY_ERR_NOT_PROXY' })
  })

  it('accepts the enabled version alone', () => {
    expect(parseProxyHeader(encodeProxyV1(tcp4), { v2: false }).status).toBe('complete')
    expect(parseProxyHeader(encodeProxyV2(tcp4), { v1: false }).status).toBe('complete')
  })
})

describe('PROXY robustness', () => {
  const isResult = (r: ProxyParseResult): boolean =>
    r.status === 'incomplete' || (r.status === 'invalid' && r.code in proxyErrors) || (r.status === 'complete' && r.header.headerBytes > 0)

  it('never throws on random bytes, with or without a signature in front', () => {
    const random = seededRandom(42)
    const prefixes = [Buffer.alloc(0), V2_SIGNATURE, latin1('PROXY '), latin1('PROXY TCP4 '), latin1('PROXY TCP6 ')]
    for (let n = 0; n < 5000; n++) {
      const noise = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)))
      const input = Buffer.concat([prefixes[n % prefixes.length]!, noise])
      const result = parseProxyHeader(input)
      expect(isResult(result)).toBe(true)
      if (result.status === 'complete') expect(result.header.headerBytes).toBeLessThanOrEqual(input.length)
    }
  })

  it('never throws on single-byte mutations of valid headers', () => {
    const random = seededRandom(7)
    const valid = [encodeProxyV1(tcp4), encodeProxyV1(tcp6), encodeProxyV2(tcp6, tlvs), encodeProxyV2(udp4)]
    for (const bytes of valid) {
      for (let at = 0; at < bytes.length; at++) {
        for (let k = 0; k < 4; k++) {
          const mutated = Buffer.from(bytes)
          mutated[at] = Math.floor(random() * 256)
          const result = parseProxyHeader(mutated)
          expect(isResult(result)).toBe(true)
          if (result.status === 'complete') expect(result.header.headerBytes).toBeLessThanOrEqual(mutated.length)
        }
      }
    }
  })
})

describe('PROXY encoders refuse what cannot be sent', () => {
  it.each<[string, () => Buffer, RegExp]>([
    ['UDP in v1', () => encodeProxyV1(udp4), /cannot carry udp4/],
    ['IPv6 address for tcp4', () => encodeProxyV1({ ...tcp4, source: { address: '::1', port: 1 } }), /source\.address/],
    ['IPv4 address for tcp6', () => encodeProxyV2({ ...tcp6, destination: { address: '1.2.3.4', port: 1 } }), /destination\.address/],
    ['port 65536', () => encodeProxyV1({ ...tcp4, source: { address: '1.2.3.4', port: 65536 } }), /source\.port/],
    ['fractional port', () => encodeProxyV2({ ...tcp4, destination: { address: '1.2.3.4', port: 1.5 } }), /destination\.port/],
    ['TLV type 256', () => encodeProxyV2(tcp4, [{ type: 256, value: Buffer.alloc(0) }]), /tlvs\[0\]\.type/],
    ['TLV too long', () => encodeProxyV2(tcp4, [{ type: 1, value: Buffer.alloc(65536) }]), /tlvs\[0\]\.value/],
    ['header over 64 KiB', () => encodeProxyV2(tcp4, [{ type: 1, value: Buffer.alloc(40000) }, { type: 2, value: Buffer.alloc(40000) }]), /16-bit length/],
  ])('%s', (_, encode, message) => {
    expect(encode).toThrow(RangeError)
    expect(encode).toThrow(message)
  })
})
