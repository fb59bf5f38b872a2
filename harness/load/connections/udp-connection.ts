import dgram from 'node:dgram'
import net from 'node:net'
import type { LoadTarget } from '../load-types.js'
import { socketFailureKind, type ExchangeResult, type LoadConnection } from './load-connection.js'

const COLON = 0x3a

/** Datagram of request `i`: its number, a space, and filler up to `bytes`. */
export function udpDatagram(i: number, bytes: number): Buffer {
  const tag = `${i} `
  return Buffer.from(tag + 'x'.repeat(Math.max(0, bytes - tag.length)), 'latin1')
}

/**
 * Judges a reply datagram `<id>:<datagram>` against the datagram sent: `undefined` when it answers an
 * earlier request (late after a timeout) and should be ignored.
 */
export function parseUdpReply(reply: Buffer, sent: Buffer, tagBytes: number): ExchangeResult | undefined {
  const colon = reply.indexOf(COLON)
  if (colon <= 0) return { ok: false, kind: 'protocol' }
  const backend = reply.toString('latin1', 0, colon)
  const echoed = reply.subarray(colon + 1)
  if (echoed.equals(sent)) return { ok: true, backend }
  if (echoed.length < tagBytes || echoed.compare(sent, 0, tagBytes, 0, tagBytes) !== 0) return undefined
  return { ok: false, kind: 'protocol', backend }
}

/** A connected UDP socket; each request is one datagram answered by one datagram. */
export class UdpConnection implements LoadConnection {
  private socket: dgram.Socket | undefined
  private connected = false
  private destroyed = false
  private sent: Buffer = Buffer.alloc(0)
  private tagBytes = 0
  private pending: ((r: ExchangeResult) => void) | undefined

  constructor(
    private readonly target: LoadTarget,
    private readonly payloadBytes: number,
    private readonly localAddress?: string,
  ) {}

  get reusable(): boolean {
    return this.connected && !this.destroyed && this.pending === undefined
  }

  open(done: (error: Error | undefined, handshakeNs: bigint) => void): void {
    const socket = dgram.createSocket(net.isIPv6(this.target.host) ? 'udp6' : 'udp4')
    this.socket = socket
    const onError = (e: Error) => {
      if (this.destroyed) return
      this.destroyed = true
      socket.close()
      done(e, 0n)
    }
    socket.once('error', onError)
    const connect = () =>
      socket.connect(this.target.port, this.target.host, () => {
        if (this.destroyed) return
        socket.removeListener('error', onError)
        this.connected = true
        socket.on('message', (msg: Buffer) => this.onMessage(msg))
        // An ICMP port unreachable arrives as ECONNREFUSED on a connected socket.
        socket.on('error', (e: NodeJS.ErrnoException) => this.finish({ ok: false, kind: socketFailureKind(e, e.code !== 'ECONNREFUSED') }))
        done(undefined, -1n)
      })
    // A client address of its own: bind there first, then connect.
    if (this.localAddress === undefined) connect()
    else socket.bind(0, this.localAddress, connect)
  }

  send(i: number, done: (result: ExchangeResult) => void): void {
    this.pending = done
    this.sent = udpDatagram(i, this.payloadBytes)
    this.tagBytes = String(i).length + 1
    this.socket!.send(this.sent, (e) => {
      if (e !== null && e !== undefined) this.finish({ ok: false, kind: socketFailureKind(e as NodeJS.ErrnoException, true) })
    })
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.pending = undefined
    try {
      this.socket?.close()
    } catch {
      // already closed
    }
  }

  private onMessage(msg: Buffer): void {
    if (this.pending === undefined) return
    const r = parseUdpReply(msg, this.sent, this.tagBytes)
    if (r !== undefined) this.finish(r)
  }

  private finish(result: ExchangeResult): void {
    const done = this.pending
    if (done === undefined) return
    this.pending = undefined
    done(result)
  }
}
