import { describe, expect, it } from 'vitest'
import type { HttpErrorCode } from '../../../engine/http/http-errors.js'
import type { RequestHead } from '../../../engine/http/http-head.js'
import { parseRequestHead } from '../../../engine/http/http-parser.js'
import { bytes, completeHead, GET, parseRequest } from './wire.js'

type Expected = Partial<Omit<RequestHead, 'get'>>

const valid: [string, string, Expected][] = [
  [
    'a minimal HTTP/1.1 GET',
    'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n',
    {
      method: 'GET',
      target: '/',
      version: '1.1',
      headers: [{ name: 'Host', value: 'example.com' }],
      framing: { kind: 'none' },
      keepAlive: true,
      upgrade: undefined,
      expectContinue: false,
      host: 'example.com',
      headBytes: 37,
    },
  ],
  ['leading empty lines, counted in headBytes', '\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n', { method: 'GET', headBytes: 31 }],
  ['names kept as received, values OWS-trimmed', `${GET}x-ToKeN: \t v a l \t\r\nX-Empty:\r\nX-Blank:  \r\n\r\n`, {
    headers: [
      { name: 'Host', value: 'example.com' },
      { name: 'x-ToKeN', value: 'v a l' },
      { name: 'X-Empty', value: '' },
      { name: 'X-Blank', value: '' },
    ],
  }],
  ['obs-text in a value', `${GET}X-Name: caf\xe9\r\n\r\n`, { headers: [{ name: 'Host', value: 'example.com' }, { name: 'X-Name', value: 'caf\xe9' }] }],
  ['every tchar in a name', `${GET}!#$%&'*+-.^_\`|~09azAZ: v\r\n\r\n`, { headers: [{ name: 'Host', value: 'example.com' }, { name: "!#$%&'*+-.^_`|~09azAZ", value: 'v' }] }],
  ['HTTP/1.0 without Host closes by default', 'GET /x HTTP/1.0\r\n\r\n', { version: '1.0', keepAlive: false, host: undefined }],
  ['HTTP/1.0 with keep-alive', 'GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n', { version: '1.0', keepAlive: true }],
  ['HTTP/1.0 keep-alive and close: close wins', 'GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n', { keepAlive: false }],
  ['HTTP/1.1 Connection: close', `${GET}Connection: close\r\n\r\n`, { keepAlive: false }],
  ['Connection options across lines, any case', `${GET}Connection: Keep-Alive\r\nConnection: x, CLOSE\r\n\r\n`, { keepAlive: false }],
  ['websocket upgrade', `${GET}Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n`, { upgrade: 'websocket', keepAlive: true }],
  ['Upgrade without Connection: upgrade is ignored', `${GET}Upgrade: websocket\r\n\r\n`, { upgrade: undefined }],
  ['Upgrade in HTTP/1.0 is ignored', 'GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n', { upgrade: undefined }],
  ['Upgrade lines are joined', `${GET}Connection: upgrade\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n\r\n`, { upgrade: 'h2c, websocket' }],
  ['Expect: 100-continue, any case', `${GET}Expect: 100-Continue\r\nContent-Length: 5\r\n\r\n`, { expectContinue: true }],
  ['Expect in HTTP/1.0 is ignored', 'POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n', { expectContinue: false }],
  ['another expectation', `${GET}Expect: something\r\n\r\n`, { expectContinue: false }],
  ['Content-Length', `POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n`, { method: 'POST', framing: { kind: 'length', length: 42 } }],
  ['Content-Length: 0 is a length', `${GET}Content-Length: 0\r\n\r\n`, { framing: { kind: 'length', length: 0 } }],
  ['Content-Length with leading zeros', `${GET}Content-Length: 007\r\n\r\n`, { framing: { kind: 'length', length: 7 } }],
  ['Content-Length 2^53−1', `${GET}Content-Length: 9007199254740991\r\n\r\n`, { framing: { kind: 'length', length: 2 ** 53 - 1 } }],
  ['identical Content-Length list', `${GET}Content-Length: 5, 5,5\r\n\r\n`, { framing: { kind: 'length', length: 5 } }],
  ['identical Content-Length lines', `${GET}Content-Length: 5\r\ncontent-length: 5\r\n\r\n`, { framing: { kind: 'length', length: 5 } }],
  ['Transfer-Encoding: chunked', `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n`, { framing: { kind: 'chunked' } }],
  ['chunked in any case', `${GET}transfer-encoding: ChUnKeD\r\n\r\n`, { framing: { kind: 'chunked' } }],
  ['known codings before chunked', `${GET}Transfer-Encoding: gzip , deflate,compress, identity, chunked\r\n\r\n`, { framing: { kind: 'chunked' } }],
  ['codings across lines', `${GET}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n`, { framing: { kind: 'chunked' } }],
  ['empty list elements', `${GET}Transfer-Encoding: , chunked,\r\n\r\n`, { framing: { kind: 'chunked' } }],
  ['query string', 'GET /search?q=a%20b&x=1 HTTP/1.1\r\nHost: a\r\n\r\n', { target: '/search?q=a%20b&x=1' }],
  ['extension method', 'PURGE /cache HTTP/1.1\r\nHost: a\r\n\r\n', { method: 'PURGE' }],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', { method: 'OPTIONS', target: '*' }],
  ['CONNECT authority-form', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { target: 'example.com:443' }],
  ['CONNECT to an IPv6 literal', 'CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n', { target: '[2001:db8::1]:443' }],
  ['absolute-form', 'GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n', { target: 'http://example.com/x?y' }],
  ['absolute-form, https with port, scheme in capitals', 'GET HTTPS://Example.com:8443 HTTP/1.1\r\nHost: x\r\n\r\n', { target: 'HTTPS://Example.com:8443' }],
  ['Host with an IPv6 literal and port', 'GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n', { host: '[::1]:8080' }],
  ['Host with an empty port', 'GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n', { host: 'example.com:' }],
  ['empty Host (no authority)', 'GET / HTTP/1.1\r\nHost:\r\n\r\n', { host: '' }],
]

