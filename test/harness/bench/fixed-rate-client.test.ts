import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { fixedRate } from '../../../harness/bench/dataplane/fixed-rate-client.js'

const OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
const servers: net.Server[] = []

/** A server answering every request head with `OK` (or a 503 every `failEvery`-th), counting requests per connection and when they arrived. */
async function fixedServer(failEvery = 0) {
  const perConnection: number[] = []
  const arrivals: bigint[] = []
  const server = net.createServer((socket) => {
    const id = perConnection.push(0) - 1
    let text = ''
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      let end: number
      while ((end = text.indexOf('\r\n\r\n')) >= 0) {
        text = text.slice(end + 4)
        perConnection[id]!++
        arrivals.push(process.hrtime.bigint())
        socket.write(failEvery > 0 && arrivals.length % failEvery === 0 ? 'HTTP/1.1 503 No\r\nContent-Length: 0\r\n\r\n' : OK)
      }
    })
    socket.on('error', () => socket.destroy())
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as net.AddressInfo).port, perConnection, arrivals }
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

describe('data-plane fixed-rate client', () => {
  it('sends every request on kept-alive connections, each connection taking turns, after all are open', async () => {
    const { port, perConnection, arrivals } = await fixedServer()
    let arrivedAtStart = -1
    const r = await fixedRate(port, {
      rate: 400,
      requests: 80,
      connections: 8,
      onStart: () => (arrivedAtStart = arrivals.length),
    })
    expect([r.requests, r.errors, r.latencyUs.count, r.sendLagUs.count]).toEqual([80, 0, 80, 80])
    expect(arrivedAtStart).toBe(0)
    // The connection idle longest goes next: every one of them carries requests.
    expect(perConnection).toHaveLength(8)
    expect(perConnection.every((n) => n > 0)).toBe(true)
    expect(perConnection.reduce((a, b) => a + b)).toBe(80)
  })

  it('never sends ahead of the schedule: request i arrives no earlier than i / rate after the start', async () => {
    const { port, arrivals } = await fixedServer()
    const rate = 200
    let start = 0n
    await fixedRate(port, { rate, requests: 30, connections: 4, onStart: () => (start = process.hrtime.bigint()) })
    expect(arrivals).toHaveLength(30)
    const early = arrivals.filter((at, i) => Number(at - start) < (i * 1e9) / rate)
    expect(early).toEqual([])
  })

  it('counts non-200 answers as errors', async () => {
    const { port } = await fixedServer(10)
    const r = await fixedRate(port, { rate: 500, requests: 50, connections: 2 })
    expect([r.requests, r.errors]).toEqual([50, 5])
  })

  it('fails the request in flight when its connection is cut, and goes on with the others', async () => {
    let n = 0
    const server = net.createServer((socket) => {
      const id = n++
      socket.on('data', () => (id === 0 ? socket.destroy() : socket.write(OK)))
      socket.on('error', () => {})
    })
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const r = await fixedRate((server.address() as net.AddressInfo).port, { rate: 500, requests: 20, connections: 2, timeoutMs: 10_000 })
    expect([r.requests, r.errors]).toEqual([19, 1])
  })
})
