import dgram from 'node:dgram'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'

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
  readonly id: string
  readonly port: number
  /** Requests (HTTP) or connections (TCP) it has seen. */
  readonly seen: { requests: number; connections: number }
  close(): Promise<void>
}

const servers = new Set<{ close(): Promise<void> }>()

/** Closes every test server still running (call in afterEach/afterAll). */
export async function closeServers(): Promise<void> {
  await Promise.all([...servers].map((s) => s.close()))
  servers.clear()
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
  server.on('connection', () => seen.connections++)
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const s = {
    id,
    port: (server.address() as AddressInfo).port,
    seen,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        servers.delete(s)
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  servers.add(s)
  return s
}

/** A TCP server on 127.0.0.1; `onConnection` gets each socket (default: echo everything back). */
export async function tcpServer(id: string, onConnection?: (socket: net.Socket) => void, port = 0, options: net.ServerOpts = {}): Promise<TestServer & { server: net.Server }> {
  const seen = { requests: 0, connections: 0 }
  const sockets = new Set<net.Socket>()
  const server = net.createServer(options, (socket) => {
    seen.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (onConnection !== undefined) onConnection(socket)
    else socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const s = {
    id,
    port: (server.address() as AddressInfo).port,
    seen,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        servers.delete(s)
        for (const x of sockets) x.destroy()
        server.close(() => resolve())
      }),
  }
  servers.add(s)
  return s
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
  const s = {
    id,
    port: socket.address().port,
    seen,
    socket,
    close: () =>
      new Promise<void>((resolve) => {
        servers.delete(s)
        socket.close(() => resolve())
      }),
  }
  servers.add(s)
  return s
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
