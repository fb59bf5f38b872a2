import type net from 'node:net'
import type { LoadTarget } from '../load-types.js'
import { socketFailureKind, type ExchangeResult, type LoadConnection } from './load-connection.js'
import { StreamConnection } from './stream-connection.js'

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
export class LineConnection extends StreamConnection implements LoadConnection {
  private broken = false
  private buffered = ''
  private readonly line: Buffer

  constructor(
    target: LoadTarget,
    secure: boolean,
    private readonly payload: string,
    localAddress?: string,
  ) {
    super(target, secure, undefined, localAddress)
    this.line = Buffer.from(`${payload}\n`, 'utf8')
  }

  get reusable(): boolean {
    return this.connected && !this.broken && !this.destroyed && this.pending === undefined
  }

  protected override attach(s: net.Socket): void {
    s.setEncoding('utf8')
    s.on('data', (chunk: string) => this.onData(chunk))
    s.on('error', (e: NodeJS.ErrnoException) => this.fail(socketFailureKind(e, true)))
    s.on('close', () => this.fail('reset'))
  }

  send(_i: number, done: (result: ExchangeResult) => void): void {
    this.pending = done
    this.buffered = ''
    this.socket!.write(this.line)
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
}
