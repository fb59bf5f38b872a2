/**
 * A TCP listener shared by the HTTP and the TCP protocols: reads the PROXY header when one is
 * expected (before any TLS, as the protocol requires), terminates TLS when configured, hands each
 * connection to a protocol handler with the client's address, and closes them all gracefully.
 */
import net from 'node:net'
import tls from 'node:tls'
import { parseProxyHeader, type AcceptedProxyVersions } from '../../engine/proxy-protocol/proxy-protocol.js'
import type { BackendConfig } from './backend-config.js'

/** The client as the backend sees it. */
export interface ClientEndpoint {
  readonly address: string
  readonly port: number
  /** True when a PROXY header supplied the address. */
  readonly proxied: boolean
}

/** One accepted connection, as handed to a protocol. */
export interface AcceptedConnection {
  /** The stream to read and write: the TLS socket when TLS is on, else the TCP socket. */
  readonly socket: net.Socket
  /** The TCP socket beneath, for resets. */
  readonly tcp: net.Socket
  readonly client: ClientEndpoint
  /** The address of the connection's peer (whatever a PROXY header says). */
  readonly peer: string
  /** True when the backend terminates TLS on this connection. */
  readonly tls: boolean
  /** Bytes that arrived with the PROXY header and belong to the protocol. */
  readonly initial: Buffer | undefined
}

/** A protocol's handle on a connection. */
export interface ProtocolConnection {
  /** Close the connection now if it is idle, else once the exchange in progress is answered. */
  drain(): void
}

/** A bound listener. */
export interface StreamListener {
  readonly port: number
  /** Stops accepting, drains every connection, and destroys what is left after `graceMs`. */
  close(graceMs: number): Promise<void>
}

export interface StreamListenerOptions {
  readonly host: string
  readonly port: number
  readonly proxyProtocol: BackendConfig['proxyProtocol']
  readonly tls?: { readonly cert: string; readonly key: string }
  /** With TLS: the application protocols offered by ALPN, in order of preference (none when absent). */
  readonly alpn?: readonly string[]
  /** Counts each accepted connection (before any PROXY header or handshake). */
  readonly onAccept?: () => void
}

/** How long a connection may take to send its PROXY header. */
const PROXY_HEADER_TIMEOUT_MS = 10_000

const ACCEPT: Record<Exclude<BackendConfig['proxyProtocol'], 'none'>, AcceptedProxyVersions> = {
  v1: { v1: true, v2: false },
  v2: { v1: false, v2: true },
  any: { v1: true, v2: true },
}

/** Resets a TCP connection (RST) where the platform allows it, else destroys it. */
export function resetConnection(tcp: net.Socket, socket: net.Socket): void {
  try {
    tcp.resetAndDestroy()
  } catch {
    tcp.destroy()
  }
  if (socket !== tcp) socket.destroy()
}

/**
 * Starts a protocol reading `accepted`: `onData` gets the bytes that came with the PROXY header,
 * then each chunk; a socket error destroys the socket; `onClose` runs once it has closed.
 */
export function readAccepted(accepted: AcceptedConnection, onData: (chunk: Buffer) => void, onClose: () => void): void {
  const socket = accepted.socket
  socket.on('data', onData)
  socket.on('error', () => socket.destroy())
  socket.on('close', onClose)
  if (accepted.initial !== undefined && accepted.initial.length > 0) onData(accepted.initial)
  // Reading the PROXY header left the socket paused.
  socket.resume()
}

/** Calls `then` at once in plaintext, and once the handshake is done with TLS (ALPN is known then). */
export function whenSecure(accepted: AcceptedConnection, then: () => void): void {
  if (accepted.tls) accepted.socket.once('secure', then)
  else then()
}

/** The bytes of `buf` from `pos` not yet read, followed by `chunk`: `chunk` itself when all are read. */
export function appendToUnread(buf: Buffer, pos: number, chunk: Buffer): Buffer {
  return pos >= buf.length ? chunk : Buffer.concat([buf.subarray(pos), chunk])
}

