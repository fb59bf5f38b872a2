import net, { type Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { acceptConnection } from '../../../engine/runtime/accept.js'
import type { ClientOrigin } from '../../../engine/runtime/proxy-header.js'
import { newListenerCounters } from '../../../engine/stats/counters.js'

const cleanup: (() => void)[] = []
afterEach(() => cleanup.splice(0).forEach((f) => f()))

/** One accepted connection, passed through acceptConnection, with the client's end. */
async function accepted(): Promise<{ socket: Socket; client: Socket; origin: ClientOrigin; counters: ReturnType<typeof newListenerCounters> }> {
  const counters = newListenerCounters()
  const open = new Set<Socket>()
  let resolve!: (v: { socket: Socket; origin: ClientOrigin }) => void
  const got = new Promise<{ socket: Socket; origin: ClientOrigin }>((r) => (resolve = r))
  const server = net.createServer((socket) => {
    const peer = vi.spyOn(socket as unknown as { _getpeername(): unknown }, '_getpeername')
    const own = vi.spyOn(socket as unknown as { _getsockname(): unknown }, '_getsockname')
    const origin = acceptConnection(socket, counters, 10, false, open)!
    // Nothing asked the kernel for addresses yet.
    expect([peer.mock.calls.length, own.mock.calls.length]).toEqual([0, 0])
    resolve({ socket, origin })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  cleanup.push(() => {
    client.destroy()
    server.close()
  })
  return { ...(await got), client, counters }
}

describe('acceptConnection', () => {
  it('counts the connection and gives its origin, read from the socket only when asked', async () => {
    const { origin, client, counters } = await accepted()
    if (client.connecting) await new Promise((r) => client.once('connect', r))
    expect(counters.connectionsActive).toBe(1)
    expect([origin.address, origin.port, origin.localAddress]).toEqual(['127.0.0.1', client.localPort, '127.0.0.1'])
    expect(origin.localPort).toBe(client.remotePort)
  })

  it('keeps the origin once read, after the connection closed', async () => {
    const { origin, socket, counters } = await accepted()
    const address = origin.address
    const port = origin.port
    socket.destroy()
    await new Promise((r) => socket.once('close', r))
    expect(counters.connectionsActive).toBe(0)
    expect([origin.address, origin.port]).toEqual([address, port])
  })
})
