import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../engine/balancing/random.js'
import { ChunkedTracker, type ChunkedLimits } from '../../../engine/http/chunked.js'
import { ChunkedError, type HttpErrorCode } from '../../../engine/http/http-errors.js'
import { bytes } from './wire.js'

/** Feeds `raw` in pieces ending at `cuts`; returns where the message ended (absolute index) or -1. */
function feedInPieces(raw: Buffer, cuts: readonly number[], limits?: ChunkedLimits): { end: number; tracker: ChunkedTracker } {
  const tracker = new ChunkedTracker(limits)
  let from = 0
  for (const to of [...cuts, raw.length]) {
    const end = tracker.feed(raw, from, to)
    if (end !== -1) return { end, tracker }
    from = to
  }
  return { end: -1, tracker }
}

const errorCode = (fn: () => unknown): HttpErrorCode | undefined => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ChunkedError) return err.code
    throw err
  }
  return undefined
}

const valid: [string, string, number][] = [
  ['one chunk', '5\r\nhello\r\n0\r\n\r\n', 5],
  ['no chunks', '0\r\n\r\n', 0],
  ['several chunks, hex sizes in either case', 'a\r\n0123456789\r\nA\r\nabcdefghij\r\n1\r\n!\r\n0\r\n\r\n', 21],
  ['leading zeros', '0005\r\nhello\r\n000\r\n\r\n', 5],
  ['CR and LF inside data are payload', '4\r\n\r\n\r\n\r\n0\r\n\r\n', 4],
  ['extensions', '5;name\r\nhello\r\n3;a=b;c="q;\\"x\\" y"\r\nabc\r\n0;last=1\r\n\r\n', 8],
  ['extensions with BWS', '5 ;  a = b\t; c\r\nhello\r\n0\r\n\r\n', 5],
  ['trailers', '2\r\nhi\r\n0\r\nExpires: never\r\nX-Sum:\r\nX-Obs: caf\xe9 \t\r\n\r\n', 2],
]

describe('ChunkedTracker: valid bodies', () => {
  it.each(valid)('%s: whole, then followed by the next message', (_name, raw, payload) => {
    const buf = bytes(`${raw}GET / HTTP/1.1\r\n`)
    const tracker = new ChunkedTracker()
    expect(tracker.feed(buf, 0, buf.length)).toBe(raw.length)
    expect([tracker.done, tracker.bodyBytes]).toEqual([true, payload])
  })

  it.each(valid)('%s: byte by byte', (_name, raw, payload) => {
    const buf = bytes(raw)
    const tracker = new ChunkedTracker()
    for (let i = 0; i < buf.length - 1; i++) {
      expect(tracker.feed(buf, i, i + 1)).toBe(-1)
      expect(tracker.done).toBe(false)
    }
    expect(tracker.feed(buf, buf.length - 1, buf.length)).toBe(buf.length)
    expect([tracker.done, tracker.bodyBytes]).toEqual([true, payload])
  })

  it.each(valid)('%s: split in two at every position', (_name, raw, payload) => {
    const buf = bytes(raw)
    for (let cut = 0; cut <= buf.length; cut++) {
      const { end, tracker } = feedInPieces(buf, [cut])
      expect(end).toBe(buf.length)
      expect(tracker.bodyBytes).toBe(payload)
    }
  })

  it.each(valid)('%s: 200 random splits', (_name, raw, payload) => {
    const buf = bytes(raw)
    const random = seededRandom(raw.length)
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * buf.length)).sort((a, b) => a - b)
      const { end, tracker } = feedInPieces(buf, cuts)
      expect(end).toBe(buf.length)
      expect(tracker.bodyBytes).toBe(payload)
    }
  })

  it('hands over the content, framing removed, however the bytes are cut', () => {
    const buf = bytes('5;ext=1\r\nhello\r\n1\r\n \r\nb\r\nworld again\r\n0\r\nx-trailer: t\r\n\r\n')
    const random = seededRandom(7)
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * buf.length)).sort((a, b) => a - b)
      const tracker = new ChunkedTracker()
      const content: Buffer[] = []
      let from = 0
      for (const to of [...cuts, buf.length]) {
        tracker.feed(buf, from, to, (c) => content.push(Buffer.from(c)))
        from = to
      }
      expect(Buffer.concat(content).toString()).toBe('hello world again')
    }
  })

  it('counts payload bytes as they arrive', () => {
    const buf = bytes('6\r\nabcdef\r\n0\r\n\r\n')
    const tracker = new ChunkedTracker()
    tracker.feed(buf, 0, 5)
    expect(tracker.bodyBytes).toBe(2)
    tracker.feed(buf, 5, 11)
    expect(tracker.bodyBytes).toBe(6)
  })

  it('accepts the largest chunk size, 2^53−1, and waits for its data', () => {
    const tracker = new ChunkedTracker()
    const buf = bytes('1fffffffffffff\r\nxyz')
    expect(tracker.feed(buf, 0, buf.length)).toBe(-1)
    expect(tracker.bodyBytes).toBe(3)
  })

  it('returns start once done and ignores empty regions before', () => {
    const buf = bytes('0\r\n\r\nnext')
    const tracker = new ChunkedTracker()
    expect(tracker.feed(buf, 0, 0)).toBe(-1)
    expect(tracker.feed(buf, 0, 5)).toBe(5)
    expect(tracker.feed(buf, 5, 9)).toBe(5)
  })
})