/** `::ffff:a.b.c.d` → `a.b.c.d`. */
function plainAddress(address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/** Binds a listener whose connections are handed to `protocol`. */
export function listenStream(options: StreamListenerOptions, protocol: (c: AcceptedConnection) => ProtocolConnection): Promise<StreamListener> {
  // Every open TCP socket, with its protocol connection once the PROXY header (if any) is read.
  const sockets = new Map<net.Socket, ProtocolConnection | undefined>()
  let onEmpty: (() => void) | undefined
  const secureContext = options.tls === undefined ? undefined : tls.createSecureContext({ cert: options.tls.cert, key: options.tls.key })
  const accept = options.proxyProtocol === 'none' ? undefined : ACCEPT[options.proxyProtocol]
  let closing = false

  const start = (tcp: net.Socket, client: ClientEndpoint, initial: Buffer | undefined, peer: string) => {
    if (closing) return tcp.destroy()
    let socket: net.Socket = tcp
    if (secureContext !== undefined) {
      // Bytes after the PROXY header are the TLS handshake: give them back to the stream, which
      // the TLS socket reads first.
      if (initial !== undefined && initial.length > 0) tcp.unshift(initial)
      initial = undefined
      socket = new tls.TLSSocket(tcp, { isServer: true, secureContext, ...(options.alpn === undefined ? {} : { ALPNProtocols: [...options.alpn] }) })
      socket.on('error', () => tcp.destroy())
      // A tls.Server clears this once the handshake is done; a TLSSocket made by hand keeps it
      // set, and node:http2 would then wait for a 'secureConnect' that a server never sees.
      socket.once('secure', () => ((socket as net.Socket & { secureConnecting: boolean }).secureConnecting = false))
    }
    sockets.set(tcp, protocol({ socket, tcp, client, peer, tls: secureContext !== undefined, initial }))
  }

  const server = net.createServer({ noDelay: true }, (tcp) => {
    sockets.set(tcp, undefined)
    tcp.once('close', () => {
      sockets.delete(tcp)
      if (sockets.size === 0) onEmpty?.()
    })
    tcp.on('error', () => tcp.destroy())
    options.onAccept?.()
    const peer: ClientEndpoint = { address: plainAddress(tcp.remoteAddress), port: tcp.remotePort ?? 0, proxied: false }
    if (accept === undefined) return start(tcp, peer, undefined, peer.address)

    let received: Buffer = Buffer.alloc(0)
    tcp.setTimeout(PROXY_HEADER_TIMEOUT_MS, () => tcp.destroy())
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
      const r = parseProxyHeader(received, accept)
      if (r.status === 'incomplete') return
      tcp.off('data', onData)
      tcp.setTimeout(0)
      // A malformed or missing header means the peer is not the proxy we were told to expect.
      if (r.status === 'invalid') return tcp.destroy()
      tcp.pause()
      const source = r.header.addresses?.source
      const client = source === undefined ? peer : { address: source.address, port: source.port, proxied: true }
      start(tcp, client, received.subarray(r.header.headerBytes), peer.address)
    }
    tcp.on('data', onData)
  })

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off('error', reject)
      const port = (server.address() as net.AddressInfo).port
      resolve({
        port,
        close: (graceMs) =>
          new Promise<void>((done) => {
            closing = true
            server.close()
            const finish = () => {
              clearTimeout(deadline)
              onEmpty = undefined
              for (const s of sockets.keys()) s.destroy()
              done()
            }
            const deadline = setTimeout(finish, graceMs)
            onEmpty = finish
            // A connection still sending its PROXY header has no exchange to finish.
            for (const [s, c] of sockets) {
              if (c === undefined) s.destroy()
              else c.drain()
            }
            if (sockets.size === 0) finish()
          }),
      })
    })
  })
}
