import http2 from 'node:http2'
import type { Socket } from 'node:net'
import type { ClientOrigin } from '../../runtime/proxy-header.js'
import type { L7Settings } from '../l7-settings.js'
import { H2ClientSession } from './h2-client-session.js'

/** Starts HTTP/2 on an accepted connection (after TLS with ALPN `h2`, or h2c); `initial`: bytes already read from it. */
export type H2Accept = (socket: Socket, origin: ClientOrigin, initial: Buffer | undefined) => void

/**
 * HTTP/2 for one listener: a `node:http2` server that never listens itself but is handed the
 * listener's connections once they are known to speak HTTP/2, with the listener's settings (windows
 * raised above Node's 64 KB, header limits as for HTTP/1.1 heads). `sessions` tracks the live ones.
 */
export function h2Acceptor(s: L7Settings, sessions: Set<{ closeIfIdle(): void }>): H2Accept {
  const c = s.listener.http2
  const server = http2.createServer({
    settings: {
      maxConcurrentStreams: c.maxConcurrentStreams,
      initialWindowSize: c.initialWindowSize,
      maxFrameSize: c.maxFrameSize,
      maxHeaderListSize: s.limits.maxHeadBytes,
    },
    maxHeaderListPairs: s.limits.maxHeaders,
    // Node's default (10 MB) would refuse streams on a busy connection with large windows.
    maxSessionMemory: 64,
  })
  // The session is made synchronously inside 'connection': this is how it learns its client.
  let origin: ClientOrigin | undefined
  server.on('session', (session) => {
    const cs = new H2ClientSession(session, origin!, s)
    sessions.add(cs)
    session.once('close', () => sessions.delete(cs))
  })
  return (socket, o, initial) => {
    // Bytes read while telling h2c from HTTP/1.1 go back first; the session reads them before the socket.
    socket.pause()
    if (initial !== undefined && initial.length > 0) socket.unshift(initial)
    origin = o
    server.emit('connection', socket)
    origin = undefined
  }
}
