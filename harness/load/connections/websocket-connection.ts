import { randomBytes } from 'node:crypto'
import type net from 'node:net'
import { acceptKey, decodeFrame, encodeFrame, Opcode } from '../../backend/websocket-frame.js'
import type { LoadTarget } from '../load-types.js'
import { socketFailureKind, type ExchangeResult, type LoadConnection } from './load-connection.js'
import { StreamConnection } from './stream-connection.js'

/** The opening handshake's answer head may not be longer than this. */
const MAX_HEAD = 16 * 1024

/**
 * WebSocket over one TCP connection (RFC 6455): `open` connects and completes the opening handshake
 * (its time is the handshake time; a refused upgrade fails the open, which the run counts as a
 * connect failure); each request is one masked text message `m<i>`, and its reply the echo of that
 * message — the round trip is the request's latency. `x-backend` on the 101 names the backend.
 */
export class WebSocketConnection extends StreamConnection implements LoadConnection {
  private upgraded = false
  private broken = false
  private buffered: Buffer = Buffer.alloc(0)
  private backend: string | undefined
  private expected: Buffer | undefined
  private opened: ((error: Error | undefined, handshakeNs: bigint) => void) | undefined
  private connectNs = 0n
  private upgradeStartNs = 0n
  private readonly key = randomBytes(16).toString('base64')

  constructor(
    private readonly to: LoadTarget,
    private readonly path: string,
    localAddress?: string,
  ) {
    super(to, false, undefined, localAddress)
  }

  get reusable(): boolean {
    return this.connected && this.upgraded && !this.broken && !this.destroyed && this.pending === undefined
  }

  override open(done: (error: Error | undefined, handshakeNs: bigint) => void): void {
    this.opened = done
    super.open((error, handshakeNs) => {
      if (error !== undefined) return this.settleOpen(error)
      this.connectNs = handshakeNs
    })
  }

  protected override attach(s: net.Socket): void {
    s.on('data', (chunk: Buffer) => this.onData(chunk))
    s.on('error', (e: NodeJS.ErrnoException) => this.fail(socketFailureKind(e, true)))
    s.on('close', () => this.fail('reset'))
    this.upgradeStartNs = process.hrtime.bigint()
    const host = this.to.host.includes(':') ? `[${this.to.host}]` : this.to.host
    s.write(`GET ${this.path} HTTP/1.1\r\nhost: ${host}:${this.to.port}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${this.key}\r\nsec-websocket-version: 13\r\n\r\n`, 'latin1')
  }

  send(i: number, done: (result: ExchangeResult) => void): void {
    this.pending = done
    const payload = Buffer.from(`m${i}`, 'latin1')
    this.expected = payload
    this.socket!.write(encodeFrame(Opcode.text, payload, randomBytes(4)))
  }

  private settleOpen(error: Error | undefined): void {
    const done = this.opened
    this.opened = undefined
    if (done === undefined) return
    if (error !== undefined) {
      this.broken = true
      this.socket?.destroy()
    }
    done(error, this.connectNs + (process.hrtime.bigint() - this.upgradeStartNs))
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    if (!this.upgraded) {
      const end = this.buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        if (this.buffered.length > MAX_HEAD) this.settleOpen(new Error('WebSocket upgrade: answer head too long'))
        return
      }
      const problem = this.readUpgrade(this.buffered.subarray(0, end).toString('latin1'))
      this.buffered = this.buffered.subarray(end + 4)
      if (problem !== undefined) return this.settleOpen(new Error(`WebSocket upgrade refused: ${problem}`))
      this.upgraded = true
      this.settleOpen(undefined)
      if (this.buffered.length === 0) return
    }
    const r = decodeFrame(this.buffered, 0)
    if (r === undefined) return
    this.buffered = this.buffered.subarray(r.next)
    if (this.pending === undefined || this.buffered.length > 0) {
      // A message nobody asked for, or more than one: the exchange can no longer be matched.
      this.broken = true
      this.socket?.destroy()
    }
    const backend = this.backend === undefined ? {} : { backend: this.backend }
    const echoed = r.frame.opcode === Opcode.text && this.expected !== undefined && r.frame.payload.equals(this.expected)
    this.finish(echoed ? { ok: true, ...backend } : { ok: false, kind: 'protocol', ...backend })
  }

  /** What is wrong with the handshake's answer, or undefined when it switched protocols. */
  private readUpgrade(head: string): string | undefined {
    const [statusLine, ...lines] = head.split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]
    const fields = new Map(lines.map((l) => [l.slice(0, Math.max(0, l.indexOf(':'))).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
    this.backend = fields.get('x-backend')
    if (status !== '101') return `status ${status ?? 'unreadable'}`
    if (fields.get('upgrade')?.toLowerCase() !== 'websocket') return 'no Upgrade: websocket'
    if (fields.get('sec-websocket-accept') !== acceptKey(this.key)) return 'wrong Sec-WebSocket-Accept'
    return undefined
  }

  private fail(kind: 'connect' | 'reset'): void {
    this.broken = true
    if (this.opened !== undefined) return this.settleOpen(new Error('WebSocket upgrade: connection closed'))
    this.finish({ ok: false, kind })
  }
}
