import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { closedLoop } from '../../../harness/bench/dataplane/closed-loop-client.js'
import { closedPort } from '../../helpers/test-servers.js'

const OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
const servers: net.Server[] = []

/** A server answering every request head with `OK` (or a 503 every `failEvery`-th), counting connections and the Connection headers it saw. */
async function fixedServer(failEvery = 0) {
  const seen = { connections: 0, requests: 0, close: 0, bearer: 0 }
  const server = net.createServer((socket) => {
    seen.connections++
    let text = ''
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      let end: number
      while ((end = text.indexOf('\r\n\r\n')) >= 0) {
        const head = text.slice(0, end)
        text = text.slice(end + 4)
        seen.requests++
        if (/\r\nconnection: close/i.test(head)) seen.close++
        if (/\r\nauthorization: bearer t0k3n\r\n/i.test(head)) seen.bearer++
        socket.write(failEvery > 0 && seen.requests % failEvery === 0 ? 'HTTP/1.1 503 No\r\nContent-Length: 0\r\n\r\n' : OK)
      }
    })
    socket.on('error', () => socket.destroy())
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as net.AddressInfo).port, seen }
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

describe('data-plane closed-loop client', () => {
  it('keep-alive: every worker keeps one connection for all its requests', async () => {
    const { port, seen } = await fixedServer()
    const r = await closedLoop(port, 4, 400)
    expect([r.requests, r.errors]).toEqual([400, 0])
    expect(seen).toEqual({ connections: 4, requests: 400, close: 0, bearer: 0 })
    expect(r.latencyUs.count).toBe(400)
  })

  it('new connections: one connection per request, each asking to close', async () => {
    const { port, seen } = await fixedServer()
    const r = await closedLoop(port, 3, 90, { newConnections: true })
    expect([r.requests, r.errors]).toEqual([90, 0])
    expect(seen).toEqual({ connections: 90, requests: 90, close: 90, bearer: 0 })
  })

  it('extra header lines go on every request, either way', async () => {
    const { port, seen } = await fixedServer()
    await closedLoop(port, 2, 50, { headers: 'Authorization: Bearer t0k3n\r\n' })
    await closedLoop(port, 2, 10, { headers: 'Authorization: Bearer t0k3n\r\n', newConnections: true })
    expect(seen.bearer).toBe(60)
    expect(seen.requests).toBe(60)
  })

  it('counts non-200 answers as errors', async () => {
    const { port } = await fixedServer(10)
    const r = await closedLoop(port, 2, 100, { newConnections: true })
    expect([r.requests, r.errors]).toEqual([100, 10])
  })

  it('stops after as many attempts as requests when nothing listens, each counted as an error', async () => {
    const r = await closedLoop(await closedPort(), 2, 20, { newConnections: true, timeoutMs: 10_000 })
    expect([r.requests, r.errors]).toEqual([0, 20])
    expect(r.elapsedMs).toBeLessThan(10_000)
  })
})
