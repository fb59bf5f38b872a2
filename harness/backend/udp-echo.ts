/**
 * UDP echo: every datagram is answered with `<id>:<datagram>` after the behaviour's latency.
 * There is no connection to reset, so a drawn error or reset drops the datagram unanswered.
 */
import dgram from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { PreciseTimer } from '../../engine/runtime/precise-timers.js'
import type { BackendState } from './backend-state.js'

/** A bound UDP socket. */
export interface UdpListener {
  readonly port: number
  close(): Promise<void>
}

/** Binds the echo socket on `host:port`. */
export function listenUdp(state: BackendState, host: string, port: number): Promise<UdpListener> {
  const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' })
  const prefix = Buffer.from(`${state.id}:`, 'latin1')
  const held = new Set<PreciseTimer>()
  let closed = false
  const reply = (msg: Buffer, address: string, port: number) => {
    if (!closed) socket.send(Buffer.concat([prefix, msg]), port, address)
  }
  socket.on('message', (msg, rinfo) => {
    state.served.udp.datagrams++
    state.see(false, rinfo.address, 'peer', rinfo.address)
    const { delayMs, outcome } = state.decide()
    if (outcome !== 'answer') return
    if (delayMs <= 0) return reply(msg, rinfo.address, rinfo.port)
    const hold = state.hold(delayMs, () => {
      held.delete(hold)
      reply(msg, rinfo.address, rinfo.port)
    })
    held.add(hold)
  })
  // A send to a closed port can surface as an error on the socket; the echo carries on.
  socket.on('error', () => {})
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', reject)
      resolve({
        port: socket.address().port,
        close: () =>
          new Promise<void>((done) => {
            closed = true
            for (const h of held) h.cancel()
            socket.close(() => done())
          }),
      })
    })
  })
}
