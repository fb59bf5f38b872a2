import net from 'node:net'
import tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { benchCertificate } from '../../../harness/bench/dataplane/bench-certificate.js'
import { closedLoop } from '../../../harness/bench/dataplane/closed-loop-client.js'
import { startFloorProxy } from '../../../harness/bench/dataplane/floor-proxy.js'

const servers: net.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A backend that records each request (head and body, framed by Content-Length) and answers with a body split over two writes. */
async function recordingBackend() {
  const requests: { head: string; body: string }[] = []
  const server = net.createServer((socket) => {
    let buf = ''
    let answered = Promise.resolve()
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1')
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buf.slice(0, end)
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
        if (buf.length < end + 4 + length) return
        requests.push({ head, body: buf.slice(end + 4, end + 4 + length) })
        buf = buf.slice(end + 4 + length)
        // Each response's body in two writes a loop turn apart, responses in order.
        answered = answered.then(
          () =>
            new Promise<void>((done) => {
              socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe')
              setTimeout(() => done(void socket.write('llo')), 2)
            }),
        )
      }
    })
    socket.on('error', () => socket.destroy())
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as net.AddressInfo).port, requests }
}

/** Sends `raw` on one connection and reads `responses` responses of 5-byte bodies back. */
function exchange(socket: net.Socket, raw: string[], responses: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    socket.on('data', (d) => {
      got += d.toString('latin1')
      if (got.split('hello').length - 1 === responses) resolve(got)
    })
    socket.on('error', reject)
    raw.forEach((part, i) => setTimeout(() => socket.write(part), i * 5))
  })
}

describe('the floor proxy (the least a Node HTTP proxy does)', () => {
  it('forwards heads with X-Forwarded-For and bodies by Content-Length, split anywhere, on one kept-alive backend connection', async () => {
    const backend = await recordingBackend()
    const floor = await startFloorProxy(0, backend.port)
    servers.push(floor)
    const socket = net.connect((floor.address() as net.AddressInfo).port, '127.0.0.1')
    const got = await exchange(socket, ['POST /a HTTP/1.1\r\nHost: x\r\nContent-Le', 'ngth: 4\r\n\r\nab', 'cdGET /b HTTP/1.1\r\nHost: x\r\n\r\n'], 2)
    socket.destroy()
    expect(got).toBe('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'.repeat(2))
    expect(backend.requests).toEqual([
      { head: 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nX-Forwarded-For: 127.0.0.1', body: 'abcd' },
      { head: 'GET /b HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.1', body: '' },
    ])
  })

  it('terminates TLS in front of the same relay', async () => {
    const backend = await recordingBackend()
    const floor = await startFloorProxy(0, backend.port, await benchCertificate('ecdsa-p256'))
    servers.push(floor)
    const port = (floor.address() as net.AddressInfo).port
    const r = await closedLoop(port, 2, 20, { tls: true })
    expect([r.requests, r.errors]).toEqual([20, 0])
    expect(backend.requests).toHaveLength(20)
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false })
    await new Promise((r) => socket.once('secureConnect', r))
    expect(socket.getPeerX509Certificate()?.subject).toBe('CN=bench.local')
    socket.destroy()
  })
})
