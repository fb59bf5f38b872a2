/**
 * Local backends for the load-generator tests, following the backends' contract: HTTP answers carry
 * `x-backend: <id>`; the TCP line protocol answers `<payload>\n` with `<id> <payload>\n` (or
 * `<id> ERR\n`); UDP answers `<id>:<datagram>`. Everything binds 127.0.0.1.
 */
import dgram from 'node:dgram'
import http from 'node:http'
import https from 'node:https'
import net, { type AddressInfo } from 'node:net'
import tls from 'node:tls'
import { issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'

/** A running local server. */
export interface LocalServer {
  readonly port: number
  /** Requests (lines, datagrams) seen. */
  readonly seen: { requests: number; connections: number }
  close(): Promise<void>
}

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

/** Options of {@link httpBackend}. */
export interface HttpBackendOptions {
  /** Backend id, or ids taken in turn per request. Default `h1`. */
  readonly id?: string | readonly string[]
  /** Delay before answering, ms (fixed, or per request). */
  readonly delayMs?: number | ((i: number) => number)
  readonly behaviour?: (i: number) => HttpBehaviour
  /** Serve HTTPS with a certificate for localhost and 127.0.0.1. */
  readonly tls?: CertificateAndKey
  /** Called with each request's headers. */
  readonly onRequest?: (headers: http.IncomingHttpHeaders) => void
}

const open = new Set<LocalServer>()

/** Closes every server still running (afterEach). */
export async function closeAll(): Promise<void> {
  const all = [...open]
  open.clear()
  await Promise.all(all.map((s) => s.close()))
}

let cert: CertificateAndKey | undefined
/** One self-signed certificate for localhost / 127.0.0.1, shared by the TLS servers of a test file. */
export function testCertificate(): CertificateAndKey {
  cert ??= issueCertificate(undefined, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
  return cert
}

function track(server: net.Server, seen: LocalServer['seen']): LocalServer {
  const sockets = new Set<net.Socket>()
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', (s: net.Socket) => {
    seen.connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
  })
  const s: LocalServer = {
    get port() {
      return (server.address() as AddressInfo).port
    },
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        open.delete(s)
        for (const x of sockets) x.destroy()
        server.close(() => resolve())
      }),
  }
  open.add(s)
  return s
}

const listen = (server: net.Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

/** An HTTP/1.1 (or HTTPS) backend with a configurable delay and per-request behaviour. */
export async function httpBackend(options: HttpBackendOptions = {}): Promise<LocalServer> {
  const seen = { requests: 0, connections: 0 }
  const ids = typeof options.id === 'string' ? [options.id] : (options.id ?? ['h1'])
  const delay = options.delayMs ?? 0
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const i = seen.requests++
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
    }
    const ms = typeof delay === 'number' ? delay : delay(i)
    if (ms > 0) setTimeout(answer, ms)
    else answer()
  }
  const server = options.tls === undefined ? http.createServer(handler) : https.createServer({ ...options.tls }, handler)
  server.keepAliveTimeout = 30_000
  await listen(server)
  return track(server, seen)
}

/** Options of {@link lineServer}. */
export interface LineServerOptions {
  readonly id?: string
  readonly delayMs?: number
  /** Answer `<id> ERR` to request `i` when this says so. */
  readonly error?: (i: number) => boolean
  /** Serve the line protocol inside TLS. */
  readonly tls?: CertificateAndKey
}

/** The TCP (or TLS) line protocol: `<payload>\n` → `<id> <payload>\n`. */
export async function lineServer(options: LineServerOptions = {}): Promise<LocalServer> {
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
        if ((options.delayMs ?? 0) > 0) setTimeout(() => socket.writable && socket.write(reply), options.delayMs)
        else socket.write(reply)
      }
    })
  }
  const server = options.tls === undefined ? net.createServer(onSocket) : tls.createServer({ ...options.tls }, onSocket)
  await listen(server)
  return track(server, seen)
}

/** UDP echo: `<datagram>` → `<id>:<datagram>`. */
export async function udpServer(id = 'u1'): Promise<LocalServer> {
  const seen = { requests: 0, connections: 0 }
  const socket = dgram.createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    seen.requests++
    socket.send(Buffer.concat([Buffer.from(`${id}:`), msg]), rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const s: LocalServer = {
    port: socket.address().port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        open.delete(s)
        socket.close(() => resolve())
      }),
  }
  open.add(s)
  return s
}

/** A server that writes `response` to every request head it reads, then optionally closes. */
export async function rawHttpServer(response: string, closeAfter = false): Promise<LocalServer> {
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
  await listen(server)
  return track(server, seen)
}

/** A port on 127.0.0.1 with nothing listening. */
export async function closedPort(): Promise<number> {
  const s = net.createServer()
  await listen(s)
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
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
