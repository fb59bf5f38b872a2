import { CR, FIELD, SP, TARGET, TCHAR } from './char-classes.js'
import { fail, INCOMPLETE, scan, scanCrlf, scanVersion, unexpected } from './head-scanner.js'

/**
 * Scans `method SP request-target SP HTTP/d.d CRLF` (RFC 9112 §3) from `pos`, leaving the bounds
 * in `scan`, and returns the position after the CRLF. Single spaces only; the target may hold VCHAR
 * only. A well-formed version other than 1.0/1.1 is reported once the whole line is seen.
 */
export function scanRequestLine(buf: Buffer, pos: number, end: number): number {
  const lineStart = pos
  while (pos < end && TCHAR[buf[pos]!] === 1) pos++
  if (pos >= end) return INCOMPLETE
  if (pos === lineStart || buf[pos] !== SP) return unexpected(buf[pos]!, 'HTTP_ERR_BAD_REQUEST_LINE')
  scan.methodEnd = pos++
  scan.targetStart = pos
  while (pos < end && TARGET[buf[pos]!] === 1) pos++
  if (pos >= end) return INCOMPLETE
  const b = buf[pos]!
  if (b !== SP || pos === scan.targetStart) {
    // A CR here is an HTTP/0.9-style line without a version; a space is a doubled separator.
    return unexpected(b, b === SP || b === CR ? 'HTTP_ERR_BAD_REQUEST_LINE' : 'HTTP_ERR_BAD_TARGET')
  }
  scan.targetEnd = pos++
  pos = scanVersion(buf, pos, end, 'HTTP_ERR_BAD_REQUEST_LINE')
  if (pos < 0) return pos
  pos = scanCrlf(buf, pos, end, 'HTTP_ERR_BAD_REQUEST_LINE')
  if (pos < 0) return pos
  return scan.major === 1 && scan.minor <= 1 ? pos : fail('HTTP_ERR_VERSION')
}

/**
 * Scans `HTTP/d.d SP 3DIGIT [SP reason-phrase] CRLF` (RFC 9112 §4) from `pos`, leaving the status and
 * reason bounds in `scan`, and returns the position after the CRLF. The grammar requires the SP before
 * an empty reason; servers that omit it are common and harmless, so its absence is accepted.
 */
export function scanStatusLine(buf: Buffer, pos: number, end: number): number {
  pos = scanVersion(buf, pos, end, 'HTTP_ERR_BAD_STATUS_LINE')
  if (pos < 0) return pos
  if (pos >= end) return INCOMPLETE
  if (buf[pos] !== SP) return unexpected(buf[pos]!, 'HTTP_ERR_BAD_STATUS_LINE')
  pos++
  let status = 0
  for (let i = 0; i < 3; i++, pos++) {
    if (pos >= end) return INCOMPLETE
    const d = buf[pos]! - 0x30
    if (d < 0 || d > 9) return unexpected(buf[pos]!, 'HTTP_ERR_BAD_STATUS_LINE')
    status = status * 10 + d
  }
  if (pos >= end) return INCOMPLETE
  if (buf[pos] === SP) pos++
  else if (buf[pos] !== CR) return unexpected(buf[pos]!, 'HTTP_ERR_BAD_STATUS_LINE')
  scan.reasonStart = pos
  while (pos < end && FIELD[buf[pos]!] !== 0) pos++
  scan.reasonEnd = pos
  pos = scanCrlf(buf, pos, end, 'HTTP_ERR_BAD_STATUS_LINE')
  if (pos < 0) return pos
  if (status < 100 || status > 599) return fail('HTTP_ERR_BAD_STATUS_LINE')
  scan.status = status
  return scan.major === 1 && scan.minor <= 1 ? pos : fail('HTTP_ERR_VERSION')
}
