import type net from 'node:net'
import type { LoadTarget } from '../load-types.js'
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

  send(i: number, done: (result: ExchangeResult) => void, cookie?: string): void {
    this.pending = done
    this.reader = new HttpResponseReader(this.methodOf(i))
    this.socket!.write(this.encode(i, cookie))
  }

  private onData(chunk: Buffer): void {
    if (this.pending === undefined || this.reader === undefined) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.keepAlive = false
      this.socket?.destroy()
      return
    }
    const p = this.reader.feed(chunk)
    if (p.state === 'incomplete') return
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
