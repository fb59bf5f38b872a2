/**
 * Backends only the load-generator tests need, following the backends' contract: HTTP answers carry
 * `x-backend: <id>`; the TCP line protocol answers `<payload>\n` with `<id> <payload>\n` (or
 * `<id> ERR\n`). They are started, counted and closed like every test server (see
 * test/helpers/test-servers.ts, which also has the UDP echo and `closedPort`). Everything binds 127.0.0.1.
 */
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import { issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'
import { startServer, type TestServer } from '../../helpers/test-servers.js'

/** What an HTTP backend does with request `i` (0-based, over the server's life). */
export interface HttpBehaviour {
  /** Default 200. */
  readonly status?: number
  /** Reset the connection (TCP RST) instead of answering. */
  readonly reset?: boolean
  /** Never answer. */
  readonly hang?: boolean
  /** Answer with `Connection: close` and close. */
  readonly close?: boolean
  /** Send the body chunked instead of with Content-Length. */
  readonly chunked?: boolean
}

/** Options of {@link scriptedHttpBackend}. */
export interface ScriptedHttpBackendOptions {
  /** Backend id, or ids taken in turn per request. Default `h1`. */
  readonly id?: string | readonly string[]
  /** Delay before answering, ms (fixed, or per request). */
  readonly delayMs?: number | ((i: number) => number)
  readonly behaviour?: (i: number) => HttpBehaviour
  /** Serve HTTPS with a certificate for localhost and 127.0.0.1. */
  readonly tls?: CertificateAndKey
  /** Called with each request's headers. */
  readonly onRequest?: (headers: http.IncomingHttpHeaders) => void
  /** Filled with each answer's time held at the server (request read → answer written), µs. */
  readonly heldUs?: number[]
}

const cert = await issueCertificate(undefined, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
/** One self-signed certificate for localhost / 127.0.0.1, shared by the TLS servers of a test file. */
export function testCertificate(): CertificateAndKey {
  return cert
}

/**
 * An HTTP/1.1 (or HTTPS) backend with a configurable delay and per-request behaviour, answering
 * request `i` with the body `<i>\n`. Unlike the echo `httpBackend` of the shared helpers it answers
 * without waiting for the request body, and can reset, hang or stall on cue.
 */
export async function scriptedHttpBackend(options: ScriptedHttpBackendOptions = {}): Promise<TestServer> {
  const seen = { requests: 0, connections: 0 }
  const ids = typeof options.id === 'string' ? [options.id] : (options.id ?? ['h1'])
  const delay = options.delayMs ?? 0
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const i = seen.requests++
    const arrived = performance.now()
    options.onRequest?.(req.headers)
    const b = options.behaviour?.(i) ?? {}
    req.resume()
    if (b.hang === true) return
    const answer = () => {
      if (b.reset === true) {
        // A TLS socket cannot send a bare RST; closing it mid-exchange is the nearest.
        if (req.socket instanceof tls.TLSSocket) req.socket.destroy()
        else req.socket.resetAndDestroy()
        return
      }
      const body = `${i}\n`
      res.setHeader('x-backend', ids[i % ids.length]!)
      if (b.close === true) res.setHeader('connection', 'close')
      res.statusCode = b.status ?? 200
      if (b.chunked === true) {
        res.write(body)
        res.end('tail\n')
      } else {
        res.setHeader('content-length', body.length)
        res.end(body)
      }
      options.heldUs?.push((performance.now() - arrived) * 1000)
    }
    const ms = typeof delay === 'number' ? delay : delay(i)
    if (ms > 0) setTimeout(answer, ms)
    else answer()
  }
  const server = options.tls === undefined ? http.createServer(handler) : https.createServer({ ...options.tls }, handler)
  server.keepAliveTimeout = 30_000
  return startServer(ids.join(','), server, seen)
}

/** Options of {@link lineServer}. */
export interface LineServerOptions {
  readonly id?: string
  readonly delayMs?: number
  /** Answer `<id> ERR` to request `i` when this says so. */
  readonly error?: (i: number) => boolean
  /** Serve the line protocol inside TLS. */
  readonly tls?: CertificateAndKey
  /** Filled with each reply's time held at the server (line read → reply written), µs. */
  readonly heldUs?: number[]
}

/** The TCP (or TLS) line protocol: `<payload>\n` → `<id> <payload>\n`. */
export async function lineServer(options: LineServerOptions = {}): Promise<TestServer> {
  const seen = { requests: 0, connections: 0 }
  const id = options.id ?? 't1'
  const onSocket = (socket: net.Socket) => {
    let buffered = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const i = seen.requests++
        const reply = options.error?.(i) === true ? `${id} ERR\n` : `${id} ${line}\n`
        const arrived = performance.now()
        const write = () => {
          if (!socket.writable) return
          socket.write(reply)
          options.heldUs?.push((performance.now() - arrived) * 1000)
        }
        if ((options.delayMs ?? 0) > 0) setTimeout(write, options.delayMs)
        else write()
      }
    })
  }
  const server = options.tls === undefined ? net.createServer(onSocket) : tls.createServer({ ...options.tls }, onSocket)
  return startServer(id, server, seen)
}

/** A server that writes `response` to every request head it reads, then optionally closes. */
export async function rawHttpServer(response: string, closeAfter = false): Promise<TestServer> {
  const seen = { requests: 0, connections: 0 }
  const server = net.createServer((socket) => {
    let buffered = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        buffered = buffered.slice(end + 4)
        seen.requests++
        if (closeAfter) socket.end(response, 'latin1')
        else socket.write(response, 'latin1')
      }
    })
  })
  return startServer('raw', server, seen)
}

/**
 * A delay function that stalls the whole server once: from request `at` on, every answer waits
 * until `stallMs` after that request arrived (a GC pause, a lock), then everything is fast again.
 */
export function stallOnce(at: number, stallMs: number): (i: number) => number {
  let until = 0
  return (i) => {
    const now = performance.now()
    if (i === at) until = now + stallMs
    return Math.max(0, until - now)
  }
}
