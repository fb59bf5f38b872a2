import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { readJsonBody } from '../../../engine/runtime/read-json-body.js'

class Problem extends Error {
  constructor(readonly status: number) {
    super(String(status))
  }
}

const servers: http.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A server answering 200 with the JSON it read, or the status of the error the reader threw. */
async function echoServer(maxBytes: number): Promise<number> {
  const server = http.createServer((req, res) => {
    readJsonBody(req, maxBytes, { tooLarge: () => new Problem(413), badJson: () => new Problem(400) }).then(
      (value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value)),
      (e: unknown) => res.writeHead(e instanceof Problem ? e.status : 500).end(),
    )
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as AddressInfo).port
}

async function post(port: number, body: string | Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body })
  return { status: res.status, text: await res.text() }
}

describe('readJsonBody', () => {
  it('reads JSON, and an empty body as {}', async () => {
    const port = await echoServer(1024)
    expect(await post(port, '{"weight": 3, "ids": ["a"]}')).toEqual({ status: 200, text: '{"weight":3,"ids":["a"]}' })
    expect(await post(port, '  \n')).toEqual({ status: 200, text: '{}' })
  })

  it('rejects what does not parse with badJson', async () => {
    const port = await echoServer(1024)
    expect((await post(port, '{"weight": ')).status).toBe(400)
  })

  it('rejects a body over the limit with tooLarge, read to its end so the answer arrives', async () => {
    const port = await echoServer(1024)
    expect((await post(port, Buffer.alloc(1025, 0x20))).status).toBe(413)
    // Far over the limit, in many chunks: still an answer, not a reset.
    expect((await post(port, Buffer.alloc(4 << 20, 0x20))).status).toBe(413)
    expect((await post(port, Buffer.alloc(1024, 0x20))).status).toBe(200)
  })
})
