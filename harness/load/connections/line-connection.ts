import type net from 'node:net'
import type { LoadTarget } from '../load-types.js'
import { socketFailureKind, type ExchangeResult, type LoadConnection } from './load-connection.js'
import { openStream } from './stream-socket.js'

const MAX_LINE = 64 * 1024

/**
 * Judges one reply line of the backends' line protocol: `<id> <payload>` echoes the request,
 * `<id> ERR` is an error reply (kind `status`, status `ERR`); anything else is a protocol failure.
 */
export function parseLineReply(line: string, payload: string): ExchangeResult {
  const space = line.indexOf(' ')
  if (space <= 0) return { ok: false, kind: 'protocol' }
  const backend = line.slice(0, space)
  const rest = line.slice(space + 1)
  if (rest === payload) return { ok: true, backend }
  if (rest === 'ERR') return { ok: false, kind: 'status', status: 'ERR', backend }
  return { ok: false, kind: 'protocol', backend }
}

/**
 * The newline-delimited TCP protocol over one TCP or TLS connection: writes `<payload>\n`, reads
 * one reply line, one request at a time.
 */
export class LineConnection implements LoadConnection {
  private socket: net.Socket | undefined
  private connected = false
  private broken = false
  private destroyed = false
  private buffered = ''
  private pending: ((r: ExchangeResult) => void) | undefined
  private readonly line: Buffer

  constructor(
    private readonly target: LoadTarget,
    private readonly secure: boolean,
    private readonly payload: string,
    private readonly localAddress?: string,
  ) {
    this.line = Buffer.from(`${payload}\n`, 'utf8')
  }

  get reusable(): boolean {
    return this.connected && !this.broken && !this.destroyed && this.pending === undefined
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
      const s = opened.socket
      s.setEncoding('utf8')
      s.on('data', (chunk: string) => this.onData(chunk))
      s.on('error', (e: NodeJS.ErrnoException) => this.fail(socketFailureKind(e, true)))
      s.on('close', () => this.fail('reset'))
      done(undefined, opened.handshakeNs)
      },
      undefined,
      this.localAddress,
    )
  }

  send(_i: number, done: (result: ExchangeResult) => void): void {
    this.pending = done
    this.buffered = ''
    this.socket!.write(this.line)
  }

  destroy(): void {
    this.destroyed = true
    this.pending = undefined
    this.socket?.destroy()
  }

  private onData(chunk: string): void {
    if (this.pending === undefined) {
      this.broken = true
      this.socket?.destroy()
      return
    }
    this.buffered += chunk
    const nl = this.buffered.indexOf('\n')
    if (nl < 0) {
      if (this.buffered.length > MAX_LINE) {
        this.broken = true
        this.socket?.destroy()
        this.finish({ ok: false, kind: 'protocol' })
      }
      return
    }
    const end = nl > 0 && this.buffered.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
    const reply = this.buffered.slice(0, end)
    if (nl + 1 < this.buffered.length) this.broken = true
    this.buffered = ''
    this.finish(parseLineReply(reply, this.payload))
  }

  private fail(kind: 'connect' | 'reset'): void {
    this.broken = true
    this.finish({ ok: false, kind })
  }

  private finish(result: ExchangeResult): void {
    const done = this.pending
    if (done === undefined) return
    this.pending = undefined
    done(result)
  }
}
