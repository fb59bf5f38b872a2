import type { Socket } from 'node:net'
import type { ListenerCounters } from '../stats/counters.js'
import { countError } from '../stats/counters.js'
import { normalizeAddress } from './address.js'
import type { ClientOrigin } from './proxy-header.js'

/**
 * What every stream listener does with a new connection before its protocol starts: count it,
 * refuse it over the connection limit or while draining, account its bytes when it closes, and
 * say who it comes from. Returns the origin, or undefined when the connection was refused.
 */
export function acceptConnection(socket: Socket, counters: ListenerCounters, maxConnections: number, draining: boolean, open: Set<Socket>): ClientOrigin | undefined {
  counters.connectionsTotal++
  if (counters.connectionsActive >= maxConnections || draining) {
    counters.connectionsRejected++
    countError(counters, 'LB_ERR_CONNECTION_LIMIT')
    socket.destroy()
    return undefined
  }
  counters.connectionsActive++
  open.add(socket)
  counters.open.add(socket)
  // Errors surface as 'close'; without a listener an error would crash the process.
  socket.on('error', () => {})
  socket.once('close', () => {
    counters.connectionsActive--
    counters.bytesFromClients += socket.bytesRead
    counters.bytesToClients += socket.bytesWritten
    counters.open.delete(socket)
    open.delete(socket)
  })
  return {
    address: normalizeAddress(socket.remoteAddress),
    port: socket.remotePort ?? 0,
    localAddress: normalizeAddress(socket.localAddress),
    localPort: socket.localPort ?? 0,
  }
}
