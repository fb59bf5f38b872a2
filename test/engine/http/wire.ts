import { parseRequestHead, parseResponseHead, type HeadLimits, type ParseResult } from '../../../engine/http/http-parser.js'
import type { RequestHead, ResponseHead } from '../../../engine/http/http-head.js'

/** The latin1 bytes of `s`, which is how heads travel on the wire. */
export const bytes = (s: string): Buffer => Buffer.from(s, 'latin1')

/** Parses the whole of `s` as a request head. */
export const parseRequest = (s: string, limits?: Partial<HeadLimits>): ParseResult<RequestHead> =>
  parseRequestHead(bytes(s), 0, s.length, limits)

/** Parses the whole of `s` as a response head. */
export const parseResponse = (s: string, limits?: Partial<HeadLimits>): ParseResult<ResponseHead> =>
  parseResponseHead(bytes(s), 0, s.length, limits)

/** The head of a complete result, failing the test with the actual result otherwise. */
export function completeHead<H>(result: ParseResult<H>): H {
  if (result.status !== 'complete') throw new Error(`expected a complete head, got ${JSON.stringify(result)}`)
  return result.head
}

/** A request head with a Host header, to which tests append their own lines. */
export const GET = 'GET / HTTP/1.1\r\nHost: example.com\r\n'
