import type { Socket } from 'node:net'
import type { ListenerCounters } from '../stats/counters.js'
import { countError } from '../stats/counters.js'
import { normalizeAddress } from './address.js'
import type { ClientOrigin } from './proxy-header.js'

/**
 * What every stream listener does with a new connection before its protocol starts: count it,
 * refuse it over the connection limit or while draining, account its bytes when it closes, and
 * say who it comes from (read lazily). Returns the origin, or undefined when the connection was refused.
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
  return new SocketOrigin(socket)
}

/**
 * A connection's origin read from its socket when first asked: each of the socket's address
 * getters is a getpeername or getsockname system call, and a plain TCP relay (no PROXY header, no
 * source hash) never asks. Read before the socket closes (a closed socket has no addresses).
 */
class SocketOrigin implements ClientOrigin {
  private remote: { address: string; port: number } | undefined
  private local: { address: string; port: number } | undefined

  constructor(private readonly socket: Socket) {}

  private get peer() {
    return (this.remote ??= { address: normalizeAddress(this.socket.remoteAddress), port: this.socket.remotePort ?? 0 })
  }

  private get own() {
    return (this.local ??= { address: normalizeAddress(this.socket.localAddress), port: this.socket.localPort ?? 0 })
  }

  get address(): string {
    return this.peer.address
  }

  get port(): number {
    return this.peer.port
  }

  get localAddress(): string {
    return this.own.address
  }

  get localPort(): number {
    return this.own.port
  }
}
