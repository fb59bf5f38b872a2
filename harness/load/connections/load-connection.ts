import type { ClientAbortPoint, FailureKind } from '../load-types.js'

/** How one exchange on a connection ended. */
export type ExchangeResult =
  | { readonly ok: true; readonly status?: string; readonly backend?: string; readonly setCookies?: readonly string[] }
  | { readonly ok: false; readonly kind: FailureKind; readonly status?: string; readonly backend?: string; readonly setCookies?: readonly string[] }
  /** The client abandoned the exchange at `point`, as it was asked to: not a failure of the server. */
  | { readonly ok: false; readonly kind: 'client-abort'; readonly point: ClientAbortPoint }

/**
 * One client connection of a load run, carrying one request at a time. Callbacks fire from socket
 * events, never synchronously inside `open` or `send`; after `destroy` none fires.
 */
export interface LoadConnection {
  /** Connects; `handshakeNs` is the connect (plus TLS handshake) time, or -1n where there is none (UDP). */
  open(done: (error: Error | undefined, handshakeNs: bigint) => void): void
  /** True while open and able to carry another request. */
  readonly reusable: boolean
  /**
   * Writes request `i` now and calls `done` exactly once when its reply is complete or the
   * connection fails. `cookie`: the client's Cookie header value (HTTP). `abort` (HTTP): abandon the
   * exchange at that point and close the connection; a reply that completes first is still a reply.
   */
  send(i: number, done: (result: ExchangeResult) => void, cookie?: string, abort?: ClientAbortPoint): void
  destroy(): void
}

/** Makes the connections of one run; `client` is the slot the connection serves. */
export type ConnectionFactory = (client: number) => LoadConnection

/** The failure kind of a socket error: refused or unreachable before the connection was up is `connect`. */
export function socketFailureKind(error: NodeJS.ErrnoException | undefined, connected: boolean): 'connect' | 'reset' {
  if (!connected) return 'connect'
  const code = error?.code
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'connect' : 'reset'
}
