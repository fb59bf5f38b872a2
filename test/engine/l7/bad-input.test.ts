import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { destroyAgents, httpListener, keepAliveAgent, poolOf, RawClient, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

async function guarded(listener: Record<string, unknown> = {}) {
  const backend = await httpBackend('b1')
  const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], listener)], pools: { app: poolOf([backend]) } })
  return { backend, engine, address: listenerAddress(engine, 'web') }
}

const big = 'x'.repeat(3000)

/** Malformed heads: each must be answered with `status` (and `code`), then the connection closes. */
const badHeads: [string, string, number, string][] = [
  ['garbage request line', 'HELLO\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['double space in the request line', 'GET  / HTTP/1.1\r\nHost: t\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['request line without a version', 'GET /\r\nHost: t\r\n\r\n', 400, 'HTTP_ERR_BAD_REQUEST_LINE'],
  ['control byte in the target', 'GET /a\x01b HTTP/1.1\r\nHost: t\r\n\r\n', 400, 'HTTP_ERR_BAD_TARGET'],
  ['unsupported version', 'GET / HTTP/2.0\r\nHost: t\r\n\r\n', 505, 'HTTP_ERR_VERSION'],
  ['head over maxHeadBytes', `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${big}\r\n\r\n`, 431, 'HTTP_ERR_HEADERS_TOO_LARGE'],
  ['more header lines than maxHeaders', `GET / HTTP/1.1\r\nHost: t\r\n${Array.from({ length: 12 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, 431, 'HTTP_ERR_TOO_MANY_HEADERS'],
  ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'HTTP_ERR_CONFLICTING_FRAMING'],
  ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello', 400, 'HTTP_ERR_BAD_CONTENT_LENGTH'],
  ['Transfer-Encoding not ending in chunked', 'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'HTTP_ERR_BAD_TRANSFER_ENCODING'],
  ['an unknown transfer coding', 'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: x-magic, chunked\r\n\r\n0\r\n\r\n', 501, 'HTTP_ERR_UNSUPPORTED_TRANSFER_CODING'],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n  b\r\n\r\n', 400, 'HTTP_ERR_OBS_FOLD'],
  ['bare LF line ends', 'GET / HTTP/1.1\nHost: t\n\n', 400, 'HTTP_ERR_BARE_LF'],
  ['bare LF inside the head', 'GET / HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n', 400, 'HTTP_ERR_BARE_LF'],
  ['bare CR', 'GET / HTTP/1.1\r\nHost: t\rX-A: b\r\n\r\n', 400, 'HTTP_ERR_BARE_CR'],
  ['space before the colon', 'GET / HTTP/1.1\r\nHost: t\r\nX-A : b\r\n\r\n', 400, 'HTTP_ERR_BAD_HEADER'],
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n', 400, 'HTTP_ERR_MISSING_HOST'],
  ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'HTTP_ERR_DUPLICATE_HOST'],
  ['a Host with userinfo', 'GET / HTTP/1.1\r\nHost: user@evil.example\r\n\r\n', 400, 'HTTP_ERR_BAD_HOST'],
]

describe('malformed requests are refused before reaching a backend', () => {
  it.each(badHeads)('%s → %d, connection closed', async (_, bytes, status, code) => {
    const { backend, engine, address } = await guarded({ limits: { maxHeadBytes: 2048, maxHeaders: 8 } })
    const client = await RawClient.connect(address.port)
    client.write(bytes)
    await client.waitClosed(5000)
    const [r] = await client.responses(1)
    expect(r!.status).toBe(status)
    expect(r!.header('x-layerbench-error')).toBe(code)
    expect(r!.header('connection')).toBe('close')
    expect(r!.body.toString('utf8')).toContain(`(${code})`)
    expect(r!.body.length).toBe(Number(r!.header('content-length')))
    expect(backend.seen.requests).toBe(0)
    expect(backend.seen.connections).toBe(0)
    expect(engine.stats().listeners[0]!.errors[code]).toBe(1)
  })

  it('a head over the limit is refused without waiting for its end', async () => {
    const { address } = await guarded({ limits: { maxHeadBytes: 2048 } })
    const client = await RawClient.connect(address.port)
    // No terminating empty line: the balancer must not wait for one.
    client.write(`GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${big}`)
    await client.waitClosed(5000)
    const [r] = await client.responses(1)
    expect(r!.status).toBe(431)
  })

  it('a bad request after a good one on the same connection: the good one is answered, then 400 and close', async () => {
    const { backend, address } = await guarded()
    const client = await RawClient.connect(address.port)
    client.write('GET /ok HTTP/1.1\r\nHost: t\r\n\r\nGET /bad HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n')
    await client.waitClosed(5000)
    const [first, second] = await client.responses(2)
    expect(first!.status).toBe(200)
    expect(second!.status).toBe(400)
    expect(backend.seen.requests).toBe(1)
  })
})

describe('malformed chunked request bodies', () => {
  it.each([
    ['a non-hex chunk size', 'ZZ\r\nabc\r\n0\r\n\r\n'],
    ['chunk data longer than its size', '3\r\nabcdef\r\n0\r\n\r\n'],
    ['a bare LF after the size', '3\nabc\r\n0\r\n\r\n'],
    ['a size with a sign', '-3\r\nabc\r\n0\r\n\r\n'],
  ])('%s → 400 or a closed connection, never a hang', async (_, body) => {
    const { address } = await guarded()
    const client = await RawClient.connect(address.port)
    client.write(`POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${body}`)
    await client.waitClosed(5000)
    const text = client.received.toString('latin1')
    // The balancer answers 400 itself unless a backend response was already on its way.
    if (text.length > 0) expect(text).toMatch(/^HTTP\/1\.1 400 /)
    if (text.length > 0) expect(text).toContain('x-layerbench-error: HTTP_ERR_')
  })
})

describe('slow request heads', () => {
  it('a head trickling in slower than requestHeadMs → 408 LB_ERR_REQUEST_HEAD_TIMEOUT', async () => {
    const { backend, engine, address } = await guarded({ timeouts: { requestHeadMs: 300 } })
    const client = await RawClient.connect(address.port)
    const head = 'GET /slow HTTP/1.1\r\nHost: t\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n'
    let i = 0
    // One byte every 40 ms keeps the connection busy but never completes the head in time.
    const trickle = setInterval(() => {
      if (i < head.length && !client.ended) client.write(head[i++]!)
    }, 40)
    try {
      await client.waitClosed(10_000)
    } finally {
      clearInterval(trickle)
    }
    const [r] = await client.responses(1)
    expect(r!.status).toBe(408)
    expect(r!.header('x-layerbench-error')).toBe('LB_ERR_REQUEST_HEAD_TIMEOUT')
    expect(i).toBeLessThan(head.length)
    expect(backend.seen.requests).toBe(0)
    expect(engine.stats().listeners[0]!.errors.LB_ERR_REQUEST_HEAD_TIMEOUT).toBe(1)
  })

  it('a connection that never sends a byte is closed by the head deadline, not the idle timeout', async () => {
    const { backend, engine, address } = await guarded({ timeouts: { requestHeadMs: 300, idleMs: 600_000 } })
    const client = await RawClient.connect(address.port)
    await client.waitClosed(10_000)
    // Nothing was asked, so nothing is answered: the connection is counted and closed.
    expect(client.received.length).toBe(0)
    expect(backend.seen.connections).toBe(0)
    expect(engine.stats().listeners[0]!.errors.LB_ERR_REQUEST_HEAD_TIMEOUT).toBe(1)
  })

  it('the first head deadline counts from the accept: waiting past it before the first byte is too late', async () => {
    const { backend, address } = await guarded({ timeouts: { requestHeadMs: 300, idleMs: 600_000 } })
    const client = await RawClient.connect(address.port)
    // This timer is armed after the engine's (at its accept) and is longer, so it fires after it.
    await new Promise((r) => setTimeout(r, 450))
    if (!client.ended) client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    await client.waitClosed(10_000)
    expect(client.received.length).toBe(0)
    expect(backend.seen.requests).toBe(0)
  })

  it('a head sent byte by byte within the deadline is served', async () => {
    const { address } = await guarded({ timeouts: { requestHeadMs: 5000 } })
    const client = await RawClient.connect(address.port)
    for (const ch of 'GET /bytes HTTP/1.1\r\nHost: t\r\n\r\n') {
      client.write(ch)
      await new Promise((r) => setImmediate(r))
    }
    const [r] = await client.responses(1)
    expect(r!.status).toBe(200)
    expect((JSON.parse(r!.body.toString()) as { url: string }).url).toBe('/bytes')
    client.destroy()
  })

  it('the head timer restarts for the next request on a kept-alive connection', async () => {
    const { address } = await guarded({ timeouts: { requestHeadMs: 400 } })
    const client = await RawClient.connect(address.port)
    client.write('GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\n')
    await client.responses(1)
    // The second head is incomplete: it times out on its own.
    await client.waitClosed(10_000)
    const responses = await client.responses(2)
    expect(responses[0]!.status).toBe(200)
    expect(responses[1]!.status).toBe(408)
  })
})

describe('isolation', () => {
  it('each bad connection fails alone while a concurrent good client keeps being served', async () => {
    const { backend, address } = await guarded({ limits: { maxHeadBytes: 2048, maxHeaders: 8 }, timeouts: { requestHeadMs: 300 } })
    const agent = keepAliveAgent()
    const good = (async () => {
      const statuses: number[] = []
      for (let i = 0; i < 40; i++) {
        statuses.push((await send(address, `/good/${i}`, { agent })).status)
        await new Promise((r) => setTimeout(r, 5))
      }
      return statuses
    })()
    const bad = Promise.all(
      badHeads.map(async ([, bytes, status]) => {
        const client = await RawClient.connect(address.port)
        client.write(bytes)
        await client.waitClosed(5000)
        return [(await client.responses(1))[0]!.status, status]
      }),
    )
    const slow = (async () => {
      const client = await RawClient.connect(address.port)
      client.write('GET / HTTP/1.1\r\n')
      await client.waitClosed(10_000)
      return (await client.responses(1))[0]!.status
    })()
    const [statuses, badResults, slowStatus] = await Promise.all([good, bad, slow])
    expect(statuses).toEqual(Array(40).fill(200))
    for (const [got, want] of badResults) expect(got).toBe(want)
    expect(slowStatus).toBe(408)
    expect(backend.seen.requests).toBe(40)
  })
})
