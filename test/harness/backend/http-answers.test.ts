import { describe, expect, it } from 'vitest'
import { parseRequestHead, parseResponseHead, type RequestHead } from '../../../engine/http/index.js'
import { AnswerHeads, isHealthPath, servedBody } from '../../../harness/backend/http-answers.js'

function head(text: string): RequestHead {
  const buf = Buffer.from(text, 'latin1')
  const r = parseRequestHead(buf, 0, buf.length)
  if (r.status !== 'complete') throw new Error(`test request does not parse: ${r.status}`)
  return r.head
}

const client = { address: '2001:db8::7', port: 4242, proxied: true }

describe('servedBody', () => {
  it.each([
    ['plain', 'GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['quotes and backslashes', 'GET /a"b\\c HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: "q" \\ x\r\n\r\n'],
    ['latin1 bytes and tabs', 'POST /caf%C3%A9 HTTP/1.1\r\nHost: h\r\nX-Real-IP: a\tb \xff\r\n\r\n'],
  ])('is the JSON of the request (%s), in printable ASCII', (_, text) => {
    const h = head(text)
    const body = servedBody('web-1', h, client, 7, undefined)
    expect(body).toMatch(/^[\x20-\x7e]*$/)
    expect(JSON.parse(body)).toEqual({
      backend: 'web-1',
      method: h.method,
      path: h.target,
      clientAddress: '2001:db8::7',
      clientPort: 4242,
      proxied: true,
      xForwardedFor: h.get('x-forwarded-for') ?? null,
      xRealIp: h.get('x-real-ip') ?? null,
      served: 7,
    })
  })

  it('pads to exactly responseBytes, or cuts when the document is longer', () => {
    const h = head('GET /x HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: "\xe9"\r\n\r\n')
    const natural = servedBody('b', h, client, 1, 0).length
    expect(natural).toBe(0)
    const unpadded = `${servedBody('b', h, client, 1, undefined).slice(0, -1)},"pad":""}`.length
    for (const n of [unpadded, unpadded + 1, unpadded + 1000]) {
      const body = servedBody('b', h, client, 1, n)
      expect(body.length).toBe(n)
      expect(JSON.parse(body).pad).toBe('x'.repeat(n - unpadded))
    }
    expect(servedBody('b', h, client, 1, unpadded - 1)).toHaveLength(unpadded - 1)
  })
})

describe('AnswerHeads', () => {
  const heads = new AnswerHeads('web-1')
  it.each([
    [200, 3, { contentLength: 10 }, { version: '1.1', keepAlive: true }, { 'content-length': '10', 'x-backend-served': '3' }],
    [503, undefined, { contentLength: 0 }, { version: '1.0', keepAlive: true }, { 'content-length': '0', connection: 'keep-alive' }],
    [500, 9, { chunked: true }, { version: '1.1', keepAlive: false }, { 'transfer-encoding': 'chunked', connection: 'close', 'x-backend-served': '9' }],
  ] as const)('%i head parses back with its headers', (status, served, framing, persistence, expected) => {
    const text = heads.head(status, served, framing, persistence)
    const r = parseResponseHead(Buffer.from(text, 'latin1'), 0, text.length)
    expect(r.status).toBe('complete')
    if (r.status !== 'complete') return
    expect(r.head.headBytes).toBe(text.length)
    expect(r.head.status).toBe(status)
    const got = Object.fromEntries(r.head.headers.map((x) => [x.name, x.value]))
    expect(got).toEqual({ 'x-backend': 'web-1', 'content-type': 'application/json', ...expected })
  })
})

describe('isHealthPath', () => {
  it.each([
    ['/health', true],
    ['/healthz', true],
    ['/health?verbose=1', true],
    ['/health/', false],
    ['/healthcheck', false],
    ['/x/health', false],
  ])('%s → %s', (target, expected) => expect(isHealthPath(target)).toBe(expected))
})
