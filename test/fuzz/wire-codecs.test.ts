import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChunkedTracker } from '../../engine/http/chunked.js'
import { ChunkedError } from '../../engine/http/http-errors.js'
import { encodeProxyV1, encodeProxyV2, parseProxyHeader, proxyErrors, type ProxyAddresses } from '../../engine/proxy-protocol/proxy-protocol.js'
import { clientHelloErrors, parseClientHello } from '../../engine/tls/client-hello.js'
import { alpnData, ext, handshake, records, reframe, sniData } from '../engine/tls/hello-fixtures.js'
import { byteRegressions, fromBase64, fuzzParams, fuzzTimeoutMs, mutated } from './fuzz-params.js'

/** Feeds `bytes` to a tracker in pieces cut at `cuts`; where the message ended, or the error. */
function track(bytes: Buffer, cuts: readonly number[]): { end: number } | { error: ChunkedError } | { incomplete: true } {
  const t = new ChunkedTracker()
  const bounds = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b)
  try {
    for (let i = 1; i < bounds.length; i++) {
      const end = t.feed(bytes, bounds[i - 1]!, bounds[i]!)
      if (end >= 0) return { end }
    }
  } catch (e) {
    if (e instanceof ChunkedError) return { error: e }
    throw e
  }
  return { incomplete: true }
}

const chunkedBody = fc
  .record({
    chunks: fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 6 }),
    ext: fc.constantFrom('', ';a', ';a=b', ';a="q\\"x"', ' ;a=1'),
    trailers: fc.array(fc.constantFrom('X-T: 1', 'Checksum: abc'), { maxLength: 2 }),
    upper: fc.boolean(),
  })
  .map(({ chunks, ext: e, trailers, upper }) => {
    const size = (n: number) => (upper ? n.toString(16).toUpperCase() : n.toString(16))
    const parts = chunks.flatMap((c) => [Buffer.from(`${size(c.length)}${e}\r\n`), Buffer.from(c), Buffer.from('\r\n')])
    const bytes = Buffer.concat([...parts, Buffer.from(`0\r\n${trailers.map((t) => `${t}\r\n`).join('')}\r\n`)])
    return { bytes, payload: chunks.reduce((n, c) => n + c.length, 0) }
  })

describe('chunked decoder under fuzzing', () => {
  it('finds the end of a valid body wherever it is split, and counts its payload', () => {
    fc.assert(
      fc.property(chunkedBody, fc.array(fc.nat(), { maxLength: 8 }), fc.uint8Array({ maxLength: 16 }), ({ bytes, payload }, cuts, next) => {
        // Bytes after the body belong to the next message.
        const stream = Buffer.concat([bytes, Buffer.from(next)])
        expect(track(stream, cuts)).toEqual({ end: bytes.length })
        const whole = new ChunkedTracker()
        expect(whole.feed(stream, 0, stream.length)).toBe(bytes.length)
        expect(whole.bodyBytes).toBe(payload)
      }),
      fuzzParams(),
    )
  }, fuzzTimeoutMs)

  it('on mutated bodies only ends, waits or throws a coded ChunkedError, the same however split', () => {
    fc.assert(
      fc.property(mutated(chunkedBody.map((b) => b.bytes)), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const split = track(bytes, cuts)
        const whole = track(bytes, [])
        if ('error' in whole) {
          expect('error' in split && split.error.code).toBe(whole.error.code)
        } else expect(split).toEqual(whole)
      }),
      fuzzParams(1000, { target: 'chunked-mutated', decode: (raw): [Buffer, number[]] => [fromBase64(raw), []] }),
    )
  }, fuzzTimeoutMs)
})

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
const ipv6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => {
  // RFC 5952 form, as the parser reports it: lower-case, no leading zeros, the longest run of two or more zero groups as ::.
  let best = [-1, 0]
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > best[1]! && j - i >= 2) best = [i, j - i]
    i = j === i ? i + 1 : j
  }
  const hex = g.map((x) => x.toString(16))
  if (best[0]! < 0) return hex.join(':')
  return `${hex.slice(0, best[0]).join(':')}::${hex.slice(best[0]! + best[1]!).join(':')}`
})
const port = fc.integer({ min: 0, max: 65_535 })
const addresses: fc.Arbitrary<ProxyAddresses> = fc.oneof(
  fc.record({ family: fc.constant('tcp4' as const), source: fc.record({ address: ipv4, port }), destination: fc.record({ address: ipv4, port }) }),
  fc.record({ family: fc.constant('tcp6' as const), source: fc.record({ address: ipv6, port }), destination: fc.record({ address: ipv6, port }) }),
)
const proxyHeaders = fc.oneof(
  addresses.map((a) => encodeProxyV1(a)),
  fc.tuple(addresses, fc.array(fc.record({ type: fc.integer({ min: 0xe0, max: 0xef }), value: fc.uint8Array({ maxLength: 20 }).map((v) => Buffer.from(v)) }), { maxLength: 3 })).map(([a, t]) => encodeProxyV2(a, t)),
)
const knownProxyCodes = new Set(Object.keys(proxyErrors))

