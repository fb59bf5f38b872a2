import { describe, expect, it } from 'vitest'
import type { HttpErrorCode } from '../../../engine/http/http-errors.js'
import type { BodyFraming, ResponseHead } from '../../../engine/http/http-head.js'
import { responseFraming } from '../../../engine/http/http-parser.js'
import { completeHead, parseResponse } from './wire.js'

type Expected = Partial<Omit<ResponseHead, 'get'>>

const valid: [string, string, Expected][] = [
  [
    'a 200 with a length',
    'HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\n',
    {
      version: '1.1',
      status: 200,
      reason: 'OK',
      headers: [
        { name: 'Content-Length', value: '12' },
        { name: 'Content-Type', value: 'text/plain' },
      ],
      keepAlive: true,
      framing: { kind: 'length', length: 12 },
    },
  ],
  ['a reason with spaces and obs-text', 'HTTP/1.1 404 Not \tFound \xe9\r\n\r\n', { status: 404, reason: 'Not \tFound \xe9' }],
  ['an empty reason after the space', 'HTTP/1.1 204 \r\n\r\n', { status: 204, reason: '', framing: { kind: 'none' } }],
  ['no space before an empty reason', 'HTTP/1.1 204\r\n\r\n', { status: 204, reason: '' }],
  ['leading empty lines', '\r\nHTTP/1.1 304 Not Modified\r\n\r\n', { status: 304, framing: { kind: 'none' } }],
  ['HTTP/1.0 closes by default', 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n', { version: '1.0', keepAlive: false }],
  ['HTTP/1.0 with keep-alive', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n', { keepAlive: true }],
  ['HTTP/1.1 Connection: close', 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n', { keepAlive: false, framing: { kind: 'close' } }],
  ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', { framing: { kind: 'chunked' } }],
  ['an unknown coding before chunked is the client’s business', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: br, chunked\r\n\r\n', { framing: { kind: 'chunked' } }],
  ['chunked not last: read until close', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', { framing: { kind: 'close' } }],
  ['a coding without chunked: read until close', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', { framing: { kind: 'close' } }],
  ['neither TE nor CL: read until close', 'HTTP/1.1 200 OK\r\n\r\n', { framing: { kind: 'close' } }],
  ['101 is a tunnel', 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', { framing: { kind: 'tunnel' } }],
  ['other 1xx have no body', 'HTTP/1.1 100 Continue\r\n\r\n', { framing: { kind: 'none' } }],
  ['identical Content-Length lines', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n', { framing: { kind: 'length', length: 3 } }],
  ['status 599', 'HTTP/1.1 599 Custom\r\n\r\n', { status: 599 }],
]

const invalid: [string, string, HttpErrorCode][] = [
  ['bare LF ending the status line', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'HTTP_ERR_BARE_LF'],
  ['bare LF ending a header line', 'HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n', 'HTTP_ERR_BARE_LF'],
  ['bare CR in the reason', 'HTTP/1.1 200 O\rK\r\n\r\n', 'HTTP_ERR_BARE_CR'],
  ['control byte in the reason', 'HTTP/1.1 200 O\x01K\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['four-digit status', 'HTTP/1.1 2000 OK\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['status glued to the reason', 'HTTP/1.1 200OK\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['status below 100', 'HTTP/1.1 099 Low\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['status above 599', 'HTTP/1.1 600 High\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['double space before the status', 'HTTP/1.1  200 OK\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['lower-case protocol name', 'http/1.1 200 OK\r\n\r\n', 'HTTP_ERR_BAD_STATUS_LINE'],
  ['HTTP/2.0', 'HTTP/2.0 200 OK\r\n\r\n', 'HTTP_ERR_VERSION'],
  ['space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n', 'HTTP_ERR_BAD_HEADER'],
  ['NUL in a value', 'HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n', 'HTTP_ERR_BAD_HEADER'],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n', 'HTTP_ERR_OBS_FOLD'],
  ['CL and TE', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP_ERR_CONFLICTING_FRAMING'],
  ['TE in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['empty Transfer-Encoding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n', 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['Content-Length: +5', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n', 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['differing Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n', 'HTTP_ERR_BAD_CONTENT_LENGTH'],
]

describe('parseResponseHead: valid responses', () => {
  it.each(valid)('%s', (_name, raw, expected) => {
    const head = completeHead(parseResponse(raw))
    expect(head).toMatchObject(expected)
    expect(head.headBytes).toBe(raw.length)
  })
})

describe('parseResponseHead: invalid responses', () => {
  it.each(invalid)('%s → %s', (_name, raw, code) => {
    expect(parseResponse(raw)).toMatchObject({ status: 'error', code })
  })

  it.each(invalid)('%s: no prefix is complete or fails differently', (_name, raw, code) => {
    for (let n = 0; n < raw.length; n++) {
      const result = parseResponse(raw.slice(0, n))
      if (result.status !== 'incomplete') expect(result).toMatchObject({ status: 'error', code })
    }
  })
})

describe('parseResponseHead: incremental input and limits', () => {
  const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\n'

  it('is incomplete for every proper prefix and complete for the whole', () => {
    for (let n = 0; n < raw.length; n++) expect(parseResponse(raw.slice(0, n)).status).toBe('incomplete')
    expect(completeHead(parseResponse(`${raw}hi`)).headBytes).toBe(raw.length)
  })

  it.each([
    [{ maxHeadBytes: raw.length }, 'complete'],
    [{ maxHeadBytes: raw.length - 1 }, 'HTTP_ERR_HEADERS_TOO_LARGE'],
    [{ maxHeaders: 2 }, 'complete'],
    [{ maxHeaders: 1 }, 'HTTP_ERR_TOO_MANY_HEADERS'],
  ] as const)('limits %j → %s', (limits, expected) => {
    const result = parseResponse(raw, limits)
    if (expected === 'complete') expect(result.status).toBe('complete')
    else expect(result).toMatchObject({ status: 'error', httpStatus: 431, code: expected })
  })

  it('answers get() case-insensitively', () => {
    expect(completeHead(parseResponse(raw)).get('content-length')).toBe('2')
  })
})

describe('responseFraming', () => {
  const head = (status: number, lines = ''): ResponseHead => completeHead(parseResponse(`HTTP/1.1 ${status} X\r\n${lines}\r\n`))
  const none: BodyFraming = { kind: 'none' }
  const tunnel: BodyFraming = { kind: 'tunnel' }
  const close: BodyFraming = { kind: 'close' }
  const chunked: BodyFraming = { kind: 'chunked' }
  const length = (n: number): BodyFraming => ({ kind: 'length', length: n })
  const cl = 'Content-Length: 10\r\n'
  const te = 'Transfer-Encoding: chunked\r\n'

  it.each([
    ['GET', 200, cl, length(10)],
    ['GET', 200, te, chunked],
    ['GET', 200, 'Transfer-Encoding: gzip\r\n', close],
    ['GET', 200, '', close],
    ['GET', 200, 'Content-Length: 0\r\n', length(0)],
    ['HEAD', 200, cl, none],
    ['HEAD', 200, te, none],
    ['HEAD', 404, '', none],
    ['GET', 100, '', none],
    ['GET', 103, 'Link: </a.css>\r\n', none],
    ['GET', 101, 'Upgrade: websocket\r\n', tunnel],
    ['HEAD', 101, '', tunnel],
    ['GET', 204, cl, none],
    ['GET', 304, cl, none],
    ['GET', 304, te, none],
    ['POST', 201, cl, length(10)],
    ['CONNECT', 200, '', tunnel],
    ['CONNECT', 200, cl, tunnel],
    ['CONNECT', 299, '', tunnel],
    ['CONNECT', 407, cl, length(10)],
    ['CONNECT', 502, '', close],
    ['GET', 500, te, chunked],
  ] as const)('%s → %i %j: %j', (method, status, lines, expected) => {
    expect(responseFraming(method, head(status, lines))).toEqual(expected)
  })
})
