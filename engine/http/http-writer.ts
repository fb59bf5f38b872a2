import { isFieldValue, isToken, TARGET } from './char-classes.js'
import type { HttpHeader } from './http-head.js'
import { HttpError } from './http-errors.js'

export { HOP_BY_HOP, hopByHopNames } from './hop-by-hop.js'
export { statusText } from './status-text.js'

/**
 * Serialises a request head: `method SP target SP HTTP/1.1 CRLF`, one `name: value CRLF` per header,
 * and the empty line. Write the result as latin1. Every part is checked first, because a CR or LF
 * smuggled into a value would split the message; throws {@link HttpError} on an invalid part.
 */
export function requestHeadString(method: string, target: string, headers: readonly HttpHeader[]): string {
  if (!isToken(method)) throw new HttpError('HTTP_ERR_BAD_REQUEST_LINE', `invalid method ${JSON.stringify(method)}`)
  if (!isTarget(target)) throw new HttpError('HTTP_ERR_BAD_TARGET', `invalid request-target ${JSON.stringify(target)}`)
  return `${method} ${target} HTTP/1.1\r\n${fieldLines(headers)}\r\n`
}

/**
 * Serialises a response head: `HTTP/1.1 SP status SP reason CRLF`, the header lines and the empty
 * line, checked like {@link requestHeadString}. Write the result as latin1.
 */
export function responseHeadString(status: number, reason: string, headers: readonly HttpHeader[]): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new HttpError('HTTP_ERR_BAD_STATUS_LINE', `invalid status ${status}`)
  }
  if (reason.length > 0 && !isFieldValue(reason)) throw new HttpError('HTTP_ERR_BAD_STATUS_LINE', `invalid reason ${JSON.stringify(reason)}`)
  return `HTTP/1.1 ${status} ${reason}\r\n${fieldLines(headers)}\r\n`
}

function fieldLines(headers: readonly HttpHeader[]): string {
  let out = ''
  for (let i = 0; i < headers.length; i++) {
    const { name, value } = headers[i]!
    if (!isToken(name)) throw new HttpError('HTTP_ERR_BAD_HEADER', `invalid header name ${JSON.stringify(name)}`)
    if (!isFieldValue(value)) throw new HttpError('HTTP_ERR_BAD_HEADER', `invalid value for ${name}: ${JSON.stringify(value)}`)
    out += `${name}: ${value}\r\n`
  }
  return out
}

function isTarget(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || TARGET[c] !== 1) return false
  }
  return true
}
