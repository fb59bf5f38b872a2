import type { Socket } from 'node:net'
import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import { ChunkedTracker } from '../../http/chunked.js'
import { headerValue, type HttpHeader, type RequestHead, type ResponseHead } from '../../http/http-head.js'
import type { ClientOrigin } from '../../runtime/proxy-header.js'
import type { ResponseHeadOptions } from '../codec.js'
import type { Downstream } from '../downstream.js'
import { ERROR_CODE_HEADER, errorAnswer } from '../error-response.js'
import { grpcMessage, grpcStatusOf, isGrpc } from './grpc-status.js'
import type { L7Settings } from '../l7-settings.js'
import { http1Codec } from '../http1/http1-codec.js'
import { RequestLifecycle } from '../request-lifecycle.js'
import { h2HeaderFields } from './h2-heads.js'

/** What a stream needs of the connection it runs on. */
export interface H2StreamHost {
  readonly origin: ClientOrigin
  readonly s: L7Settings
  readonly privateUpstreams: Map<string, Socket>
  activity: number
  /** The stream is over (answered, cut or reset); `byClient`: the client reset it before its answer was complete. */
  streamClosed(stream: H2StreamDownstream, byClient: boolean): void
}

const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1')

/**
 * One HTTP/2 stream as the request lifecycle's downstream: DATA from the client goes in as the
 * body the head announced (Content-Length, or chunks this class frames), the response goes back as
 * HEADERS and DATA (a chunked upstream body decoded on the way). Flow control is the stream's own:
 * a write the client's window cannot take returns false and the upstream pauses until 'drain', so
 * a slow reader holds back its own stream only. A cut is a RST_STREAM, not a closed connection.
 */
export class H2StreamDownstream implements Downstream {
  readonly socket: ServerHttp2Stream
  private readonly exchange: RequestLifecycle
  /** The request body is framed here as chunks (no Content-Length on the stream). */
  private readonly chunked: boolean
  /** Request body bytes still owed by a Content-Length (−1 when none was given). */
  private owed: number
  /** Decodes a chunked upstream body into DATA. */
  private dechunk: ChunkedTracker | undefined
  /** The response was ended (or the stream reset) by the balancer. */
  private ended = false
  private readonly request: RequestHead
  /** A gRPC call: the balancer's own answers go as gRPC statuses. */
  private readonly grpc: boolean
  /** Trailers to send when the body is over (the response was sent waiting for them). */
  private trailers: OutgoingHttpHeaders | undefined
  /** The stream's HEADERS arrived complete: its head was read at once (the access log's head time is 0). */
  readonly headStartedAt: number

  constructor(
    private readonly host: H2StreamHost,
    stream: ServerHttp2Stream,
    head: RequestHead,
  ) {
    this.socket = stream
    this.request = head
    this.grpc = isGrpc(head.get('content-type'))
    this.chunked = head.framing.kind === 'chunked'
    this.owed = head.framing.kind === 'length' ? head.framing.length : -1
    const now = performance.now()
    this.headStartedAt = now
    this.exchange = new RequestLifecycle(this, head, now, http1Codec)
    stream.on('data', this.onData)
    stream.once('end', this.onEnd)
    stream.on('drain', () => this.exchange.onClientDrain())
    stream.on('error', () => {})
    stream.once('close', this.onClose)
    this.exchange.start(undefined)
  }

  get origin(): ClientOrigin {
    return this.host.origin
  }

  get s(): L7Settings {
    return this.host.s
  }

  get privateUpstreams(): Map<string, Socket> {
    return this.host.privateUpstreams
  }

  get activity(): number {
    return this.host.activity
  }

  set activity(n: number) {
    this.host.activity = n
  }

  /** The lifecycle's deadlines (response timeout, upstream idleness). */
  sweep(nowMs: number): void {
    this.exchange.sweep(nowMs)
  }

