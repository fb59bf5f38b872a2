import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { HttpHeader, RequestHead, ResponseHead } from '../http/http-head.js'
import type { ClientOrigin } from '../runtime/proxy-header.js'
import type { ResponseHeadOptions } from './codec.js'
import type { L7Settings } from './l7-settings.js'

/**
 * The client side of one request as its lifecycle sees it: where its bytes come from, how the
 * response goes back, and what it is told when the request is over. An HTTP/1.1 connection and one
 * HTTP/2 stream are both a downstream; the lifecycle depends on this, not on the wire protocol.
 */
export interface Downstream {
  /**
   * The client's bytes (a TCP or TLS socket, or one HTTP/2 stream): paused and resumed for
   * backpressure, corked around a head and its first body bytes, `destroyed` once gone.
   */
  readonly socket: Duplex
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
  /** An interim (1xx) response, if the client can take one. */
  sendInterim(request: RequestHead, head: ResponseHead): void
  /** The response head; false when the client cannot take more now ('drain' follows). */
  sendHead(request: RequestHead, status: number, reason: string, headers: HttpHeader[], options: ResponseHeadOptions): boolean
  /** Response body bytes, in the framing given to `sendHead`; false when the client cannot take more now. */
  sendBody(chunk: Buffer): boolean
  /** Trailer fields, given before the body's end, where the protocol carries them apart (HTTP/2); else they travel in the last chunk. */
  sendTrailers?(trailers: HttpHeader[]): void
  /** A complete response the balancer answers itself (`body` latin1). */
  sendAnswer(status: number, headers: HttpHeader[], body: string, keepAlive: boolean): void
  /** The balancer's own coded error answer, unfiltered (see `errorResponse`). */
  sendError(status: number, code: string, detail: string | undefined, keepAlive: boolean): void
  /** Ends the response abruptly (a response cut short): the connection, or only the stream. */
  cut(): void
}
