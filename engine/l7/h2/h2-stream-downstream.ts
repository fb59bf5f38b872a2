import type { Socket } from 'node:net'
import { constants, type ServerHttp2Stream } from 'node:http2'
import { ChunkedTracker } from '../../http/chunked.js'
import type { HttpHeader, RequestHead, ResponseHead } from '../../http/http-head.js'
import type { ClientOrigin } from '../../runtime/proxy-header.js'
import type { ResponseHeadOptions } from '../codec.js'
import type { Downstream } from '../downstream.js'
import { errorAnswer } from '../error-response.js'
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

  constructor(
    private readonly host: H2StreamHost,
    stream: ServerHttp2Stream,
    head: RequestHead,
  ) {
    this.socket = stream
    this.chunked = head.framing.kind === 'chunked'
    this.owed = head.framing.kind === 'length' ? head.framing.length : -1
    this.exchange = new RequestLifecycle(this, head, performance.now(), http1Codec)
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
    if (this.socket.destroyed) return true
    this.socket.respond(h2HeaderFields(status, headers))
    return true
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

  sendAnswer(status: number, headers: HttpHeader[], body: string): void {
    this.ended = true
    if (this.socket.destroyed) return
    const bytes = Buffer.from(body, 'latin1')
    const fields = h2HeaderFields(status, headers)
    fields['content-length'] = bytes.length
    this.socket.respond(fields, { endStream: bytes.length === 0 })
    if (bytes.length > 0) this.socket.end(bytes)
  }

  sendError(status: number, code: string, detail: string | undefined): void {
    const e = errorAnswer(status, code, detail)
    this.sendAnswer(status, e.headers, e.body)
  }

  /** RST_STREAM: this stream only; the connection and its other streams go on. */
  cut(code: number = constants.NGHTTP2_INTERNAL_ERROR): void {
    this.ended = true
    if (!this.socket.destroyed) this.socket.close(code)
  }
}

const CRLF = Buffer.from('\r\n', 'latin1')
