import net from 'node:net'
import tls from 'node:tls'
import type { LoadTarget } from '../load-types.js'

/** A connected stream socket and the time connecting (and any TLS handshake) took. */
export type OpenedStream = { readonly socket: net.Socket; readonly handshakeNs: bigint }

/**
 * Opens a TCP connection, or TLS over one, to `target`. Nagle is off: requests are small and
 * latency is the measured quantity. `done` gets the error when connecting or the handshake fails;
 * the socket is then already destroyed. `alpn` offers application protocols over TLS.
 */
export function openStream(
  target: LoadTarget,
  secure: boolean,
  done: (error: Error | undefined, opened: OpenedStream | undefined) => void,
  alpn?: string[],
  localAddress?: string,
): net.Socket {
  const started = process.hrtime.bigint()
  const socket = secure
    ? tls.connect({
        host: target.host,
        port: target.port,
        servername: target.serverName ?? (net.isIP(target.host) === 0 ? target.host : undefined),
        ...(target.ca === undefined ? {} : { ca: target.ca }),
        ...(target.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: target.rejectUnauthorized }),
        ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
        ...(localAddress === undefined ? {} : { localAddress }),
      })
    : net.connect({ host: target.host, port: target.port, ...(localAddress === undefined ? {} : { localAddress }) })
  socket.setNoDelay(true)
  const onError = (error: Error) => {
    socket.removeListener(secure ? 'secureConnect' : 'connect', onConnect)
    socket.destroy()
    done(error, undefined)
  }
  const onConnect = () => {
    socket.removeListener('error', onError)
    done(undefined, { socket, handshakeNs: process.hrtime.bigint() - started })
  }
  socket.once('error', onError)
  socket.once(secure ? 'secureConnect' : 'connect', onConnect)
  return socket
}