const invalid: [string, string, 400 | 431 | 501 | 505, HttpErrorCode][] = [
  // Line ends
  ['bare LF ending the request line', 'GET / HTTP/1.1\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BARE_LF'],
  ['bare LF ending a header line', `${GET}X: y\n\r\n`, 400, 'HTTP_ERR_BARE_LF'],
  ['bare LF as the final empty line', `${GET}\n`, 400, 'HTTP_ERR_BARE_LF'],
  ['bare LF before the request line', '\nGET / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BARE_LF'],
  ['bare LF inside a value', `${GET}X: a\nb\r\n\r\n`, 400, 'HTTP_ERR_BARE_LF'],
  ['bare LF inside a name', `${GET}X\nY: a\r\n\r\n`, 400, 'HTTP_ERR_BARE_LF'],
  ['bare CR ending the request line', 'GET / HTTP/1.1\rHost: a\r\n\r\n', 400, 'HTTP_ERR_BARE_CR'],
  ['bare CR inside a value', `${GET}X: a\rb\r\n\r\n`, 400, 'HTTP_ERR_BARE_CR'],
  ['bare CR as the final empty line', `${GET}\rX`, 400, 'HTTP_ERR_BARE_CR'],
  ['bare CR before the request line', '\rGET / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BARE_CR'],
  // Request line
  ['double space after the method', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['double space after the target', 'GET /  HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['tab as separator', 'GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['space before the method', ' GET / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['method with a non-tchar', 'GE@T / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['HTTP/0.9 style line without version', 'GET /\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['lower-case protocol name', 'GET / http/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['two-digit minor version', 'GET / HTTP/1.10\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['version without minor', 'GET / HTTP/2\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['trailing space after the version', 'GET / HTTP/1.1 \r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'HTTP_ERR_VERSION'],
  ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', 505, 'HTTP_ERR_VERSION'],
  ['HTTP/0.9', 'GET / HTTP/0.9\r\n\r\n', 505, 'HTTP_ERR_VERSION'],
  // Request target
  ['control byte in the target', 'GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['DEL in the target', 'GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['non-ASCII byte in the target', 'GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['tab in the target', 'GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['relative target', 'GET index.html HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['asterisk for GET', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['authority-form for GET', 'GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['origin-form for CONNECT', 'CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['CONNECT without a port', 'CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['CONNECT with absolute-form', 'CONNECT http://example.com:80/ HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['absolute-form with another scheme', 'GET ftp://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['absolute-form with an empty host', 'GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['absolute-form with userinfo', 'GET http://user@example.com/ HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  // Header lines
  ['space before the colon', `${GET}X-Thing : y\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['Transfer-Encoding with a space before the colon', `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['tab before the colon', `${GET}Content-Length\t: 5\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['empty name', `${GET}: y\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['line without a colon', `${GET}NoColon\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['non-token name', `${GET}X(y): z\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['NUL in a value', `${GET}X: a\x00b\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['control byte in a value', `${GET}X: a\x0bb\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['DEL in a value', `${GET}X: a\x7f\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['obs-fold', `${GET}X: a\r\n  b\r\n\r\n`, 400, 'HTTP_ERR_OBS_FOLD'],
  ['obs-fold with a tab', `${GET}X: a\r\n\tb\r\n\r\n`, 400, 'HTTP_ERR_OBS_FOLD'],
  ['whitespace before the first header', 'GET / HTTP/1.1\r\n Host: a\r\n\r\n', 400, 'HTTP_ERR_OBS_FOLD'],
  // Host
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nX: y\r\n\r\n', 400, 'HTTP_ERR_MISSING_HOST'],
  ['two Host lines', `${GET}host: other.com\r\n\r\n`, 400, 'HTTP_ERR_DUPLICATE_HOST'],
  ['two Host lines in HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n', 400, 'HTTP_ERR_DUPLICATE_HOST'],
  ['Host with userinfo', 'GET / HTTP/1.1\r\nHost: evil.com@example.com\r\n\r\n', 400, 'HTTP_ERR_BAD_HOST'],
  ['Host with a path', 'GET / HTTP/1.1\r\nHost: example.com/x\r\n\r\n', 400, 'HTTP_ERR_BAD_HOST'],
  ['Host with a space', 'GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n', 400, 'HTTP_ERR_BAD_HOST'],
  ['Host with a non-numeric port', 'GET / HTTP/1.1\r\nHost: example.com:http\r\n\r\n', 400, 'HTTP_ERR_BAD_HOST'],
  ['Host with only a port', 'GET / HTTP/1.1\r\nHost: :80\r\n\r\n', 400, 'HTTP_ERR_BAD_HOST'],
  ['Host with an unclosed IPv6 literal', 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', 400, 'HTTP_ERR_BAD_HOST'],
  // Framing: the smuggling classics
  ['CL then TE', `${GET}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, 'HTTP_ERR_CONFLICTING_FRAMING'],
  ['TE then CL', `${GET}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`, 400, 'HTTP_ERR_CONFLICTING_FRAMING'],
  ['CL: 0 with TE', `${GET}Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, 'HTTP_ERR_CONFLICTING_FRAMING'],
  ['chunked, identity', `${GET}Transfer-Encoding: chunked, identity\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['chunked not last across lines', `${GET}Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['xchunked', `${GET}Transfer-Encoding: xchunked\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['chunked-false', `${GET}Transfer-Encoding: chunked-false\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['gzip alone', `${GET}Transfer-Encoding: gzip\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['chunked twice', `${GET}Transfer-Encoding: chunked, chunked\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['chunked twice across lines', `${GET}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['chunked with a parameter', `${GET}Transfer-Encoding: chunked;x=1\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['quoted chunked', `${GET}Transfer-Encoding: "chunked"\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['empty Transfer-Encoding', `${GET}Transfer-Encoding:\r\n\r\n`, 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['vertical tab after chunked', `${GET}Transfer-Encoding: chunked\x0b\r\n\r\n`, 400, 'HTTP_ERR_BAD_HEADER'],
  ['unknown coding before chunked', `${GET}Transfer-Encoding: br, chunked\r\n\r\n`, 501, 'HTTP_ERR_UNSUPPORTED_TRANSFER_CODING'],
  ['x-gzip before chunked', `${GET}Transfer-Encoding: x-gzip, chunked\r\n\r\n`, 501, 'HTTP_ERR_UNSUPPORTED_TRANSFER_CODING'],
  ['Content-Length: +5', `${GET}Content-Length: +5\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['Content-Length: -1', `${GET}Content-Length: -1\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['Content-Length: 0x10', `${GET}Content-Length: 0x10\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['Content-Length: 1e3', `${GET}Content-Length: 1e3\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['space inside Content-Length', `${GET}Content-Length: 1 0\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['empty Content-Length', `${GET}Content-Length:\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['Content-Length 2^53', `${GET}Content-Length: 9007199254740992\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['huge Content-Length', `${GET}Content-Length: ${'9'.repeat(400)}\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['differing Content-Length list', `${GET}Content-Length: 5, 6\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['differing Content-Length lines', `${GET}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['Content-Length list with an empty element', `${GET}Content-Length: 5,,5\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['Content-Length list with a trailing comma', `${GET}Content-Length: 5,\r\n\r\n`, 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
]

describe('parseRequestHead: valid requests', () => {
  it.each(valid)('%s', (_name, raw, expected) => {
    const head = completeHead(parseRequest(raw))
    expect(head).toMatchObject(expected)
    expect(head.headBytes).toBe(raw.length)
  })
})

describe('parseRequestHead: invalid requests', () => {
  it.each(invalid)('%s → %i %s', (_name, raw, httpStatus, code) => {
    expect(parseRequest(raw)).toMatchObject({ status: 'error', httpStatus, code })
  })

  it.each(invalid)('%s: no prefix is complete or fails differently', (_name, raw, _status, code) => {
    for (let n = 0; n < raw.length; n++) {
      const result = parseRequest(raw.slice(0, n))
      if (result.status !== 'incomplete') expect(result).toMatchObject({ status: 'error', code })
    }
  })

  it('gives every error a human-readable reason', () => {
    const result = parseRequest(`${GET}Content-Length: +5\r\n\r\n`)
    expect(result.status === 'error' && result.reason).toMatch(/Content-Length/)
  })
})

describe('parseRequestHead: incremental input', () => {
  const heads = [
    '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    'POST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\nX-Empty:\r\n\r\n',
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
    'GET /x HTTP/1.0\r\n\r\n',
  ]

  it.each(heads)('every proper prefix of %j is incomplete, the whole is complete', (raw) => {
    for (let n = 0; n < raw.length; n++) expect(parseRequest(raw.slice(0, n)).status).toBe('incomplete')
    expect(completeHead(parseRequest(raw)).headBytes).toBe(raw.length)
  })

  it('stops at the end of the head and ignores body bytes after it', () => {
    const head = 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n'
    const parsed = completeHead(parseRequest(`${head}hello`))
    expect(parsed.headBytes).toBe(head.length)
    expect(parsed.framing).toEqual({ kind: 'length', length: 5 })
  })

  it('reads only buf[start, end) of a larger buffer', () => {
    const head = 'GET /in-the-middle HTTP/1.1\r\nHost: a\r\n\r\n'
    const buf = bytes(`junk\n\r${head}PUT / HTTP/1.1\r\n`)
    const start = 6
    const parsed = completeHead(parseRequestHead(buf, start, start + head.length))
    expect(parsed).toMatchObject({ target: '/in-the-middle', headBytes: head.length })
    expect(parseRequestHead(buf, start, start + head.length - 1).status).toBe('incomplete')
  })

  it('parses pipelined requests one after another', () => {
    const one = 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'
    const two = 'GET /2 HTTP/1.1\r\nHost: a\r\n\r\n'
    const buf = bytes(one + two)
    const first = completeHead(parseRequestHead(buf, 0, buf.length))
    const second = completeHead(parseRequestHead(buf, first.headBytes, buf.length))
    expect([first.target, second.target, first.headBytes + second.headBytes]).toEqual(['/1', '/2', buf.length])
  })
})

describe('parseRequestHead: limits', () => {
  const raw = `${GET}X-A: 1\r\nX-B: 2\r\n\r\n` // three header lines

  it.each([
    ['exactly at maxHeadBytes', raw, { maxHeadBytes: raw.length }, 'complete'],
    ['one byte over maxHeadBytes', raw, { maxHeadBytes: raw.length - 1 }, 'HTTP_ERR_HEADERS_TOO_LARGE'],
    ['an unfinished head shorter than the limit', raw.slice(0, 20), { maxHeadBytes: 21 }, 'incomplete'],
    ['an unfinished head reaching the limit', raw.slice(0, 20), { maxHeadBytes: 20 }, 'HTTP_ERR_HEADERS_TOO_LARGE'],
    ['leading empty lines count', `\r\n\r\n${raw}`, { maxHeadBytes: raw.length + 2 }, 'HTTP_ERR_HEADERS_TOO_LARGE'],
    ['endless empty lines', '\r\n'.repeat(100), { maxHeadBytes: 64 }, 'HTTP_ERR_HEADERS_TOO_LARGE'],
    ['exactly maxHeaders lines', raw, { maxHeaders: 3 }, 'complete'],
    ['one line over maxHeaders', raw, { maxHeaders: 2 }, 'HTTP_ERR_TOO_MANY_HEADERS'],
  ] as const)('%s', (_name, input, limits, expected) => {
    const result = parseRequest(input, limits)
    if (expected === 'complete' || expected === 'incomplete') expect(result.status).toBe(expected)
    else expect(result).toMatchObject({ status: 'error', httpStatus: 431, code: expected })
  })

  it('defaults to 16384 bytes and 100 headers', () => {
    const filler = 'X-Fill: ' + 'f'.repeat(16384) + '\r\n'
    expect(parseRequest(`${GET}${filler}\r\n`)).toMatchObject({ code: 'HTTP_ERR_HEADERS_TOO_LARGE' })
    const lines = (n: number) => `GET / HTTP/1.1\r\nHost: a\r\n${'X: y\r\n'.repeat(n - 1)}\r\n`
    expect(parseRequest(lines(100)).status).toBe('complete')
    expect(parseRequest(lines(101))).toMatchObject({ code: 'HTTP_ERR_TOO_MANY_HEADERS' })
  })

  it('accepts more headers than its internal buffer first holds', () => {
    const head = completeHead(parseRequest(`${GET}${'X: y\r\n'.repeat(999)}\r\n`, { maxHeaders: 1000 }))
    expect(head.headers).toHaveLength(1000)
    expect(head.headers[999]).toEqual({ name: 'X', value: 'y' })
  })
})

describe('RequestHead.get', () => {
  const head = completeHead(parseRequest(`${GET}Content-Type: text/plain\r\nX-Dup: first\r\nx-dup: second\r\n\r\n`))

  it.each([
    ['content-type', 'text/plain'],
    ['host', 'example.com'],
    ['x-dup', 'first'],
    ['x-missing', undefined],
    ['content', undefined],
  ])('get(%j) → %j', (name, value) => {
    expect(head.get(name)).toBe(value)
  })
})
