import http from 'node:http'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpErrors } from '../../engine/http/http-errors.js'
import { parseRequestHead, parseResponseHead } from '../../engine/http/http-parser.js'
import { byteRegressions, fuzzParams, fuzzTimeoutMs, mutated } from './fuzz-params.js'
import { startLlhttpServer, type LlhttpServer } from './llhttp-server.js'

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/)
const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/)
const framing = fc.oneof(
  fc.constant([] as [string, string][]),
  fc.nat({ max: 100_000 }).map((n) => [['Content-Length', String(n)]] as [string, string][]),
  fc.constant([['Transfer-Encoding', 'chunked']] as [string, string][]),
)

/** A valid request head: method, origin-form target, Host, a few fields, one framing. */
const validRequest = fc
  .record({
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), token.map((t) => t.toUpperCase())),
    target: fc.stringMatching(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,40}(\?[A-Za-z0-9=&]{0,20})?$/).filter((t) => !/%(?![0-9A-Fa-f]{2})/.test(t)),
    version: fc.constantFrom('1.1', '1.0'),
    fields: fc.array(fc.tuple(token.map((t) => `x-${t}`), fieldValue), { maxLength: 8 }),
    framing,
  })
  .map(({ method, target, version, fields, framing }) => {
    // RFC 9112 §6.1: a server rejects Transfer-Encoding in an HTTP/1.0 request, so that one is not valid.
    if (version === '1.0') framing = framing.filter(([n]) => n !== 'Transfer-Encoding')
    const lines = [`${method} ${target} HTTP/${version}`, 'Host: example.test', ...[...fields, ...framing].map(([n, v]) => `${n}: ${v}`)]
    return { bytes: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), method, target, fieldCount: lines.length - 1 }
  })

/** Near-valid heads: valid ones mutated, or with framing fields duplicated and mixed (smuggling shapes). */
const nearValid = fc.oneof(
  mutated(validRequest.map((r) => r.bytes)),
  fc.tuple(validRequest, fc.array(fc.constantFrom('Content-Length: 5', 'Content-Length: 6', 'Content-Length: 05', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: chunked, gzip', 'Transfer-Encoding : chunked', 'Content-Length: 5, 5', ' Content-Length: 5'), { minLength: 1, maxLength: 3 })).map(([r, extra]) => {
    const text = r.bytes.toString('latin1')
    return Buffer.from(`${text.slice(0, -2)}${extra.join('\r\n')}\r\n\r\n`, 'latin1')
  }),
)

const knownCodes = new Set(Object.keys(httpErrors))

/**
 * The one reasoned divergence from llhttp: Content-Length given several times with the same
 * decimal value (`5, 5`, two lines of 5, or 5 and 05). RFC 9110 §8.6 lets a recipient fold those
 * into one; the parser does (request-head.test.ts), llhttp refuses them. Any other acceptance
 * llhttp refuses is a finding.
 */
function foldsIdenticalContentLengths(headers: readonly { name: string; value: string }[]): boolean {
  const values = headers.filter((h) => h.name.toLowerCase() === 'content-length').flatMap((h) => h.value.split(',').map((v) => v.trim()))
  return values.length > 1 && values.every((v) => /^\d+$/.test(v) && Number(v) === Number(values[0]))
}

function checkShape(r: ReturnType<typeof parseRequestHead> | ReturnType<typeof parseResponseHead>): void {
  expect(['incomplete', 'complete', 'error']).toContain(r.status)
  if (r.status === 'error') expect(knownCodes.has(r.code), r.code).toBe(true)
}

describe('HTTP/1.1 head parser under fuzzing', () => {
  it('parses valid heads whole, and every shorter prefix is incomplete', () => {
    fc.assert(
      fc.property(validRequest, (r) => {
        const whole = parseRequestHead(r.bytes, 0, r.bytes.length)
        expect(whole.status).toBe('complete')
        if (whole.status !== 'complete') return
        expect(whole.head.method).toBe(r.method)
        expect(whole.head.target).toBe(r.target)
        expect(whole.head.headers.length).toBe(r.fieldCount)
        for (let cut = 0; cut < r.bytes.length; cut += 1 + (cut % 7)) expect(parseRequestHead(r.bytes, 0, cut).status, `prefix ${cut}`).toBe('incomplete')
      }),
      fuzzParams(),
    )
  }, fuzzTimeoutMs)

  it('never throws on near-valid or random bytes, only answers with a known code', () => {
    fc.assert(
      fc.property(fc.oneof(nearValid, fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))), (bytes) => {
        checkShape(parseRequestHead(bytes, 0, bytes.length))
        checkShape(parseResponseHead(bytes, 0, bytes.length))
        // The same bytes at an offset in a larger buffer parse the same way.
        const padded = Buffer.concat([Buffer.from('junk'), bytes, Buffer.from('more')])
        expect(parseRequestHead(padded, 4, 4 + bytes.length).status).toBe(parseRequestHead(bytes, 0, bytes.length).status)
      }),
      fuzzParams(1000, byteRegressions('http-head-bytes')),
    )
  }, fuzzTimeoutMs)

  describe('against Node’s llhttp', () => {
    let server: LlhttpServer
    beforeAll(async () => {
      server = await startLlhttpServer('head')
    })
    afterAll(() => server.close())

    /** What llhttp makes of the bytes: accepted (a request event), rejected (a client error), or neither in time. */
    const llhttp = async (bytes: Buffer) => (await server.judge(bytes)).kind

    it('never accepts a head that llhttp rejects', async () => {
      await fc.assert(
        fc.asyncProperty(nearValid, async (bytes) => {
          const ours = parseRequestHead(bytes, 0, bytes.length)
          // llhttp knows a fixed list of methods; an extension method is not a framing question.
          if (ours.status !== 'complete' || !http.METHODS.includes(ours.head.method)) return
          if (foldsIdenticalContentLengths(ours.head.headers)) return
          expect(await llhttp(bytes), JSON.stringify(bytes.toString('latin1'))).not.toBe('rejected')
        }),
        fuzzParams(80, byteRegressions('http-head-llhttp')),
      )
    }, fuzzTimeoutMs)
  })
})
