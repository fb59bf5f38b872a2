/** Headers the codec interprets, identified without lower-casing their names. */
export const Field = {
  Other: 0,
  Host: 1,
  ContentLength: 2,
  TransferEncoding: 3,
  Connection: 4,
  Upgrade: 5,
  Expect: 6,
} as const

/** One of the {@link Field} identifiers. */
export type Field = (typeof Field)[keyof typeof Field]

const bytes = (name: string): Uint8Array => Uint8Array.from(name, (c) => c.charCodeAt(0))

const HOST = bytes('host')
const EXPECT = bytes('expect')
const UPGRADE = bytes('upgrade')
const CONNECTION = bytes('connection')
const CONTENT_LENGTH = bytes('content-length')
const TRANSFER_ENCODING = bytes('transfer-encoding')

/**
 * Which interpreted header (if any) the token `buf[start, start + length)` names. Dispatching on the
 * length first means most names cost one switch; ORing 0x20 folds case, which is exact here because
 * the bytes are tchar and the names are letters and `-`.
 */
export function classifyField(buf: Buffer, start: number, length: number): Field {
  switch (length) {
    case 4:
      return matches(buf, start, HOST) ? Field.Host : Field.Other
    case 6:
      return matches(buf, start, EXPECT) ? Field.Expect : Field.Other
    case 7:
      return matches(buf, start, UPGRADE) ? Field.Upgrade : Field.Other
    case 10:
      return matches(buf, start, CONNECTION) ? Field.Connection : Field.Other
    case 14:
      return matches(buf, start, CONTENT_LENGTH) ? Field.ContentLength : Field.Other
    case 17:
      return matches(buf, start, TRANSFER_ENCODING) ? Field.TransferEncoding : Field.Other
    default:
      return Field.Other
  }
}

function matches(buf: Buffer, start: number, lower: Uint8Array): boolean {
  for (let i = 0; i < lower.length; i++) if ((buf[start + i]! | 0x20) !== lower[i]) return false
  return true
}
