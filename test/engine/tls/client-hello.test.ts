import { beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionOptions } from 'node:tls'
import { seededRandom } from '../../../engine/balancing/random.js'
import { clientHelloErrors, parseClientHello, type ClientHelloResult } from '../../../engine/tls/client-hello.js'
import { alpnData, captureClientHello, ext, handshake, records, reframe, sniData, vec } from './hello-fixtures.js'

const real: Record<string, { options: ConnectionOptions; serverName?: string; alpn: string[] }> = {
  'SNI and ALPN': { options: { servername: 'api.example.test', ALPNProtocols: ['h2', 'http/1.1'] }, serverName: 'api.example.test', alpn: ['h2', 'http/1.1'] },
  'an IP address, no SNI': { options: {}, alpn: [] },
  'mixed case with a trailing dot': { options: { servername: 'API.Example.TEST.' }, serverName: 'api.example.test', alpn: [] },
  'TLS 1.2 at most': {
    options: { servername: 'legacy.example.test', maxVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] },
    serverName: 'legacy.example.test',
    alpn: ['http/1.1'],
  },
  'a long ALPN list': {
    options: { servername: 'grpc.example.test', ALPNProtocols: ['grpc-exp', 'h2', 'http/1.1', 'x'.repeat(200)] },
    serverName: 'grpc.example.test',
    alpn: ['grpc-exp', 'h2', 'http/1.1', 'x'.repeat(200)],
  },
}
const names = Object.keys(real)
const hellos = new Map<string, Buffer>()

beforeAll(async () => {
  for (const name of names) hellos.set(name, await captureClientHello(real[name]!.options))
})

function captured(name: string): Buffer {
  const hello = hellos.get(name)
  if (hello === undefined) throw new Error(`no capture for ${name}`)
  return hello
}

function expected(name: string, helloBytes: number): ClientHelloResult {
  const { serverName, alpn } = real[name]!
  return { status: 'complete', ...(serverName === undefined ? {} : { serverName }), alpn, helloBytes }
}

const isResult = (r: ClientHelloResult): boolean =>
  r.status === 'incomplete' || (r.status === 'invalid' && r.code in clientHelloErrors) || r.status === 'complete'

describe('ClientHellos from node:tls', () => {
  it.each(names)('%s: parsed completely', (name) => {
    const hello = captured(name)
    expect(parseClientHello(hello)).toEqual(expected(name, hello.length))
  })

  it.each(names)('%s: every proper prefix is incomplete', (name) => {
    const hello = captured(name)
    for (let n = 0; n < hello.length; n++) expect(parseClientHello(hello.subarray(0, n)), `${n} bytes`).toEqual({ status: 'incomplete' })
  })

  it.each(names)('%s: bytes after the hello are left alone', (name) => {
    const hello = captured(name)
    const changeCipherSpec = Buffer.from([0x14, 0x03, 0x03, 0x00, 0x01, 0x01])
    const earlyData = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x03, 1, 2, 3])
    expect(parseClientHello(Buffer.concat([hello, changeCipherSpec, earlyData]))).toEqual(expected(name, hello.length))
    expect(parseClientHello(Buffer.concat([hello, Buffer.from('GET / HTTP/1.1\r\n')]))).toEqual(expected(name, hello.length))
  })

  it.each(names)('%s: split across two records at every point', (name) => {
    const hello = captured(name)
    for (let cut = 1; cut < hello.length - 5; cut++) {
      const split = reframe(hello, [cut])
      expect(split.length).toBe(hello.length + 5)
      expect(parseClientHello(split), `cut at ${cut}`).toEqual(expected(name, split.length))
    }
  })

  it.each(names)('%s: split into records of one to three bytes, and every prefix of that', (name) => {
    const hello = captured(name)
    const cuts: number[] = []
    for (let at = 1, step = 1; at < hello.length - 5; at += step, step = (step % 3) + 1) cuts.push(at)
    const split = reframe(hello, cuts)
    expect(parseClientHello(split)).toEqual(expected(name, split.length))
    for (let n = 0; n < split.length; n++) expect(parseClientHello(split.subarray(0, n)).status, `${n} bytes`).toBe('incomplete')
  })

  it.each(names)('%s: maxBytes is honoured', (name) => {
    const hello = captured(name)
    expect(parseClientHello(hello, { maxBytes: hello.length })).toEqual(expected(name, hello.length))
    expect(parseClientHello(hello, { maxBytes: hello.length - 1 })).toMatchObject({ status: 'invalid', code: 'TLS_ERR_TOO_LARGE' })
    // Known from the record header alone, before the hello arrives.
    expect(parseClientHello(hello.subarray(0, 5), { maxBytes: hello.length - 1 })).toMatchObject({ status: 'invalid', code: 'TLS_ERR_TOO_LARGE' })
    const split = reframe(hello, [40])
    expect(parseClientHello(split, { maxBytes: split.length - 1 })).toMatchObject({ status: 'invalid', code: 'TLS_ERR_TOO_LARGE' })
  })

  it.each(names)('%s: single-byte mutations never throw', (name) => {
    const hello = captured(name)
    const random = seededRandom(1234)
    for (let at = 0; at < hello.length; at++) {
      for (let k = 0; k < 6; k++) {
        const mutated = Buffer.from(hello)
        mutated[at] = k === 0 ? mutated[at]! ^ 0xff : Math.floor(random() * 256)
        const result = parseClientHello(mutated)
        expect(isResult(result)).toBe(true)
        if (result.status === 'complete') {
          expect(result.helloBytes).toBeLessThanOrEqual(mutated.length)
          if (result.serverName !== undefined) expect(result.serverName).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/)
        }
      }
    }
  })
})