  private readonly onData = (chunk: Buffer): void => {
    this.host.activity++
    if (chunk.length === 0) return
    if (this.owed >= 0) this.owed -= chunk.length
    // A zero-size chunk would end the body: empty DATA frames were skipped above.
    this.exchange.onClientData(this.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF]) : chunk)
  }

  private readonly onEnd = (): void => {
    if (this.chunked) this.exchange.onClientData(LAST_CHUNK)
    // Fewer bytes than Content-Length said: malformed (RFC 9113 §8.1.1); the stream is reset.
    else if (this.owed > 0) this.cut(constants.NGHTTP2_PROTOCOL_ERROR)
  }

  private readonly onClose = (): void => {
    const byClient = !this.ended
    if (byClient) this.exchange.abort()
    this.host.streamClosed(this, byClient)
  }

  holdBack(): void {
    // Streams carry one request each: nothing waits behind it on this stream.
  }

  finished(): void {
    if (!this.ended) {
      this.ended = true
      if (!this.socket.destroyed) this.socket.end()
    }
  }

  tunnel(upstream: Socket, onClose: () => void): void {
    // HTTP/2 requests carry no Upgrade (the lifecycle refuses a 101 without one): never reached.
    upstream.destroy()
    onClose()
    this.cut()
  }

  sendInterim(_request: RequestHead, head: ResponseHead): void {
    if (this.socket.destroyed || this.socket.headersSent) return
    try {
      this.socket.additionalHeaders(h2HeaderFields(head.status, http1Codec.forwardResponseHeaders(head)))
    } catch {
      // An interim response the stream cannot take is dropped: the final one follows.
    }
  }

  sendHead(_request: RequestHead, status: number, _reason: string, headers: HttpHeader[], options: ResponseHeadOptions): boolean {
    this.dechunk = options.framing.kind === 'chunked' ? new ChunkedTracker({ maxTrailerBytes: this.s.limits.maxHeadBytes }) : undefined
    const stream = this.socket
    if (stream.destroyed) return true
    // No body: the head ends the stream (a gRPC Trailers-Only answer must stay one HEADERS frame).
    const endStream = options.framing.kind === 'none'
    // Trailers may follow a body when the client asked for them or the response announces them.
    const waitForTrailers = !endStream && (this.grpc || /trailers/i.test(this.request.get('te') ?? '') || headerValue(headers, 'trailer') !== undefined)
    if (waitForTrailers) stream.once('wantTrailers', () => stream.sendTrailers(this.trailers ?? {}))
    stream.respond(h2HeaderFields(status, headers), { endStream, waitForTrailers })
    return true
  }

  sendTrailers(trailers: HttpHeader[]): void {
    this.trailers = h2HeaderFields(undefined, trailers)
  }

  sendBody(chunk: Buffer): boolean {
    if (this.socket.destroyed) return true
    const dechunk = this.dechunk
    if (dechunk === undefined) return this.socket.write(chunk)
    let ok = true
    dechunk.feed(chunk, 0, chunk.length, (data) => {
      ok = this.socket.write(data) && ok
    })
    return ok
  }

  sendAnswer(status: number, headers: HttpHeader[], body: string, _keepAlive?: boolean, code?: string): void {
    this.ended = true
    if (this.socket.destroyed) return
    if (this.grpc && status >= 400) return this.grpcAnswer(status, headers, body, code)
    const bytes = Buffer.from(body, 'latin1')
    const fields = h2HeaderFields(status, headers)
    fields['content-length'] = bytes.length
    this.socket.respond(fields, { endStream: bytes.length === 0 })
    if (bytes.length > 0) this.socket.end(bytes)
  }

  sendError(status: number, code: string, detail: string | undefined): void {
    const e = errorAnswer(status, code, detail)
    this.sendAnswer(status, e.headers, e.body, false, code)
  }

  /**
   * An answer of the balancer's own to a gRPC call, as gRPC has it: HTTP 200, Trailers-Only, the
   * status and message in `grpc-status` and `grpc-message` (UNAVAILABLE when no backend,
   * DEADLINE_EXCEEDED on a timeout, …), the balancer's fields (its error code) kept beside them.
   */
  private grpcAnswer(status: number, headers: HttpHeader[], body: string, code: string | undefined): void {
    const fields = h2HeaderFields(200, headers.filter((h) => h.name.toLowerCase() !== 'content-type'))
    fields['content-type'] = 'application/grpc'
    fields['grpc-status'] = String(grpcStatusOf(status, code ?? headerValue(headers, ERROR_CODE_HEADER)))
    fields['grpc-message'] = grpcMessage(Buffer.from(body, 'latin1').toString('utf8').trim())
    this.socket.respond(fields, { endStream: true })
  }

  /** RST_STREAM: this stream only; the connection and its other streams go on. */
  cut(code: number = constants.NGHTTP2_INTERNAL_ERROR): void {
    this.ended = true
    if (!this.socket.destroyed) this.socket.close(code)
  }
}

const CRLF = Buffer.from('\r\n', 'latin1')
