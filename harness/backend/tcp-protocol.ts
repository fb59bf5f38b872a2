/**
 * The raw "database" protocol: newline-terminated request lines, each answered in order with
 * `<id> <payload>\n` after the behaviour's latency (or `<id> ERR\n`, or a reset). A first line of
 * `WHO` is answered at once with `<id> <clientAddress>:<clientPort>\n`, the address the backend
 * saw (the PROXY header's source when one was received).
 */
import type { Socket } from 'node:net'
import type { PreciseTimer } from '../../engine/runtime/precise-timers.js'
import type { BackendState } from './backend-state.js'
import type { Outcome } from './behaviour.js'
import { appendToUnread, readAccepted, resetConnection, type AcceptedConnection, type ProtocolConnection } from './stream-listener.js'

/** A longer line closes the connection. */
export const MAX_LINE_BYTES = 1 << 20
const NEWLINE = 0x0a
const EMPTY = Buffer.alloc(0)

/**
 * The reply to `payload`: `<id> <payload>`, padded with spaces so the line including its newline
 * is `responseBytes` long when that is set and longer than the unpadded line.
 */
export function tcpReply(id: string, payload: string, responseBytes: number | undefined): string {
  const line = `${id} ${payload}`
  const pad = responseBytes === undefined ? 0 : responseBytes - line.length - 1
  return pad > 0 ? `${line}${' '.repeat(pad)}\n` : `${line}\n`
}

/** Serves the line protocol on an accepted connection. */
export function serveTcp(state: BackendState, accepted: AcceptedConnection): ProtocolConnection {
  return new LineConnection(state, accepted)
}

class LineConnection implements ProtocolConnection {
  private buf: Buffer = EMPTY
  private pos = 0
  private first = true
  private busy = false
  private closed = false
  private draining = false
  private held: PreciseTimer | undefined
  private readonly socket: Socket

  constructor(
    private readonly state: BackendState,
    private readonly accepted: AcceptedConnection,
  ) {
    this.socket = accepted.socket
    readAccepted(accepted, (chunk) => this.onData(chunk), () => this.onClose())
  }

  drain(): void {
    this.draining = true
    if (!this.busy && this.buf.indexOf(NEWLINE, this.pos) < 0) this.close()
  }

  private onClose(): void {
    this.closed = true
    this.held?.cancel()
  }

  private onData(chunk: Buffer): void {
    this.buf = appendToUnread(this.buf, this.pos, chunk)
    this.pos = 0
    if (this.buf.length > MAX_LINE_BYTES && this.buf.indexOf(NEWLINE) < 0) return this.close()
    if (this.busy) {
      if (this.buf.length > MAX_LINE_BYTES) this.socket.pause()
    } else {
      this.pump()
    }
  }

  private pump(): void {
    while (!this.busy && !this.closed) {
      const nl = this.buf.indexOf(NEWLINE, this.pos)
      if (nl < 0) {
        if (this.draining) this.close()
        return
      }
      // Payload bytes are carried through unchanged (latin1 maps bytes to characters one to one).
      const lineEnd = nl > this.pos && this.buf[nl - 1] === 0x0d ? nl - 1 : nl
      const payload = this.buf.toString('latin1', this.pos, lineEnd)
      this.pos = nl + 1
      if (this.first) {
        this.first = false
        if (payload === 'WHO') {
          const { address, port } = this.accepted.client
          this.socket.write(`${this.state.id} ${address}:${port}\n`, 'latin1')
          continue
        }
      }
      this.state.served.tcp.requests++
      const { client, tls, peer } = this.accepted
      this.state.see(tls, client.address, client.proxied ? 'proxy-protocol' : 'peer', peer)
      const { delayMs, outcome } = this.state.decide()
      if (delayMs <= 0) {
        this.answer(payload, outcome)
        continue
      }
      this.busy = true
      this.held = this.state.hold(delayMs, () => {
        this.held = undefined
        this.busy = false
        this.answer(payload, outcome)
        if (this.socket.isPaused()) this.socket.resume()
        this.pump()
      })
    }
  }

  private answer(payload: string, outcome: Outcome): void {
    const { state, socket } = this
    if (outcome === 'reset') {
      state.served.tcp.resets++
      this.closed = true
      return resetConnection(this.accepted.tcp, socket)
    }
    if (outcome === 'error') {
      state.served.tcp.errors++
      socket.write(`${state.id} ERR\n`, 'latin1')
      return
    }
    socket.write(tcpReply(state.id, payload, state.behaviour.responseBytes), 'latin1')
  }

  private close(): void {
    this.closed = true
    this.socket.end()
  }
}
