import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  bitString,
  boolean,
  encodeLength,
  explicit,
  ia5String,
  implicit,
  integer,
  namedBits,
  nullValue,
  objectIdentifier,
  octetString,
  readChildren,
  readElement,
  sequence,
  setOf,
  time,
  utf8String,
} from '../../../engine/tls/der.js'

const hex = (b: Buffer): string => b.toString('hex')

describe('DER encoding', () => {
  it.each([
    [0, '00'],
    [127, '7f'],
    [128, '8180'],
    [255, '81ff'],
    [256, '820100'],
    [65535, '82ffff'],
    [65536, '83010000'],
  ])('length %d → %s', (length, expected) => {
    expect(hex(encodeLength(length))).toBe(expected)
  })

  it.each<[string, bigint | number | Buffer, string]>([
    ['0', 0, '020100'],
    ['127', 127, '02017f'],
    ['128 (needs a sign octet)', 128, '02020080'],
    ['256', 256n, '02020100'],
    ['2^64', 2n ** 64n, '0209010000000000000000'],
    ['bytes with leading zeros', Buffer.from([0, 0, 0x80]), '02020080'],
    ['bytes with a clear top bit', Buffer.from([0x40, 0x01]), '02024001'],
    ['empty bytes', Buffer.alloc(0), '020100'],
  ])('INTEGER %s', (_, value, expected) => {
    expect(hex(integer(value))).toBe(expected)
  })

  it.each([
    ['1.2.840.10045.2.1', '06072a8648ce3d0201'], // id-ecPublicKey
    ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'], // ecdsa-with-SHA256
    ['2.5.4.3', '0603550403'], // commonName
    ['1.3.6.1.5.5.7.3.1', '06082b06010505070301'], // serverAuth
    ['2.999.3', '0603883703'], // X.690 §8.19.5 example
    ['1.2.840.113549.1.1.11', '06092a864886f70d01010b'], // sha256WithRSAEncryption
  ])('OBJECT IDENTIFIER %s', (oid, expected) => {
    expect(hex(objectIdentifier(oid))).toBe(expected)
  })

  it.each(['', '3.1', '1', '1.40', '1.2.', '1..2', '1.02'])('rejects OID %j', (oid) => {
    expect(() => objectIdentifier(oid)).toThrow(RangeError)
  })

  it.each<[string, Buffer, string]>([
    ['BOOLEAN TRUE', boolean(true), '0101ff'],
    ['BOOLEAN FALSE', boolean(false), '010100'],
    ['NULL', nullValue(), '0500'],
    ['OCTET STRING', octetString(Buffer.from([1, 2])), '04020102'],
    ['BIT STRING', bitString(Buffer.from([0xab])), '030200ab'],
    ['UTF8String', utf8String('é'), '0c02c3a9'],
    ['IA5String', ia5String('a.test'), '1606612e74657374'],
    ['empty SEQUENCE', sequence(), '3000'],
    ['[0] EXPLICIT INTEGER 2', explicit(0, integer(2)), 'a003020102'],
    ['[2] IMPLICIT dNSName', implicit(2, Buffer.from('x')), '820178'],
    ['[3] IMPLICIT constructed', implicit(3, sequence(), true), 'a3023000'],
  ])('%s', (_, encoded, expected) => {
    expect(hex(encoded)).toBe(expected)
  })

  it('uses the long length form past 127 content bytes', () => {
    const big = octetString(Buffer.alloc(300, 1))
    expect(hex(big.subarray(0, 4))).toBe('0482012c')
    expect(big.length).toBe(304)
  })

  it.each([
    ['digitalSignature', [0], '03020780'],
    ['digitalSignature + keyCertSign + cRLSign', [0, 5, 6], '03020186'],
    ['digitalSignature + keyCertSign', [0, 5], '03020284'],
    ['decipherOnly (bit 8)', [8], '0303070080'],
    ['nothing', [], '030100'],
  ])('named bits: %s', (_, bits, expected) => {
    expect(hex(namedBits(bits))).toBe(expected)
  })

  it('sorts SET OF members by encoding', () => {
    expect(hex(setOf(integer(3), integer(1), integer(2)))).toBe('3109020101020102020103')
  })

  it.each([
    ['2024-02-29T12:34:56.789Z', '170d3234303232393132333435365a'], // UTCTime, milliseconds dropped
    ['1950-01-01T00:00:00Z', '170d3530303130313030303030305a'],
    ['2049-12-31T23:59:59Z', '170d3439313233313233353935395a'],
    ['2050-01-01T00:00:00Z', '180f32303530303130313030303030305a'], // GeneralizedTime from 2050
  ])('time %s', (iso, expected) => {
    expect(hex(time(new Date(iso)))).toBe(expected)
  })

  it.each([new Date('1949-12-31T23:59:59Z'), new Date(Number.NaN)])('rejects time %s', (date) => {
    expect(() => time(date)).toThrow(RangeError)
  })
})

describe('DER reading', () => {
  it('reads back what it wrote', () => {
    const encoded = sequence(integer(5), octetString(Buffer.alloc(200, 9)), sequence(boolean(true)))
    const top = readElement(encoded)
    expect(top.tag).toBe(0x30)
    expect(top.raw.equals(encoded)).toBe(true)
    const [a, b, c] = readChildren(top)
    expect(a?.raw.equals(integer(5))).toBe(true)
    expect(b?.contents.equals(Buffer.alloc(200, 9))).toBe(true)
    expect(readChildren(c!).map((e) => hex(e.raw))).toEqual(['0101ff'])
  })

  it('walks a SubjectPublicKeyInfo that node:crypto produced', () => {
    const spki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' })
    const [algorithm, key] = readChildren(readElement(spki))
    expect(readChildren(algorithm!).map((e) => hex(e.raw))).toEqual([hex(objectIdentifier('1.2.840.10045.2.1')), hex(objectIdentifier('1.2.840.10045.3.1.7'))])
    expect(key?.tag).toBe(0x03)
    expect(key?.contents.length).toBe(66) // unused-bits octet + uncompressed point
  })

  it.each([
    ['empty', ''],
    ['a lone tag', '30'],
    ['contents cut short', '300501'],
    ['indefinite length', '3080'],
    ['long length cut short', '3082'],
    ['a high tag number', '1f0100'],
  ])('rejects %s', (_, bytes) => {
    expect(() => readElement(Buffer.from(bytes, 'hex'))).toThrow(RangeError)
  })
})
