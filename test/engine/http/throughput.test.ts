import { describe, expect, it } from 'vitest'
import { ChunkedTracker } from '../../../engine/http/chunked.js'
import { parseRequestHead, parseResponseHead } from '../../../engine/http/http-parser.js'
import { requestHeadString } from '../../../engine/http/http-writer.js'
import { bytes } from './wire.js'

// Sanity under volume: many parses in a row (which is when the engine optimises and the scanner's
// reused offset buffer is exercised) must keep giving identical answers. Nothing here is timed.
describe('codec under volume', () => {
  const request =
    'GET /api/v1/items?page=2&limit=50 HTTP/1.1\r\nHost: backend.example.com:8080\r\n' +
    'User-Agent: loadgen/1.0\r\nAccept: application/json\r\nAccept-Encoding: gzip, deflate, br\r\n' +
    'Accept-Language: en-US,en;q=0.9\r\n' +
    'Connection: keep-alive\r\nCookie: session=abc123; theme=dark\r\nX-Request-Id: 7f3c9a2e-1b4d-4e8f\r\n\r\n'
  const response = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nServer: up\r\n\r\n{}'

  it('parses 20 000 pipelined requests from one buffer', () => {
    const count = 20_000
    const buf = bytes(request.repeat(count))
    let pos = 0
    let parsed = 0
    let hosts = 0
    while (pos < buf.length) {
      const result = parseRequestHead(buf, pos, buf.length)
      if (result.status !== 'complete') throw new Error(`request ${parsed}: ${JSON.stringify(result)}`)
      pos += result.head.headBytes
      parsed++
      if (result.head.host === 'backend.example.com:8080' && result.head.headers.length === 8) hosts++
    }
    expect([parsed, hosts, pos]).toEqual([count, count, buf.length])
  })

  it('alternates requests, responses and serialisation without cross-talk', () => {
    const req = bytes(request)
    const res = bytes(response)
    const wrong: string[] = []
    for (let i = 0; i < 5_000; i++) {
      const r = parseRequestHead(req, 0, req.length)
      const s = parseResponseHead(res, 0, res.length)
      if (r.status !== 'complete' || s.status !== 'complete') wrong.push(`round ${i}: ${r.status}/${s.status}`)
      else if (requestHeadString(r.head.method, r.head.target, r.head.headers) !== request) wrong.push(`round ${i}: writer`)
      else if (s.head.framing.kind !== 'length' || s.head.framing.length !== 2 || s.head.headers.length !== 3) wrong.push(`round ${i}: response`)
    }
    expect(wrong).toEqual([])
  })

  it('tracks a 4 MiB chunked body fed in 1 KiB reads', () => {
    const chunk = `4000\r\n${'z'.repeat(0x4000)}\r\n`
    const raw = bytes(`${chunk.repeat(256)}0\r\n\r\n`)
    const tracker = new ChunkedTracker()
    let end = -1
    for (let pos = 0; pos < raw.length && end === -1; pos += 1024) end = tracker.feed(raw, pos, Math.min(pos + 1024, raw.length))
    expect([end, tracker.bodyBytes, tracker.done]).toEqual([raw.length, 256 * 0x4000, true])
  })
})
