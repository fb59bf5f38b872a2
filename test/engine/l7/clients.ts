import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import type { Engine } from '../../../engine/runtime/engine.js'
import { engineFrom } from '../../helpers/engine.js'
import { closedPort, type Echo } from '../../helpers/test-servers.js'

/** A complete response as a client saw it. */
export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Header lines exactly as received (names in their original case). */
  readonly rawHeaders: readonly string[]
  readonly body: Buffer
  readonly text: string
  /** The body parsed as the JSON echo of `httpBackend`. */
  echo(): Echo
}

/** Options of {@link send}. */
export interface SendOptions {
  readonly method?: string
  readonly headers?: Record<string, string | string[]>
  readonly body?: string | Buffer
  /** Default: a fresh connection per request (`agent: false`). */
  readonly agent?: http.Agent | false
  readonly timeoutMs?: number
}

const agents = new Set<http.Agent>()

/** A keep-alive agent with one socket, destroyed by {@link destroyAgents}. */
export function keepAliveAgent(options: http.AgentOptions = {}): http.Agent {
  const a = new http.Agent({ keepAlive: true, maxSockets: 1, ...options })
  agents.add(a)
  return a
}

/** A keep-alive HTTPS agent, destroyed by {@link destroyAgents}. */
export function keepAliveHttpsAgent(options: https.AgentOptions): https.Agent {
  const a = new https.Agent({ keepAlive: true, maxSockets: 1, ...options })
  agents.add(a)
  return a
}

/** Destroys every agent made here (call in afterEach). */
export function destroyAgents(): void {
  for (const a of agents) a.destroy()
  agents.clear()
}

function toReply(res: http.IncomingMessage, body: Buffer): Reply {
  const text = body.toString('utf8')
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    rawHeaders: res.rawHeaders,
    body,
    text,
    echo: () => JSON.parse(text) as Echo,
  }
}

/** Sends one request with node:http and reads the whole response. */
export function send(address: { host: string; port: number }, path: string, options: SendOptions = {}): Promise<Reply> {
  return exchange(http.request, address, path, options, {})
}

/** Sends one request over HTTPS (TLS options such as `ca`, `servername` pass through). */
export function sendTls(address: { host: string; port: number }, path: string, options: SendOptions & { tls: https.RequestOptions }): Promise<Reply> {
  return exchange(https.request, address, path, options, options.tls)
}

