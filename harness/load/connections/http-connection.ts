import type net from 'node:net'
import type { LoadTarget } from '../load-types.js'
import type { RequestEncoder } from './http-request.js'
import { HttpResponseReader } from './http-response-reader.js'
import { socketFailureKind, type ExchangeResult, type LoadConnection } from './load-connection.js'
import { openStream } from './stream-socket.js'

/**
 * HTTP/1.1 over one raw TCP or TLS socket, one request at a time (keep-alive, no pipelining).
 * Responses of any framing are read with the engine's codec; 4xx and 5xx are failures of kind
 * `status`. A response that does not allow reuse (Connection: close, close-delimited, stray bytes)
 * ends the connection; the caller opens another.
 */
export class HttpConnection implements LoadConnection {
  private socket: net.Socket | undefined
  private connected = false
  private keepAlive = false
  private destroyed = false
  private reader: HttpResponseReader | undefined
  private pending: ((r: ExchangeResult) => void) | undefined

  constructor(
    private readonly target: LoadTarget,
    private readonly secure: boolean,
    private readonly methodOf: (i: number) => string,
    private readonly encode: RequestEncoder,
    private readonly localAddress?: string,
  ) {}

  get reusable(): boolean {
    return this.connected && this.keepAlive && !this.destroyed && this.pending === undefined
  }

  open(done: (error: Error | undefined, handshakeNs: bigint) => void): void {
    this.socket = openStream(
      this.target,
      this.secure,
      (error, opened) => {
        if (this.destroyed) return
        if (opened === undefined) {
          this.destroyed = true
          done(error, 0n)
          return
        }
        this.connected = true
        this.keepAlive = true
        const s = opened.socket
        s.on('data', (chunk: Buffer) => this.onData(chunk))
        s.on('error', (e: NodeJS.ErrnoException) => this.fail(socketFailureKind(e, true)))
        s.on('close', () => this.onClose())
        done(undefined, opened.handshakeNs)
      },
      this.secure ? ['http/1.1'] : undefined,
      this.localAddress,
    )
  }

  send(i: number, done: (result: ExchangeResult) => void, cookie?: string): void {
    this.pending = done
    this.reader = new HttpResponseReader(this.methodOf(i))
    this.socket!.write(this.encode(i, cookie))
  }

  destroy(): void {
    this.destroyed = true
    this.pending = undefined
    this.socket?.destroy()
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

  private finish(result: ExchangeResult): void {
    const done = this.pending
    if (done === undefined) return
    this.pending = undefined
    this.reader = undefined
    done(result)
  }
}
