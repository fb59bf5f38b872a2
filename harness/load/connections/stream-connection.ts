import type net from 'node:net'
import type { LoadTarget } from '../load-types.js'
import type { ExchangeResult, LoadConnection } from './load-connection.js'
import { openStream } from './stream-socket.js'

/**
 * What the load connections over one TCP or TLS stream share: opening and destroying the stream,
 * the flags that record both, and the exchange in progress. A subclass sets up its protocol on the
 * socket once it is connected, and sends and reads the exchanges.
 */
export abstract class StreamConnection implements Pick<LoadConnection, 'open' | 'destroy'> {
  protected socket: net.Socket | undefined
  protected connected = false
  protected destroyed = false
  /** The callback of the exchange in progress, if one is. */
  protected pending: ((r: ExchangeResult) => void) | undefined

  /** `alpn` offers application protocols over TLS; `localAddress` is the address to connect from. */
  protected constructor(
    private readonly target: LoadTarget,
    private readonly secure: boolean,
    private readonly alpn: string[] | undefined,
    private readonly localAddress: string | undefined,
  ) {}

  /**
   * Connects, as {@link LoadConnection.open} says. A connection destroyed while connecting hears
   * nothing; one that fails to connect is destroyed before `done` gets the error.
   */
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
        this.attach(opened.socket)
        done(undefined, opened.handshakeNs)
      },
      this.alpn,
      this.localAddress,
    )
  }

  /** Closes the stream now; the exchange in progress is dropped and no callback fires after. */
  destroy(): void {
    this.destroyed = true
    this.pending = undefined
    this.socket?.destroy()
  }

  /** Ends the exchange in progress, if one is, with `result`. */
  protected finish(result: ExchangeResult): void {
    const done = this.pending
    if (done === undefined) return
    this.pending = undefined
    done(result)
  }

  /** Sets up the protocol on the socket just connected: its handlers for data, errors and close. */
  protected abstract attach(socket: net.Socket): void
}
