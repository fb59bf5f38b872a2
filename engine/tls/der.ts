/**
 * The slice of ASN.1 DER (ITU-T X.690) that X.509 certificates need: definite lengths, low tag
 * numbers, the universal types below and context-specific tags — plus a reader for picking fields
 * back out of DER that node:crypto produced. Encoders return the complete element (tag, length,
 * contents), so certificates are built by nesting calls.
 */

/** One encoded element: tag byte, minimal definite length, contents. */
export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents)
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body])
}

/** The definite length octets of X.690 §8.1.3, short form below 128, else the minimal long form. */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid DER length ${length}`)
  if (length < 0x80) return Buffer.from([length])
  const octets: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256)
  return Buffer.from([0x80 | octets.length, ...octets])
}

/** SEQUENCE of the given elements, in order. */
export function sequence(...elements: Uint8Array[]): Buffer {
  return tlv(0x30, ...elements)
}

/** SET OF the given elements, sorted by their encodings as DER requires (X.690 §11.6). */
export function setOf(...elements: Uint8Array[]): Buffer {
  return tlv(0x31, ...[...elements].sort((a, b) => Buffer.compare(a, b)))
}

/** A non-negative INTEGER, from a bigint or from unsigned big-endian bytes. */
export function integer(value: bigint | number | Uint8Array): Buffer {
  let magnitude: Buffer
  if (typeof value === 'bigint' || typeof value === 'number') {
    const n = BigInt(value)
    if (n < 0n) throw new RangeError('only non-negative INTEGERs are supported')
    const hex = n.toString(16)
    magnitude = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex')
  } else {
    magnitude = Buffer.from(value)
  }
  let start = 0
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++
  magnitude = magnitude.subarray(start)
  if (magnitude.length === 0) magnitude = Buffer.from([0])
  // A set top bit would read as negative: prefix a zero octet.
  if (magnitude[0]! & 0x80) magnitude = Buffer.concat([Buffer.from([0]), magnitude])
  return tlv(0x02, magnitude)
}

/** OBJECT IDENTIFIER from dotted text such as `2.5.4.3`. */
export function objectIdentifier(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new RangeError(`invalid OID ${JSON.stringify(dotted)}`)
  const arcs = dotted.split('.').map(BigInt)
  const [first = 0n, second = 0n, ...rest] = arcs
  if (first < 2n && second > 39n) throw new RangeError(`invalid OID ${dotted}: second arc above 39`)
  const octets: number[] = []
  for (const arc of [first * 40n + second, ...rest]) {
    const base128: number[] = [Number(arc & 0x7fn)]
    for (let n = arc >> 7n; n > 0n; n >>= 7n) base128.unshift(Number(n & 0x7fn) | 0x80)
    octets.push(...base128)
  }
  return tlv(0x06, Buffer.from(octets))
}

/** BOOLEAN; DER encodes TRUE as 0xff. */
export function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]))
}

/** NULL. */
export function nullValue(): Buffer {
  return tlv(0x05)
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Buffer {
  return tlv(0x04, bytes)
}

/** BIT STRING of whole bytes, or with `unusedBits` (0–7) trailing bits of the last byte unused. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new RangeError(`invalid unused bit count ${unusedBits}`)
  }
  return tlv(0x03, Buffer.from([unusedBits]), bytes)
}

/** A named-bit BIT STRING (like keyUsage) with bit 0 first and trailing zero bits dropped (X.690 §11.2.2). */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0))
  const highest = Math.max(...bits)
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1)
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7)
  return bitString(bytes, 7 - (highest & 7))
}

/** UTF8String. */
export function utf8String(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, 'utf8'))
}

/** IA5String (ASCII). */
export function ia5String(text: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`IA5String must be ASCII: ${JSON.stringify(text)}`)
  return tlv(0x16, Buffer.from(text, 'latin1'))
}

/**
 * A certificate validity time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5),
 * to the second, in UTC.
 */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear()
  if (!Number.isFinite(date.getTime()) || year < 1950 || year > 9999) throw new RangeError(`time out of range: ${String(date)}`)
  const two = (n: number): string => String(n).padStart(2, '0')
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`
  return year < 2050 ? tlv(0x17, Buffer.from(`${two(year % 100)}${rest}`, 'latin1')) : tlv(0x18, Buffer.from(`${year}${rest}`, 'latin1'))
}

/** `[n] EXPLICIT`: a constructed context-specific tag wrapping a whole element. */
export function explicit(tagNumber: number, element: Uint8Array): Buffer {
  return tlv(0xa0 | checkTagNumber(tagNumber), element)
}

/** `[n] IMPLICIT`: a context-specific tag replacing the tag of `contents` (primitive unless `constructed`). */
export function implicit(tagNumber: number, contents: Uint8Array, constructed = false): Buffer {
  return tlv((constructed ? 0xa0 : 0x80) | checkTagNumber(tagNumber), contents)
}

/** A decoded element: its tag, where it sits in the buffer, and views of its bytes. */
export interface DerElement {
  readonly tag: number
  /** The whole element, tag and length included. */
  readonly raw: Buffer
  readonly contents: Buffer
}

/** The element at `offset`. Throws on anything but low-tag, definite-length DER that fits in `buf`. */
export function readElement(buf: Buffer, offset = 0): DerElement {
  const tag = buf[offset]
  const first = buf[offset + 1]
  if (tag === undefined || first === undefined) throw new RangeError('DER element truncated')
  if ((tag & 0x1f) === 0x1f) throw new RangeError('high tag numbers are not supported')
  let length = first
  let header = 2
  if (first & 0x80) {
    const count = first & 0x7f
    if (count === 0 || count > 4) throw new RangeError('indefinite or oversized DER length')
    if (offset + 2 + count > buf.length) throw new RangeError('DER length truncated')
    length = buf.readUIntBE(offset + 2, count)
    header += count
  }
  const end = offset + header + length
  if (end > buf.length) throw new RangeError('DER element overruns its buffer')
  return { tag, raw: buf.subarray(offset, end), contents: buf.subarray(offset + header, end) }
}

/** The elements inside a constructed element, in order. */
export function readChildren(element: DerElement): DerElement[] {
  const children: DerElement[] = []
  for (let at = 0; at < element.contents.length; ) {
    const child = readElement(element.contents, at)
    children.push(child)
    at += child.raw.length
  }
  return children
}

function checkTagNumber(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`tag number ${n} needs the high-tag form`)
  return n
}
