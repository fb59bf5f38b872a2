import { describe, expect, it } from 'vitest'
import type { HttpErrorCode } from '../../../engine/http/http-errors.js'
import type { HttpHeader } from '../../../engine/http/http-head.js'
import { HOP_BY_HOP, hopByHopNames, requestHeadString, responseHeadString, statusText } from '../../../engine/http/http-writer.js'
import { completeHead, parseRequest, parseResponse } from './wire.js'

const h = (name: string, value: string): HttpHeader => ({ name, value })

describe('requestHeadString', () => {
  it('writes the request line, one line per header and the empty line', () => {
    expect(requestHeadString('GET', '/a?b', [h('Host', 'x'), h('X-Empty', '')])).toBe('GET /a?b HTTP/1.1\r\nHost: x\r\nX-Empty: \r\n\r\n')
  })

  it.each([
    ['GET', '/', [h('Host', 'example.com')]],
    ['POST', '/upload?id=7', [h('Host', 'a'), h('Content-Length', '5'), h('Content-Type', 'text/plain; charset=utf-8')]],
    ['PUT', '/x', [h('Host', 'a'), h('Transfer-Encoding', 'gzip, chunked'), h('X-Latin1', 'caf\xe9'), h('x-dup', '1'), h('X-Dup', '2')]],
    ['CONNECT', 'example.com:443', [h('Host', 'example.com:443')]],
    ['OPTIONS', '*', [h('Host', 'a'), h('Connection', 'close')]],
    ['GET', 'http://example.com/abs', [h('Host', 'example.com'), h('Connection', 'Upgrade'), h('Upgrade', 'websocket')]],
  ] as const)('round-trips %s %s through the parser', (method, target, headers) => {
    const head = completeHead(parseRequest(requestHeadString(method, target, headers)))
    expect({ method: head.method, target: head.target, version: head.version, headers: head.headers }).toEqual({ method, target, version: '1.1', headers })
  })

  it('round-trips what it parsed', () => {
    const raw = 'PATCH /r HTTP/1.1\r\nHost: a:8080\r\nAccept: */*\r\nContent-Length: 2\r\nX-Trim:   spaced   out  \r\n\r\n'
    const head = completeHead(parseRequest(raw))
    const again = completeHead(parseRequest(requestHeadString(head.method, head.target, head.headers)))
    expect(again).toMatchObject({ method: 'PATCH', target: '/r', headers: head.headers, framing: head.framing, host: 'a:8080' })
  })

  it.each([
    ['G ET', '/', [], 'HTTP_ERR_BAD_REQUEST_LINE'],
    ['', '/', [], 'HTTP_ERR_BAD_REQUEST_LINE'],
    ['GET', '/a b', [], 'HTTP_ERR_BAD_TARGET'],
    ['GET', '/a\r\nX: y', [], 'HTTP_ERR_BAD_TARGET'],
    ['GET', '', [], 'HTTP_ERR_BAD_TARGET'],
    ['GET', '/', [h('X', 'a\r\nInjected: yes')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('X', 'a\nb')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('X', 'a\x00b')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('X', ' leading')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('X', 'trailing\t')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('X', 'snow \u2603')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('X Y', 'v')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('', 'v')], 'HTTP_ERR_BAD_HEADER'],
    ['GET', '/', [h('X:', 'v')], 'HTTP_ERR_BAD_HEADER'],
  ] as [string, string, HttpHeader[], HttpErrorCode][])('refuses %j %j %j with %s', (method, target, headers, code) => {
    expect(() => requestHeadString(method, target, headers)).toThrow(expect.objectContaining({ code }))
  })
})

describe('responseHeadString', () => {
  it('writes the status line, headers and the empty line', () => {
    expect(responseHeadString(404, 'Not Found', [h('Content-Length', '0')])).toBe('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
  })

  it.each([
    [200, 'OK', [h('Content-Length', '12'), h('Content-Type', 'text/html')]],
    [204, '', []],
    [101, 'Switching Protocols', [h('Connection', 'Upgrade'), h('Upgrade', 'websocket')]],
    [599, 'Custom Reason \xe9', [h('Transfer-Encoding', 'chunked')]],
  ] as const)('round-trips %i %j through the parser', (status, reason, headers) => {
    const head = completeHead(parseResponse(responseHeadString(status, reason, headers)))
    expect({ status: head.status, reason: head.reason, headers: head.headers }).toEqual({ status, reason, headers })
  })

  it.each([
    [99, 'Low', [], 'HTTP_ERR_BAD_STATUS_LINE'],
    [600, 'High', [], 'HTTP_ERR_BAD_STATUS_LINE'],
    [200.5, 'Half', [], 'HTTP_ERR_BAD_STATUS_LINE'],
    [200, 'O\r\nK', [], 'HTTP_ERR_BAD_STATUS_LINE'],
    [200, 'OK', [h('Set-Cookie', 'a=1\r\n\r\n<html>')], 'HTTP_ERR_BAD_HEADER'],
  ] as [number, string, HttpHeader[], HttpErrorCode][])('refuses %j %j %j with %s', (status, reason, headers, code) => {
    expect(() => responseHeadString(status, reason, headers)).toThrow(expect.objectContaining({ code }))
  })
})

describe('hop-by-hop headers', () => {
  it('lists the standard names in lower case', () => {
    expect([...HOP_BY_HOP].sort()).toEqual(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])
  })

  it.each([
    ['no Connection header', '', []],
    ['options of every Connection line, lower-cased', 'Connection: X-Secret, keep-alive\r\nconnection: X-Other ,, Close\r\n', ['x-secret', 'x-other', 'close']],
  ])('%s', (_name, lines, extra) => {
    const head = completeHead(parseRequest(`GET / HTTP/1.1\r\nHost: a\r\n${lines}\r\n`))
    expect(hopByHopNames(head)).toEqual(new Set([...HOP_BY_HOP, ...extra]))
  })

  it('works for responses and does not alter the shared set', () => {
    const head = completeHead(parseResponse('HTTP/1.1 200 OK\r\nConnection: X-Debug\r\n\r\n'))
    expect(hopByHopNames(head).has('x-debug')).toBe(true)
    expect(HOP_BY_HOP.has('x-debug')).toBe(false)
  })
})

describe('statusText', () => {
  it.each([
    [100, 'Continue'],
    [101, 'Switching Protocols'],
    [200, 'OK'],
    [204, 'No Content'],
    [304, 'Not Modified'],
    [400, 'Bad Request'],
    [413, 'Content Too Large'],
    [431, 'Request Header Fields Too Large'],
    [501, 'Not Implemented'],
    [502, 'Bad Gateway'],
    [503, 'Service Unavailable'],
    [504, 'Gateway Timeout'],
    [505, 'HTTP Version Not Supported'],
    [299, ''],
  ])('%i → %j', (code, text) => {
    expect(statusText(code)).toBe(text)
  })
})
