import type { Socket } from 'node:net'
import type { ClientOrigin } from '../runtime/proxy-header.js'
import type { L7Settings } from './l7-settings.js'

/**
 * The client connection as one request's lifecycle sees it: where its bytes come from and go, and
 * what it is told when the request is over. The lifecycle depends on this, not on the session.
 */
export interface Downstream {
  readonly socket: Socket
  readonly origin: ClientOrigin
  readonly s: L7Settings
  /** PROXY-protocol pools: connections carrying this client's PROXY header, private to it. */
  readonly privateUpstreams: Map<string, Socket>
  /** When the current request's head began: the accept for a connection's first request, its first byte for later ones. */
  readonly headStartedAt: number
  /** Chunks either way while the connection runs (the idle check). */
  activity: number
  /** Pauses reading while too many bytes wait behind the current request. */
  holdBack(buffered: number): void
  /** The request is over; `leftover`: client bytes received beyond it. */
  finished(keepAlive: boolean, leftover: Buffer | undefined): void
  /** Hands the connection to a byte tunnel (after a 101). */
  tunnel(upstream: Socket, onClose: () => void): void
}
