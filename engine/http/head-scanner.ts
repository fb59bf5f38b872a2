import { COLON, CR, FIELD, HTAB, LF, SP, TCHAR } from './char-classes.js'
import type { HttpErrorCode } from './http-errors.js'

/** Scanner result: more bytes are needed. Non-negative results are positions. */
export const INCOMPLETE = -1
/** Scanner result: the bytes are malformed; `scan.error` says how. */
export const FAILED = -2

/**
 * Side results of the last scan. Scanners return a position (or INCOMPLETE/FAILED) and leave
 * offsets here, in one reused buffer, so that a parse allocates nothing until the head is known to
 * be complete and valid. Parsing is synchronous, so no two scans interleave.
 */
export const scan = {
  error: 'HTTP_ERR_BAD_HEADER' as HttpErrorCode,
  /** Request line: method is [lineStart, methodEnd), target [targetStart, targetEnd). */
  methodEnd: 0,
  targetStart: 0,
  targetEnd: 0,
  /** Major and minor digit of the version in the start line. */
  major: 0,
  minor: 0,
  /** Status line: the code and the reason phrase [reasonStart, reasonEnd). */
  status: 0,
  reasonStart: 0,
  reasonEnd: 0,
  /** Header lines, relative to the scan's origin: field i is name [4i, 4i+1), trimmed value [4i+2, 4i+3). */
  fieldCount: 0,
  fields: new Int32Array(4 * 64),
}

/** Records `code` as the scan error and returns FAILED. */
export function fail(code: HttpErrorCode): number {
  scan.error = code
  return FAILED
}

/** A byte that does not belong where it was found: a stray LF is reported as such, anything else as `code`. */
export function unexpected(b: number, code: HttpErrorCode): number {
  return fail(b === LF ? 'HTTP_ERR_BARE_LF' : code)
}

/** Expects CRLF at `pos`; returns the position after it. */
export function scanCrlf(buf: Buffer, pos: number, end: number, code: HttpErrorCode): number {
  if (pos >= end) return INCOMPLETE
  const b = buf[pos]!
  if (b !== CR) return unexpected(b, code)
  if (pos + 1 >= end) return INCOMPLETE
  return buf[pos + 1] === LF ? pos + 2 : fail('HTTP_ERR_BARE_CR')
}

/** Skips the empty lines a client may send before a request line (RFC 9112 §2.2). */
export function skipEmptyLines(buf: Buffer, pos: number, end: number): number {
  while (pos < end && buf[pos] === CR) {
    if (pos + 1 >= end) return INCOMPLETE
    if (buf[pos + 1] !== LF) return fail('HTTP_ERR_BARE_CR')
    pos += 2
  }
  return pos
}

// `HTTP/` DIGIT `.` DIGIT; -1 marks a digit.
const VERSION_SHAPE = [0x48, 0x54, 0x54, 0x50, 0x2f, -1, 0x2e, -1]

/** Expects `HTTP/d.d` at `pos`, leaves the digits in `scan.major`/`scan.minor`, returns the position after it. */
export function scanVersion(buf: Buffer, pos: number, end: number, code: HttpErrorCode): number {
  for (let i = 0; i < 8; i++) {
    if (pos + i >= end) return INCOMPLETE
    const b = buf[pos + i]!
    const want = VERSION_SHAPE[i]!
    if (want === -1 ? b < 0x30 || b > 0x39 : b !== want) return unexpected(b, code)
  }
  scan.major = buf[pos + 5]! - 0x30
  scan.minor = buf[pos + 7]! - 0x30
  return pos + 8
}

/**
 * Scans header lines from `pos` through the empty line that ends the head. Returns the position
 * after that empty line. Each line must be `token ":" OWS value OWS CRLF` with a value of field-vchar
 * and OWS only; at most `maxFields` lines. Offsets are stored relative to `origin`, which keeps them
 * small whatever the position of the head in its buffer.
 */
export function scanFields(buf: Buffer, pos: number, end: number, maxFields: number, origin: number): number {
  let fields = scan.fields
  let count = 0
  for (;;) {
    if (pos >= end) return INCOMPLETE
    let b = buf[pos]!
    if (b === CR) {
      if (pos + 1 >= end) return INCOMPLETE
      if (buf[pos + 1] !== LF) return fail('HTTP_ERR_BARE_CR')
      scan.fieldCount = count
      return pos + 2
    }
    // Whitespace at a line start is obs-fold, or whitespace between the start line and the first
    // field; RFC 9112 §2.2 and §5.2 have a server reject both.
    if (b === SP || b === HTAB) return fail('HTTP_ERR_OBS_FOLD')
    const nameStart = pos
    while (pos < end && TCHAR[buf[pos]!] === 1) pos++
    if (pos >= end) return INCOMPLETE
    if (pos === nameStart || buf[pos] !== COLON) return unexpected(buf[pos]!, 'HTTP_ERR_BAD_HEADER')
    if (count === maxFields) return fail('HTTP_ERR_TOO_MANY_HEADERS')
    const nameEnd = pos++
    while (pos < end && FIELD[buf[pos]!] === 1) pos++
    const valueStart = pos
    while (pos < end && FIELD[buf[pos]!] !== 0) pos++
    if (pos >= end) return INCOMPLETE
    // Trailing OWS is rare; trimming it afterwards keeps a branch out of the per-byte loop.
    let valueEnd = pos
    while (valueEnd > valueStart && FIELD[buf[valueEnd - 1]!] === 1) valueEnd--
    b = buf[pos]!
    if (b !== CR) return unexpected(b, 'HTTP_ERR_BAD_HEADER')
    if (pos + 1 >= end) return INCOMPLETE
    if (buf[pos + 1] !== LF) return fail('HTTP_ERR_BARE_CR')
    pos += 2
    const at = count << 2
    if (at + 4 > fields.length) {
      const grown = new Int32Array(fields.length * 2)
      grown.set(fields)
      fields = scan.fields = grown
    }
    fields[at] = nameStart - origin
    fields[at + 1] = nameEnd - origin
    fields[at + 2] = valueStart - origin
    fields[at + 3] = valueEnd - origin
    count++
  }
}
