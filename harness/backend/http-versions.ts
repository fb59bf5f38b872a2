/**
 * The HTTP listener's choice of protocol per connection: with TLS, what ALPN chose (`h2`, else
 * HTTP/1.x); in plaintext, HTTP/2 when the client opens with the HTTP/2 connection preface (h2c
 * by prior knowledge), else HTTP/1.x. The bytes read to decide are handed on, not lost.
 */
import type { TLSSocket } from 'node:tls'
import { whenSecure, type AcceptedConnection, type ProtocolConnection } from './stream-listener.js'

/** The client connection preface of RFC 9113 §3.4. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** ALPN offered by the HTTP listener with TLS, in order of preference. */
export const HTTP_ALPN = ['h2', 'http/1.1'] as const

/**
 * `h2` when `bytes` begin with the preface, `http1` when they cannot, `undefined` while too few
 * have arrived to tell.
 */
export function sniffPreface(bytes: Buffer): 'h2' | 'http1' | undefined {
  const n = Math.min(bytes.length, H2_PREFACE.length)
  if (bytes.subarray(0, n).compare(H2_PREFACE, 0, n) !== 0) return 'http1'
  return n === H2_PREFACE.length ? 'h2' : undefined
}

type Protocol = (accepted: AcceptedConnection) => ProtocolConnection

/** A protocol that hands each connection to `http1` or `h2`, as the client chose. */
export function httpVersions(http1: Protocol, h2: Protocol): Protocol {
  return (accepted) => {
    let chosen: ProtocolConnection | undefined
    let draining = false
    const hand = (protocol: Protocol, connection: AcceptedConnection) => {
      chosen = protocol(connection)
      if (draining) chosen.drain()
    }
    const socket = accepted.socket
    if (accepted.tls) {
      whenSecure(accepted, () => hand((socket as TLSSocket).alpnProtocol === 'h2' ? h2 : http1, accepted))
    } else {
      let received = accepted.initial ?? Buffer.alloc(0)
      const decide = (): boolean => {
        const version = sniffPreface(received)
        if (version === undefined) return false
        socket.off('data', onData)
        socket.pause()
        if (version === 'h2') {
          // node:http2 takes over the socket and reads what is buffered in it first.
          if (received.length > 0) socket.unshift(received)
          hand(h2, { ...accepted, initial: undefined })
        } else hand(http1, { ...accepted, initial: received })
        return true
      }
      const onData = (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
        decide()
      }
      if (!decide()) {
        socket.on('data', onData)
        socket.resume()
      }
    }
    return {
      drain: () => {
        draining = true
        if (chosen !== undefined) chosen.drain()
        // Nothing asked yet: nothing to finish.
        else socket.destroy()
      },
    }
  }
}