describe('hand-built ClientHellos', () => {
  const one = (hs: Buffer): Buffer => records([hs])
  const valid: [string, Buffer, Partial<ClientHelloResult> & Record<string, unknown>][] = [
    ['no extensions block at all', one(handshake({ extensions: null })), { status: 'complete', alpn: [] }],
    ['an empty extensions block', one(handshake({ extensions: Buffer.alloc(0) })), { status: 'complete', alpn: [] }],
    ['an empty session id', one(handshake({ sessionId: vec(1) })), { status: 'complete', serverName: 'example.com' }],
    ['SSL 3.0 record and hello versions', records([handshake({ version: 0x0300 })], { version: 0x0300 }), { status: 'complete', serverName: 'example.com' }],
    ['an unknown name type before host_name', one(handshake({ extensions: ext(0, sniData([7, 'opaque\0bytes'], 'b.example')) })), { status: 'complete', serverName: 'b.example' }],
    ['only unknown name types', one(handshake({ extensions: ext(0, sniData([1, 'x'])) })), { status: 'complete', alpn: [] }],
    ['a 253-character name', one(handshake({ extensions: ext(0, sniData(`${'a'.repeat(63)}.`.repeat(3) + 'b'.repeat(61))) })), { status: 'complete' }],
    ['a 63-character label', one(handshake({ extensions: ext(0, sniData(`${'z'.repeat(63)}.test`)) })), { status: 'complete', serverName: `${'z'.repeat(63)}.test` }],
    ['ALPN before SNI', one(handshake({ extensions: Buffer.concat([ext(16, alpnData('h2')), ext(0, sniData('x.test'))]) })), { status: 'complete', serverName: 'x.test', alpn: ['h2'] }],
    ['unknown extensions around SNI', one(handshake({ extensions: Buffer.concat([ext(0xfe0d, [1, 2, 3]), ext(0, sniData('x.test')), ext(21, Buffer.alloc(200))]) })), { status: 'complete', serverName: 'x.test' }],
    ['a second handshake message in the same record', one(Buffer.concat([handshake(), Buffer.from([0x0f, 0, 0, 1, 0])])), { status: 'complete', serverName: 'example.com' }],
  ]
  it.each(valid)('accepts %s', (_, bytes, result) => {
    expect(parseClientHello(bytes)).toMatchObject({ ...result, ...(result.status === 'complete' ? { helloBytes: bytes.length } : {}) })
  })

  const sni = (...names: Parameters<typeof sniData>): Buffer => handshake({ extensions: ext(0, sniData(...names)) })
  const helloWith = (extensions: Buffer): Buffer => one(handshake({ extensions }))
  // [what, input, code, the shortest prefix already rejected (undefined: only the whole input)]
  const rejected: [string, Buffer, keyof typeof clientHelloErrors, number?][] = [
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: api.example.test\r\n\r\n'), 'TLS_ERR_NOT_HANDSHAKE', 1],
    ['an SSLv2-framed hello', Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01]), 'TLS_ERR_NOT_HANDSHAKE', 1],
    ['an application-data record first', records([handshake()], { type: 23 }), 'TLS_ERR_NOT_HANDSHAKE', 1],
    ['record version major 2', records([handshake()], { version: 0x0203 }), 'TLS_ERR_BAD_RECORD', 2],
    ['record version 0x0305', records([handshake()], { version: 0x0305 }), 'TLS_ERR_BAD_RECORD', 3],
    ['an empty record', Buffer.concat([records([Buffer.alloc(0)]), one(handshake())]), 'TLS_ERR_BAD_RECORD', 5],
    ['a record over 2^14 + 2048 bytes', Buffer.from([0x16, 0x03, 0x01, 0x48, 0x01]), 'TLS_ERR_BAD_RECORD', 5],
    ['an alert between hello fragments', Buffer.concat([records([handshake().subarray(0, 20)]), records([Buffer.from([2, 40])], { type: 21 }), records([handshake().subarray(20)])]), 'TLS_ERR_BAD_RECORD', 26],
    ['a ServerHello', one(handshake({ type: 2 })), 'TLS_ERR_NOT_CLIENT_HELLO', 6],
    ['a hello declared larger than maxBytes', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00]), 'TLS_ERR_TOO_LARGE', 9],
    ['a zero-length hello', one(Buffer.from([1, 0, 0, 0])), 'TLS_ERR_MALFORMED'],
    ['legacy_version 0x0200', one(handshake({ version: 0x0200 })), 'TLS_ERR_MALFORMED', 11],
    ['a 33-byte session id', one(handshake({ sessionId: vec(1, Buffer.alloc(33)) })), 'TLS_ERR_MALFORMED', 44],
    ['an odd cipher_suites length', one(handshake({ cipherSuites: vec(2, [0x13, 0x01, 0x13]) })), 'TLS_ERR_MALFORMED', 78],
    ['no cipher suites', one(handshake({ cipherSuites: vec(2) })), 'TLS_ERR_MALFORMED', 78],
    ['no compression methods', one(handshake({ compression: vec(1) })), 'TLS_ERR_MALFORMED', 83],
    ['cipher_suites overrunning the hello', one(handshake({ cipherSuites: Buffer.from([0x7f, 0xfe]), compression: Buffer.alloc(0), extensions: null })), 'TLS_ERR_MALFORMED', 78],
    ['an extensions length overrunning the hello', one(handshake({ extensions: null, trailer: Buffer.from([0x00, 0x10, 0, 0]) })), 'TLS_ERR_MALFORMED', 86],
    ['bytes after the extensions', one(handshake({ trailer: Buffer.from([0]) })), 'TLS_ERR_MALFORMED', 86],
    ['a lone byte where extensions should be', one(handshake({ extensions: null, trailer: Buffer.from([0]) })), 'TLS_ERR_MALFORMED'],
    ['an extension overrunning the block', helloWith(Buffer.from([0x00, 0x00, 0x00, 0x09, 0x00])), 'TLS_ERR_MALFORMED', 90],
    ['a half extension header', helloWith(Buffer.from([0x00])), 'TLS_ERR_MALFORMED'],
    ['SNI twice', helloWith(Buffer.concat([ext(0, sniData('a.test')), ext(0, sniData('b.test'))])), 'TLS_ERR_MALFORMED'],
    ['an empty server_name extension', helloWith(ext(0, [])), 'TLS_ERR_MALFORMED'],
    ['an empty server_name_list', helloWith(ext(0, vec(2))), 'TLS_ERR_MALFORMED'],
    ['a server_name_list overrunning its extension', helloWith(ext(0, [0x00, 0x20, 0x00, 0x00, 0x01, 0x61])), 'TLS_ERR_MALFORMED'],
    ['bytes after the server_name_list', helloWith(ext(0, Buffer.concat([sniData('a.test'), Buffer.from([0])]))), 'TLS_ERR_MALFORMED'],
    ['a host_name overrunning the list', helloWith(ext(0, vec(2, [0x00, 0x00, 0x09, 0x61]))), 'TLS_ERR_MALFORMED'],
    ['two host_names', one(sni('a.test', 'b.test')), 'TLS_ERR_MALFORMED'],
    ['an empty host_name', one(sni('')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a lone dot', one(sni('.')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['an underscore', one(sni('bad_name.example')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['an empty label', one(sni('a..b')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a leading dot', one(sni('.a.b')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['two trailing dots', one(sni('a.b..')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a 64-character label', one(sni(`${'a'.repeat(64)}.test`)), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a 254-character name', one(sni(`${'a'.repeat(63)}.`.repeat(3) + 'b'.repeat(62))), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a NUL byte', one(sni('good.example\0.evil.test')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a space', one(sni('a b.test')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a non-ASCII byte', one(sni('caf\u00e9.test')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['a wildcard', one(sni('*.example.test')), 'TLS_ERR_BAD_SERVER_NAME'],
    ['an empty ALPN list', helloWith(ext(16, vec(2))), 'TLS_ERR_MALFORMED'],
    ['an empty ALPN protocol name', helloWith(ext(16, alpnData('h2', ''))), 'TLS_ERR_MALFORMED'],
    ['an ALPN name overrunning the list', helloWith(ext(16, vec(2, [0x05, 0x68, 0x32]))), 'TLS_ERR_MALFORMED'],
    ['bytes after the ALPN list', helloWith(ext(16, Buffer.concat([alpnData('h2'), Buffer.from([0])]))), 'TLS_ERR_MALFORMED'],
  ]

  it.each(rejected.map(([what, input, code, at]) => [what, code, at, input] as const))('rejects %s with %s (from byte %s on)', (_, code, detectedAt, input) => {
    const limits = code === 'TLS_ERR_TOO_LARGE' ? { maxBytes: 64 } : {}
    expect(parseClientHello(input, limits)).toMatchObject({ status: 'invalid', code })
    if (detectedAt === undefined) return
    expect(parseClientHello(input.subarray(0, detectedAt), limits)).toMatchObject({ status: 'invalid', code })
    expect(parseClientHello(input.subarray(0, detectedAt - 1), limits)).toEqual({ status: 'incomplete' })
  })

  it('every rejection carries a documented code and a reason', () => {
    for (const [, input] of rejected) {
      const result = parseClientHello(input, { maxBytes: 64 })
      if (result.status !== 'invalid') continue
      expect(clientHelloErrors[result.code]).toBeTypeOf('string')
      expect(result.reason.length).toBeGreaterThan(0)
    }
  })
})

describe('garbage', () => {
  it('random bytes, with and without a handshake record header in front, never throw', () => {
    const random = seededRandom(99)
    const prefixes = [Buffer.alloc(0), Buffer.from([0x16]), Buffer.from([0x16, 0x03, 0x01]), Buffer.from([0x16, 0x03, 0x03, 0x01, 0x00, 0x01, 0x00, 0x00, 0xfc, 0x03, 0x03])]
    for (let n = 0; n < 4000; n++) {
      const noise = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)))
      const input = Buffer.concat([prefixes[n % prefixes.length]!, noise])
      const result = parseClientHello(input)
      expect(isResult(result)).toBe(true)
      if (input.length > 0 && input[0] !== 0x16) expect(result).toMatchObject({ status: 'invalid', code: 'TLS_ERR_NOT_HANDSHAKE' })
    }
  })

  it.each([
    ['an empty buffer', Buffer.alloc(0), 'incomplete'],
    ['HTTP/1.1', Buffer.from('POST /api HTTP/1.1\r\n'), 'invalid'],
    ['the HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 'invalid'],
    ['a PROXY v1 header', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'invalid'],
    ['a record header promising 16 KiB', Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00, 0x01]), 'incomplete'],
    ['a hello length of 2^24 - 1', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff]), 'invalid'],
    ['all 0xff after a header', Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00]), Buffer.alloc(256, 0xff)]), 'invalid'],
    ['all zeros after a header', Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00]), Buffer.alloc(256)]), 'invalid'],
  ])('%s → %s', (_, input, status) => {
    expect(parseClientHello(input).status).toBe(status)
  })
})
