import { describe, expect, it } from 'vitest'
import { createResponseReader, type ReadState } from '../../../engine/health/http-response-reader.js'

/** Feeds `raw` in pieces of `size` bytes (0: all at once), then ends the stream if `close`. */
function read(raw: string, size: number, close: boolean, limit = 64 * 1024) {
  const reader = createResponseReader(limit)
  const bytes = Buffer.from(raw, 'latin1')
  let state: ReadState = 'head'
  const step = size === 0 ? bytes.length : size
  for (let i = 0; i < bytes.length; i += step) state = reader.push(bytes.subarray(i, i + step))
  if (close) state = reader.end()
  return { state, status: reader.head?.status, body: reader.body().toString('latin1'), truncated: reader.truncated }
}

const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n'

describe('http response reader', () => {
  it.each([
    // name, raw response, close after, expected state, status, body
    ['content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', false, 'done', 200, 'hello'],
    ['content-length, bytes after the body ignored', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello', false, 'done', 200, 'he'],
    ['chunked with extensions and trailers', chunked, false, 'done', 200, 'hello world'],
    ['chunked, upper-case hex size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n', false, 'done', 200, '0123456789'],
    ['close-delimited, still open', 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close', false, 'body', 200, 'until close'],
    ['close-delimited, closed', 'HTTP/1.0 200 OK\r\n\r\nuntil close', true, 'done', 200, 'until close'],
    ['204 has no body', 'HTTP/1.1 204 No Content\r\n\r\n', false, 'done', 204, ''],
    ['content-length 0', 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', false, 'done', 503, ''],
    ['interim 100 Continue skipped', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', false, 'done', 200, 'ok'],
    ['head still incomplete', 'HTTP/1.1 200 OK\r\nContent-Le', false, 'head', undefined, ''],
    ['body cut short', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', true, { error: 'response cut short' }, 200, 'abc'],
    ['chunked cut short', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', true, { error: 'response cut short' }, 200, 'hel'],
    ['closed before any response', '', true, { error: 'connection closed before the response' }, undefined, ''],
    ['malformed status line', 'HTTP/2 200\r\n\r\n', false, { error: 'malformed status line' }, undefined, ''],
    ['malformed header', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', false, { error: 'malformed header' }, undefined, ''],
    ['malformed chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', false, { error: 'malformed chunk size' }, 200, ''],
    ['missing CRLF after chunk data', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX', false, { error: 'malformed chunk' }, 200, 'ok'],
  ])('%s', (_name, raw, close, state, status, body) => {
    // The verdict must not depend on how the bytes were split across reads.
    for (const size of [0, 1, 3, 7]) {
      expect(read(raw, size, close), `in pieces of ${size}`).toEqual({ state, status, body, truncated: false })
    }
  })

  it.each([
    ['content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789'],
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n'],
    ['close-delimited', 'HTTP/1.1 200 OK\r\n\r\n01234567890123456789'],
  ])('keeps at most the limit of a %s body and stops there', (_name, raw) => {
    for (const size of [0, 1, 5]) expect(read(raw, size, false, 8)).toEqual({ state: 'done', status: 200, body: '01234567', truncated: true })
  })

  it('rejects an endless head', () => {
    expect(read(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(20_000)}`, 0, false).state).toEqual({ error: 'response head too large' })
  })

  it('joins repeated headers and lower-cases names', () => {
    const reader = createResponseReader()
    reader.push(Buffer.from('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n'))
    expect(reader.head?.headers.get('set-cookie')).toBe('a=1, b=2')
  })
})