function exchange(request: typeof http.request, address: { host: string; port: number }, path: string, options: SendOptions, extra: https.RequestOptions): Promise<Reply> {
  const timeoutMs = options.timeoutMs ?? 10_000
  return new Promise((resolve, reject) => {
    const req = request({ host: address.host, port: address.port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: options.agent ?? false, ...extra }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve(toReply(res, Buffer.concat(chunks))))
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response to ${path} within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A parsed response read off a raw connection. */
export interface RawResponse {
  readonly status: number
  readonly reason: string
  readonly version: string
  /** Lower-case name → values in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>
  readonly body: Buffer
  header(name: string): string | undefined
}

/**
 * Splits `buf` into complete responses (Content-Length, chunked, or no body for 1xx/204/304 and
 * `bodiless` positions such as HEAD). A response delimited by the connection closing takes the rest
 * of the buffer when `closed`. Returns the responses and the bytes left over.
 */
export function parseResponses(buf: Buffer, options: { closed?: boolean; bodiless?: readonly number[] } = {}): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = []
  let pos = 0
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', pos, 'latin1')
    if (headEnd < 0) break
    const lines = buf.toString('latin1', pos, headEnd).split('\r\n')
    const m = /^HTTP\/(\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0] ?? '')
    if (m === null) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`)
    const headers = new Map<string, string[]>()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).toLowerCase()
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()])
    }
    const status = Number(m[2])
    const bodyStart = headEnd + 4
    const make = (body: Buffer): RawResponse => ({
      status,
      reason: m[3] ?? '',
      version: m[1] ?? '',
      headers,
      body,
      header: (name) => headers.get(name.toLowerCase())?.[0],
    })
    const bodiless = status < 200 || status === 204 || status === 304 || (options.bodiless ?? []).includes(responses.length)
    if (bodiless) {
      responses.push(make(Buffer.alloc(0)))
      pos = bodyStart
      continue
    }
    const te = headers.get('transfer-encoding')?.join(',').toLowerCase()
    const cl = headers.get('content-length')?.[0]
    if (te !== undefined && te.includes('chunked')) {
      const decoded = decodeChunked(buf, bodyStart)
      if (decoded === undefined) break
      responses.push(make(decoded.body))
      pos = decoded.end
    } else if (cl !== undefined) {
      const end = bodyStart + Number(cl)
      if (end > buf.length) break
      responses.push(make(buf.subarray(bodyStart, end)))
      pos = end
    } else {
      if (options.closed !== true) break
      responses.push(make(buf.subarray(bodyStart)))
      pos = buf.length
    }
  }
  return { responses, rest: buf.subarray(pos) }
}

/** Decodes a chunked body starting at `start`; undefined when incomplete. */
export function decodeChunked(buf: Buffer, start: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = []
  let pos = start
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos, 'latin1')
    if (lineEnd < 0) return undefined
    const size = parseInt(buf.toString('latin1', pos, lineEnd).split(';')[0]!, 16)
    pos = lineEnd + 2
    if (size === 0) {
      // Trailer section, ended by an empty line.
      for (;;) {
        const e = buf.indexOf('\r\n', pos, 'latin1')
        if (e < 0) return undefined
        const empty = e === pos
        pos = e + 2
        if (empty) return { body: Buffer.concat(parts), end: pos }
      }
    }
    if (pos + size + 2 > buf.length) return undefined
    parts.push(buf.subarray(pos, pos + size))
    pos += size + 2
  }
}

/** A raw client connection that records everything it receives. */
export class RawClient {
  readonly socket: net.Socket
  private chunks: Buffer[] = []
  private waiters: (() => void)[] = []
  /** True once the server ended or the connection closed. */
  ended = false
  /** Resolves when the connection is fully closed. */
  readonly closed: Promise<void>

  private constructor(socket: net.Socket) {
    this.socket = socket
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c)
      this.wake()
    })
    socket.on('error', () => {})
    socket.on('end', () => {
      this.ended = true
      this.wake()
    })
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true
        this.wake()
        resolve()
      }),
    )
  }

  /** Connects a plain TCP client (or wraps an existing socket, e.g. a TLS one). */
  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = net.connect({ host, port, noDelay: true })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawClient(socket)
  }

  /** Wraps a connected socket. */
  static wrap(socket: net.Socket | tls.TLSSocket): RawClient {
    return new RawClient(socket)
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Everything received so far. */
  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)]
    return this.chunks[0] ?? Buffer.alloc(0)
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
  }

  /** Waits until `done(received)` holds, or the connection ended (then checks once more), or the deadline. */
  async until(done: (received: Buffer) => boolean, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (done(this.received)) return this.received
      if (this.ended) throw new Error(`connection ended; received ${JSON.stringify(this.received.toString('latin1').slice(0, 500))}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out; received ${JSON.stringify(this.received.toString('latin1').slice(0, 500))}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Waits for `count` complete responses. */
  async responses(count: number, timeoutMs = 10_000, bodiless: readonly number[] = []): Promise<RawResponse[]> {
    let parsed: RawResponse[] = []
    await this.until((b) => (parsed = parseResponses(b, { closed: this.ended, bodiless }).responses).length >= count, timeoutMs)
    return parsed
  }

  /** Waits for the connection to close; rejects after the deadline. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs)
      }),
    ]).finally(() => clearTimeout(timer))
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Counts of each value. */
export function countBy<T>(values: readonly T[]): Map<T, number> {
  const m = new Map<T, number>()
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1)
  return m
}

/** A pool configuration over running test servers (backend ids are the servers' ids). */
export function poolOf(servers: readonly { id: string; port: number }[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { backends: servers.map((s) => ({ id: s.id, host: '127.0.0.1', port: s.port })), ...extra }
}

/** An http listener on an ephemeral port with the given routes (and any other listener fields). */
export function httpListener(routes: readonly unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes, ...extra }
}

/** The admin endpoint on an ephemeral port. */
export const ADMIN = { listen: '127.0.0.1:0' } as const

/**
 * Starts an engine from `build(port)`, where `port` has nothing listening: a backend that refuses
 * connections. The engine binds its own ports after the port is chosen, so it could be handed that
 * very port (and then proxy to itself); in that case it is stopped and another port is tried.
 */
export async function engineWithClosedPort(build: (port: number) => unknown): Promise<Engine> {
  for (;;) {
    const port = await closedPort()
    const engine = await engineFrom(build(port))
    const own = [...engine.listeners.map((l) => l.address.port), ...(engine.admin === undefined ? [] : [engine.admin.port])]
    if (!own.includes(port)) return engine
    await engine.stop({ drainMs: 0 })
  }
}
