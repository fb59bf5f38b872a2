import dgram from 'node:dgram'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import tls from 'node:tls'

/** What an HTTP test backend saw, echoed back as JSON. */
export interface Echo {
  readonly backend: string
  readonly method: string
  readonly url: string
  readonly httpVersion: string
  readonly headers: Record<string, string | string[] | undefined>
  readonly bodyBytes: number
  readonly body: string
  readonly remoteAddress: string
  readonly remotePort: number
}

/** A running test server; `close` ends it and every connection it holds. */
export interface TestServer {
  /** The name it answers as (for a backend that takes several in turn, all of them, comma-joined). */
  readonly id: string
  readonly port: number
  /** Requests (HTTP requests, lines, datagrams) and connections it has seen. */
  readonly seen: { requests: number; connections: number }
  close(): Promise<void>
}

const running = new Set<TestServer>()

/** Closes every test server still running (call in afterEach/afterAll). */
export async function closeServers(): Promise<void> {
  const all = [...running]
  running.clear()
  await Promise.all(all.map((s) => s.close()))
}

/** Adds a started server to those {@link closeServers} ends; its own `close` takes it off again. */
function register<S extends Omit<TestServer, 'close'>>(fields: S, stop: () => Promise<void>): S & TestServer {
  const s: S & TestServer = {
    ...fields,
    close: () => {
      running.delete(s)
      return stop()
    },
  }
  running.add(s)
  return s
}

const listen = (server: net.Server, port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))

/**
 * Starts `server` on 127.0.0.1 (an ephemeral port unless `port` is given) as a test server: counts
 * its connections in `seen.connections` (TLS ones once the handshake is done, so a failed
 * handshake does not count) and destroys those still open when it is closed. For helpers that
 * build their own protocol on a net, http, https or tls server.
 */
export async function startServer<S extends net.Server>(
  id: string,
  server: S,
  seen: TestServer['seen'] = { requests: 0, connections: 0 },
  port = 0,
): Promise<TestServer & { server: S }> {
  const sockets = new Set<net.Socket>()
  // Prepended so the count and the error guard are in place before any handler of the server runs.
  server.prependListener(server instanceof tls.Server ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    seen.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  })
  await listen(server, port)
  // server.close alone would wait for keep-alive, upgraded and held connections to end on their own.
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const x of sockets) x.destroy()
      server.close(() => resolve())
    })
  return register({ id, port: (server.address() as AddressInfo).port, seen, server }, stop)
}

/**
 * An HTTP/1.1 backend on 127.0.0.1 that answers every request with a JSON echo of what it saw,
 * identifying itself in the `x-backend` header. `handler` may take over a request instead.
 */
export async function httpBackend(
  id: string,
  handler?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | void,
  port = 0,
): Promise<TestServer & { server: http.Server }> {
  const seen = { requests: 0, connections: 0 }
  const server = http.createServer((req, res) => {
    seen.requests++
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      res.setHeader('x-backend', id)
      if (handler?.(req, res, body) === true) return
      const echo: Echo = {
        backend: id,
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        headers: req.headers,
        bodyBytes: body.length,
        body: body.length <= 4096 ? body.toString('utf8') : '',
        remoteAddress: req.socket.remoteAddress ?? '',
        remotePort: req.socket.remotePort ?? 0,
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(echo))
    })
  })
  server.keepAliveTimeout = 30_000
  return startServer(id, server, seen, port)
}

/** A TCP server on 127.0.0.1; `onConnection` gets each socket (default: echo everything back). */
export async function tcpServer(id: string, onConnection?: (socket: net.Socket) => void, port = 0, options: net.ServerOpts = {}): Promise<TestServer & { server: net.Server }> {
  const server = net.createServer(options, (socket) => {
    if (onConnection !== undefined) onConnection(socket)
    else socket.pipe(socket)
  })
  return startServer(id, server, undefined, port)
}

/** A UDP server on 127.0.0.1 that replies `${id}:${datagram}` to each datagram. */
export async function udpEcho(id: string): Promise<TestServer & { socket: dgram.Socket }> {
  const seen = { requests: 0, connections: 0 }
  const socket = dgram.createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    seen.requests++
    socket.send(Buffer.concat([Buffer.from(`${id}:`), msg]), rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const stop = () => new Promise<void>((resolve) => socket.close(() => resolve()))
  return register({ id, port: socket.address().port, seen, socket }, stop)
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer()
  await listen(s, 0)
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