describe('PROXY protocol parsers under fuzzing', () => {
  it('round-trips v1 and v2 headers, and every prefix is incomplete', () => {
    fc.assert(
      fc.property(addresses, fc.boolean(), fc.uint8Array({ maxLength: 16 }), (a, v2, rest) => {
        const header = v2 ? encodeProxyV2(a) : encodeProxyV1(a)
        const r = parseProxyHeader(Buffer.concat([header, Buffer.from(rest)]))
        expect(r).toMatchObject({ status: 'complete', header: { version: v2 ? 2 : 1, addresses: a, headerBytes: header.length } })
        for (let cut = 1; cut < header.length; cut++) expect(parseProxyHeader(header.subarray(0, cut)).status, `prefix ${cut}`).toBe('incomplete')
      }),
      fuzzParams(),
    )
  }, fuzzTimeoutMs)

  it('never throws on mutated headers; a rejection carries a known code', () => {
    fc.assert(
      fc.property(mutated(proxyHeaders), (bytes) => {
        const r = parseProxyHeader(bytes)
        expect(['incomplete', 'complete', 'invalid']).toContain(r.status)
        if (r.status === 'invalid') expect(knownProxyCodes.has(r.code), r.code).toBe(true)
        if (r.status === 'complete') expect(r.header.headerBytes).toBeLessThanOrEqual(bytes.length)
      }),
      fuzzParams(1000, byteRegressions('proxy-mutated')),
    )
  }, fuzzTimeoutMs)
})

const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
const hostName = fc.array(dnsLabel, { minLength: 1, maxLength: 4 }).map((l) => `${l.join('.')}.test`)
const hello = fc.record({ name: hostName, alpn: fc.array(fc.constantFrom('h2', 'http/1.1'), { maxLength: 2 }), cuts: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 3 }) }).map(({ name, alpn, cuts }) => {
  const extensions = Buffer.concat([ext(0, sniData(name)), ...(alpn.length > 0 ? [ext(16, alpnData(...alpn))] : [])])
  const single = records([handshake({ extensions })])
  const body = single.length - 5
  const inside = [...new Set(cuts.map((c) => c % body).filter((c) => c > 0))].sort((a, b) => a - b)
  return { name, alpn, bytes: inside.length > 0 ? reframe(single, inside) : single }
})
const knownHelloCodes = new Set(Object.keys(clientHelloErrors))

describe('ClientHello reader under fuzzing', () => {
  it('reads the server name and ALPN of a hello however it is split into records; every prefix is incomplete', () => {
    fc.assert(
      fc.property(hello, ({ name, alpn, bytes }) => {
        expect(parseClientHello(bytes)).toMatchObject({ status: 'complete', serverName: name, alpn, helloBytes: bytes.length })
        for (let cut = 0; cut < bytes.length; cut += 1 + (cut % 5)) expect(parseClientHello(bytes.subarray(0, cut)).status, `prefix ${cut}`).toBe('incomplete')
      }),
      fuzzParams(),
    )
  }, fuzzTimeoutMs)

  it('never throws on mutated hellos; a rejection carries a known code', () => {
    fc.assert(
      fc.property(mutated(hello.map((h) => h.bytes)), (bytes) => {
        const r = parseClientHello(bytes)
        expect(['incomplete', 'complete', 'invalid']).toContain(r.status)
        if (r.status === 'invalid') expect(knownHelloCodes.has(r.code), r.code).toBe(true)
        if (r.status === 'complete') expect(r.helloBytes).toBeLessThanOrEqual(bytes.length)
      }),
      fuzzParams(1000, byteRegressions('client-hello-mutated')),
    )
  }, fuzzTimeoutMs)
})
