import type net from 'node:net'
import type { ClientAbortPoint, LoadTarget } from '../load-types.js'
import type { RequestEncoder } from './http-request.js'
import { HttpResponseReader } from './http-response-reader.js'
import { socketFailureKind, type ExchangeResult, type LoadConnection } from './load-connection.js'
import { StreamConnection } from './stream-connection.js'

/**
 * HTTP/1.1 over one raw TCP or TLS socket, one request at a time (keep-alive, no pipelining).
 * Responses of any framing are read with the engine's codec; 4xx and 5xx are failures of kind
 * `status`. A response that does not allow reuse (Connection: close, close-delimited, stray bytes)
 * ends the connection; the caller opens another.
 */
export class HttpConnection extends StreamConnection implements LoadConnection {
  private keepAlive = false
  private reader: HttpResponseReader | undefined
  /** The exchange in progress is to be abandoned once its response body has begun. */
  private abortInBody = false

  constructor(
    target: LoadTarget,
    secure: boolean,
    private readonly methodOf: (i: number) => string,
    private readonly encode: RequestEncoder,
    localAddress?: string,
  ) {
    super(target, secure, secure ? ['http/1.1'] : undefined, localAddress)
  }

  get reusable(): boolean {
    return this.connected && this.keepAlive && !this.destroyed && this.pending === undefined
  }

  protected override attach(s: net.Socket): void {
    this.keepAlive = true
    s.on('data', (chunk: Buffer) => this.onData(chunk))
    s.on('error', (e: NodeJS.ErrnoException) => this.fail(socketFailureKind(e, true)))
    s.on('close', () => this.onClose())
  }

  send(i: number, done: (result: ExchangeResult) => void, cookie?: string, abort?: ClientAbortPoint): void {
    this.pending = done
    this.reader = new HttpResponseReader(this.methodOf(i))
    this.abortInBody = abort === 'body'
    const bytes = this.encode(i, cookie)
    // A failed write ends the exchange through the socket's error, not as an abort.
    if (abort === 'head') this.socket!.write(bytes.subarray(0, partialHeadLength(i, bytes)), (e) => e ?? this.abandon(done, 'head'))
    else if (abort === 'before-response') this.socket!.write(bytes, (e) => e ?? this.abandon(done, 'before-response'))
    else this.socket!.write(bytes)
  }

  /** Closes the connection mid-exchange, as the plan asked, unless that exchange has ended already. */
  private abandon(exchange: (result: ExchangeResult) => void, point: ClientAbortPoint): void {
    if (this.pending !== exchange) return
    this.keepAlive = false
    this.socket?.destroy()
    this.finish({ ok: false, kind: 'client-abort', point })
  }

  private onData(chunk: Buffer): void {
    if (this.pending === undefined || this.reader === undefined) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.keepAlive = false
      this.socket?.destroy()
      return
    }
    const p = this.reader.feed(chunk)
    if (p.state === 'incomplete') {
      if (this.abortInBody && this.reader.inBody) this.abandon(this.pending, 'body')
      return
    }
    if (p.state === 'error') {
      this.keepAlive = false
      this.socket?.destroy()
      this.finish({ ok: false, kind: 'protocol' })
      return
    }
    this.keepAlive = p.reusable
    if (!p.reusable) this.socket?.destroy()
    const status = String(p.status)
    const extra = { ...(p.backend === undefined ? {} : { backend: p.backend }), ...(p.setCookies === undefined ? {} : { setCookies: p.setCookies }) }
    this.finish(p.status < 400 ? { ok: true, status, ...extra } : { ok: false, kind: 'status', status, ...extra })
  }

  private onClose(): void {
    this.keepAlive = false
    if (this.pending === undefined || this.reader === undefined) return
    const p = this.reader.end()
    if (p.state === 'complete') {
      const status = String(p.status)
      const extra = { ...(p.backend === undefined ? {} : { backend: p.backend }), ...(p.setCookies === undefined ? {} : { setCookies: p.setCookies }) }
      this.finish(p.status < 400 ? { ok: true, status, ...extra } : { ok: false, kind: 'status', status, ...extra })
    } else this.fail('reset')
  }

  private fail(kind: 'connect' | 'reset'): void {
    this.keepAlive = false
    this.finish({ ok: false, kind })
  }

  protected override finish(result: ExchangeResult): void {
    // The reader belongs to the exchange; it goes before `done` can start the next one.
    if (this.pending !== undefined) this.reader = undefined
    super.finish(result)
  }
}

/**
 * How much of request `i`'s head a client aborting in the head sends: at least one byte, never
 * the whole head, at a point that moves from request to request (request line, a header name, a
 * value, the final CRLF) so the server meets every kind of truncated head.
 */
export function partialHeadLength(i: number, request: Buffer): number {
  const headBytes = request.indexOf('\r\n\r\n') + 4
  return 1 + ((Math.imul(i + 1, 2654435761) >>> 0) % (headBytes - 1))
}