const invalid: [string, string, HttpErrorCode][] = [
  ['bare LF after the size', '5\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BARE_LF'],
  ['bare LF after the data', '5\r\nhello\n0\r\n\r\n', 'HTTP_ERR_BARE_LF'],
  ['bare LF after the last chunk', '0\n\r\n', 'HTTP_ERR_BARE_LF'],
  ['bare LF as the final line', '0\r\n\n', 'HTTP_ERR_BARE_LF'],
  ['bare LF inside an extension', '5;a\nb\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BARE_LF'],
  ['bare LF ending a trailer', '0\r\nX: y\n\r\n', 'HTTP_ERR_BARE_LF'],
  ['bare CR after the size', '5\rhello\r\n0\r\n\r\n', 'HTTP_ERR_BARE_CR'],
  ['bare CR after the data', '5\r\nhello\rX0\r\n\r\n', 'HTTP_ERR_BARE_CR'],
  ['bare CR as the final line', '0\r\n\rX', 'HTTP_ERR_BARE_CR'],
  ['data longer than its size', '3\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_END'],
  ['missing size', '\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_SIZE'],
  ['sign before the size', '+5\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_SIZE'],
  ['leading space', ' 5\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_SIZE'],
  ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_SIZE'],
  ['non-hex digit', '5g\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_SIZE'],
  ['size 2^53', '20000000000000\r\n', 'HTTP_ERR_CHUNK_SIZE_OVERFLOW'],
  ['size 2^64+5 (wraps to 5 in 64-bit parsers)', '10000000000000005\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_CHUNK_SIZE_OVERFLOW'],
  ['whitespace after the size without an extension', '5 \r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_EXTENSION'],
  ['empty extension name', '5;\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_EXTENSION'],
  ['extension with an empty value', '5;a=\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_EXTENSION'],
  ['extension with a control byte', '5;a=\x01\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_EXTENSION'],
  ['unterminated quoted extension', '5;a="x\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_EXTENSION'],
  ['text glued to a quoted value', '5;a="x"y\r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_EXTENSION'],
  ['whitespace at the end of an extension', '5;a=b \r\nhello\r\n0\r\n\r\n', 'HTTP_ERR_BAD_CHUNK_EXTENSION'],
  ['obs-fold in the trailers', '0\r\nX: a\r\n b\r\n\r\n', 'HTTP_ERR_OBS_FOLD'],
  ['space before a trailer colon', '0\r\nX : a\r\n\r\n', 'HTTP_ERR_BAD_TRAILER'],
  ['trailer without a colon', '0\r\nJunk\r\n\r\n', 'HTTP_ERR_BAD_TRAILER'],
  ['NUL in a trailer value', '0\r\nX: \x00\r\n\r\n', 'HTTP_ERR_BAD_TRAILER'],
]

describe('ChunkedTracker: invalid bodies', () => {
  it.each(invalid)('%s → %s, whole and byte by byte', (_name, raw, code) => {
    const buf = bytes(raw)
    expect(errorCode(() => new ChunkedTracker().feed(buf, 0, buf.length))).toBe(code)
    const tracker = new ChunkedTracker()
    expect(errorCode(() => {
      for (let i = 0; i < buf.length; i++) tracker.feed(buf, i, i + 1)
    })).toBe(code)
    expect(tracker.done).toBe(false)
  })

  it('keeps failing with the same error', () => {
    const tracker = new ChunkedTracker()
    const buf = bytes('zz\r\n')
    let first: unknown
    try {
      tracker.feed(buf, 0, buf.length)
    } catch (err) {
      first = err
    }
    expect(first).toBeInstanceOf(ChunkedError)
    expect(() => tracker.feed(bytes('0\r\n\r\n'), 0, 5)).toThrow(first as Error)
  })

  it('carries the status a server answers with', () => {
    const err = new ChunkedError('HTTP_ERR_BARE_LF')
    expect([err.httpStatus, err.name, err.message]).toEqual([400, 'ChunkedError', 'LF not preceded by CR'])
  })
})

describe('ChunkedTracker: limits', () => {
  it.each([
    ['size line at its limit', '5;abc\r\nhello\r\n0\r\n\r\n', { maxChunkSizeLine: 7 }, undefined],
    ['size line over its limit', '5;abcd\r\nhello\r\n0\r\n\r\n', { maxChunkSizeLine: 7 }, 'HTTP_ERR_CHUNK_LINE_TOO_LONG'],
    ['endless leading zeros', `${'0'.repeat(5000)}5\r\nhello\r\n0\r\n\r\n`, {}, 'HTTP_ERR_CHUNK_LINE_TOO_LONG'],
    ['the limit applies per line', '5;abc\r\nhello\r\n5;abc\r\nhello\r\n0;abcd\r\n\r\n', { maxChunkSizeLine: 8 }, undefined],
    ['trailers at their limit', '0\r\nX: y\r\n\r\n', { maxTrailerBytes: 8 }, undefined],
    ['trailers over their limit', '0\r\nX: yz\r\n\r\n', { maxTrailerBytes: 8 }, 'HTTP_ERR_TRAILERS_TOO_LARGE'],
    ['default trailer limit', `0\r\nX: ${'y'.repeat(16384)}\r\n\r\n`, {}, 'HTTP_ERR_TRAILERS_TOO_LARGE'],
  ] as const)('%s', (_name, raw, limits, code) => {
    const buf = bytes(raw)
    const tracker = new ChunkedTracker(limits)
    expect(errorCode(() => tracker.feed(buf, 0, buf.length))).toBe(code)
    expect(tracker.done).toBe(code === undefined)
  })
})
