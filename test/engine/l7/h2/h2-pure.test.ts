import type { IncomingHttpHeaders } from 'node:http2'
import { describe, expect, it } from 'vitest'
import { grpcMessage, grpcStatusOf, grpcTimeoutMs, isGrpc } from '../../../../engine/l7/h2/grpc-status.js'
import { H2_PREFACE, prefaceVerdict } from '../../../../engine/l7/h2/connection-preface.js'
import { h2HeaderFields, requestHeadFromH2 } from '../../../../engine/l7/h2/h2-heads.js'
import { responseHeadFromH2 } from '../../../../engine/l7/h2/h2-upstream.js'

describe('connection preface', () => {
  it.each([
    ['the whole preface', H2_PREFACE, 'h2'],
    ['the preface and a SETTINGS frame', Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]), 'h2'],
    ['a strict prefix', H2_PREFACE.subarray(0, 10), 'incomplete'],
    ['nothing yet', Buffer.alloc(0), 'incomplete'],
    ['an HTTP/1.1 GET', Buffer.from('GET / HTTP/1.1\r\n'), 'http1'],
    ['PUT (shares the first byte)', Buffer.from('PUT /x HTTP/1.1\r\n'), 'http1'],
    ['PRI with another version', Buffer.from('PRI * HTTP/1.1\r\n'), 'http1'],
  ] as const)('%s → %s', (_, buf, verdict) => {
    expect(prefaceVerdict(buf)).toBe(verdict)
  })
})

describe('HTTP/2 heads', () => {
  it('a request head: pseudo-headers out, :authority as Host, cookies joined, framing from Content-Length or END_STREAM', () => {
    const raw = [':method', 'POST', ':path', '/a?b=1', ':scheme', 'https', ':authority', 'x.test', 'cookie', 'a=1', 'cookie', 'b=2', 'content-length', '5', 'x-k', 'v']
    const h = requestHeadFromH2(raw, false)
    expect(h.method).toBe('POST')
    expect(h.target).toBe('/a?b=1')
    expect(h.host).toBe('x.test')
    expect(h.headers).toEqual([
      { name: 'host', value: 'x.test' },
      { name: 'content-length', value: '5' },
      { name: 'x-k', value: 'v' },
      { name: 'cookie', value: 'a=1; b=2' },
    ])
    expect(h.framing).toEqual({ kind: 'length', length: 5 })
    expect(requestHeadFromH2([':method', 'POST', ':path', '/'], false).framing.kind).toBe('chunked')
    expect(requestHeadFromH2([':method', 'GET', ':path', '/'], true).framing.kind).toBe('none')
  })

  it('response fields: lower case, connection-specific fields dropped, Set-Cookie repeated, single-value fields once', () => {
    const f = h2HeaderFields(200, [
      { name: 'Content-Type', value: 'text/plain' },
      { name: 'Connection', value: 'keep-alive' },
      { name: 'Keep-Alive', value: 'timeout=5' },
      { name: 'Transfer-Encoding', value: 'chunked' },
      { name: 'Set-Cookie', value: 'a=1' },
      { name: 'set-cookie', value: 'b=2' },
      { name: 'content-length', value: '3' },
      { name: 'Content-Length', value: '3' },
      { name: 'te', value: 'gzip' },
    ])
    expect(f).toEqual({ ':status': 200, 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'content-length': '3' })
  })

  it('an upstream response is chunked on the way down unless its headers ended the stream', () => {
    const open = responseHeadFromH2({ ':status': 200, 'content-length': '4', 'x-a': ['1', '2'] } as unknown as IncomingHttpHeaders, false)
    expect(open.framing.kind).toBe('chunked')
    expect(open.headers).toEqual([
      { name: 'x-a', value: '1' },
      { name: 'x-a', value: '2' },
      { name: 'transfer-encoding', value: 'chunked' },
    ])
    const only = responseHeadFromH2({ ':status': 200, 'grpc-status': '5' } as unknown as IncomingHttpHeaders, true)
    expect(only.framing.kind).toBe('none')
    expect(only.get('grpc-status')).toBe('5')
  })
})

describe('gRPC statuses', () => {
  it.each([
    [504, 'LB_ERR_UPSTREAM_TIMEOUT', 4],
    [503, 'LB_ERR_NO_HEALTHY_BACKEND', 14],
    [502, 'LB_ERR_UPSTREAM_CONNECT', 14],
    [404, 'LB_ERR_NO_ROUTE', 12],
    [429, undefined, 14],
    [401, undefined, 16],
    [403, undefined, 7],
    [400, 'HTTP_ERR_X', 13],
    [418, undefined, 2],
  ] as const)('HTTP %i (%s) → %i', (http, code, grpc) => {
    expect(grpcStatusOf(http, code)).toBe(grpc)
  })

  it.each([
    ['100m', 100],
    ['2S', 2000],
    ['1M', 60_000],
    ['1H', 3_600_000],
    ['5000u', 5],
    ['12345678n', 12.345678],
    ['123456789m', undefined],
    ['10', undefined],
    ['-1S', undefined],
  ] as const)('grpc-timeout %s → %s ms', (v, ms) => {
    expect(grpcTimeoutMs(v)).toBe(ms)
  })

  it('content types and messages', () => {
    expect(isGrpc('application/grpc')).toBe(true)
    expect(isGrpc('application/grpc+proto')).toBe(true)
    expect(isGrpc('application/grpc-web')).toBe(false)
    expect(isGrpc(undefined)).toBe(false)
    expect(grpcMessage('no backend: 100% é')).toBe('no backend: 100%25 %C3%A9')
  })
})
