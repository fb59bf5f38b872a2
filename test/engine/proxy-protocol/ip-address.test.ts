import { isIPv4, isIPv6 } from 'node:net'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../engine/balancing/random.js'
import { formatIPv4, formatIPv6, parseDecimal, parseIPv4, parseIPv6 } from '../../../engine/proxy-protocol/ip-address.js'

describe('IPv4 text', () => {
  it.each([
    ['0.0.0.0', [0, 0, 0, 0]],
    ['192.0.2.1', [192, 0, 2, 1]],
    ['255.255.255.255', [255, 255, 255, 255]],
  ])('parses %s', (text, bytes) => {
    expect([...parseIPv4(text)!]).toEqual(bytes)
    expect(formatIPv4(parseIPv4(text)!)).toBe(text)
  })

  it.each(['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1.2.3.-1', '1.2.3.4 ', ' 1.2.3.4', '1..3.4', '0x1.2.3.4', '1.2.3.4.', '１.2.3.4'])(
    'rejects %j',
    (text) => {
      expect(parseIPv4(text)).toBeUndefined()
      expect(isIPv4(text)).toBe(false)
    },
  )
})

describe('IPv6 text', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ])('parses %s as %s', (text, canonical) => {
    const bytes = parseIPv6(text)
    expect(bytes).toBeDefined()
    expect(formatIPv6(bytes!)).toBe(canonical)
    expect(parseIPv6(canonical)!.equals(bytes!)).toBe(true)
  })

  it.each([
    '',
    ':',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '12345::',
    'g::',
    ':1::',
    '1:',
    '::1:',
    '1.2.3.4',
    '1.2.3.4::',
    '::1.2.3.4:1',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3.04',
    'fe80::1%eth0',
  ])('rejects %j', (text) => {
    expect(parseIPv6(text)).toBeUndefined()
  })

  it('agrees with node:net on random addresses and their compressed forms', () => {
    const random = seededRandom(6)
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(Array.from({ length: 16 }, () => (random() < 0.4 ? 0 : Math.floor(random() * 256))))
      const text = formatIPv6(bytes)
      expect(isIPv6(text)).toBe(true)
      expect(parseIPv6(text)!.equals(bytes)).toBe(true)
    }
  })
})

describe('decimal fields', () => {
  it.each([
    ['0', 65535, 0],
    ['65535', 65535, 65535],
    ['65536', 65535, undefined],
    ['00', 65535, undefined],
    ['080', 65535, undefined],
    ['+1', 65535, undefined],
    ['1e3', 65535, undefined],
    ['', 65535, undefined],
    ['0000000000001', 65535, undefined],
  ])('%j (max %d) → %s', (text, max, value) => {
    expect(parseDecimal(text, max)).toBe(value)
  })
})
