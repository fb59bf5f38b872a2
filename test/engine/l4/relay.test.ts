import { once } from 'node:events'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { relay } from '../../../engine/l4/relay.js'
import { Sweeper, sweepInterval } from '../../../engine/runtime/sweeper.js'
import { closeServers, tcpServer } from '../../helpers/test-servers.js'
import { closed, connectPort, sleep } from './l4-support.js'

afterEach(async () => {
  await closeServers()
})

/**
 * Two socket pairs joined by `relay` the way the listener joins them: `client` ↔ `front` (the
 * accepted socket) and `back` ↔ `backend` (the upstream connection).
 */
async function relayedPair() {
  let front: net.Socket | undefined
  const frontServer = await tcpServer('front', (s) => (front = s), 0, { allowHalfOpen: true })
  let backend: net.Socket | undefined
  const backendServer = await tcpServer('backend', (s) => (backend = s), 0, { allowHalfOpen: true })
  const client = await connectPort(frontServer.port, { allowHalfOpen: true })
  const back = await connectPort(backendServer.port, { allowHalfOpen: true })
  await new Promise<void>((resolve) => {
    const check = () => (front !== undefined && backend !== undefined ? resolve() : setTimeout(check, 5))
    check()
  })
  return { client, front: front!, back, backend: backend! }
}

describe('relay', () => {
  it('still delivers what is queued towards one side after the other side closes cleanly', async () => {
    const { client, front, back, backend } = await relayedPair()
    client.pause()
    // Bytes already queued for the client, which is not reading: more than the kernel buffers take.
    const queued = Buffer.alloc(16 * 1024 * 1024, 0x61)
    front.write(queued)
    expect(front.writableLength).toBeGreaterThan(0)
    relay(front, back, { sweeper: new Sweeper(sweepInterval(30_000)), idleMs: 30_000 })

    // Both directions end cleanly at the backend's side: its socket in the relay closes.
    client.end()
    await once(backend, 'end')
    backend.end()
    await closed(back)
    await sleep(50)

    let bytes = 0
    client.on('data', (c: Buffer) => (bytes += c.length))
    const ended = once(client, 'end')
    client.resume()
    await ended
    expect(bytes).toBe(queued.length)
  })

  it('tears both sides down when one of them is reset', async () => {
    const { client, front, back, backend } = await relayedPair()
    relay(front, back, { sweeper: new Sweeper(sweepInterval(30_000)), idleMs: 30_000 })
    const clientEnded = once(client, 'end')
    backend.resetAndDestroy()
    await Promise.all([closed(front), closed(back), clientEnded])
    expect([front.destroyed, back.destroyed]).toEqual([true, true])
    client.destroy()
  })

  it('closes both sides after the idle timeout', async () => {
    const { client, front, back, backend } = await relayedPair()
    let onCloseCalls = 0
    relay(front, back, { sweeper: new Sweeper(sweepInterval(200)), idleMs: 200 }, () => onCloseCalls++)
    await Promise.all([once(client, 'end'), once(backend, 'end'), closed(front), closed(back)])
    expect(onCloseCalls).toBe(1)
    client.destroy()
  })
})
