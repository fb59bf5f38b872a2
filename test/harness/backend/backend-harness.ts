/**
 * Test helpers for the backend application: spawn the built program, talk to its control API,
 * and read HTTP responses off raw sockets (so framing, pipelining and resets are visible).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseResponseHead } from '../../../engine/http/index.js'

/** The built backend (`npx tsc -p tsconfig.json` first). */
export const BACKEND_MAIN = fileURLToPath(new URL('../../../dist/harness/backend/main.js', import.meta.url))

/** The readiness line's payload. */
export interface Ready {
  id: string
  pid: number
  http?: number
  tcp?: number
  udp?: number
  control: number
}

export interface SpawnedBackend {
  readonly child: ChildProcess
  readonly ready: Ready
  /** Everything written to stdout / stderr so far. */
  stdout(): string
  stderr(): string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Calls the control API; resolves with the status and parsed JSON. */
  control<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>
}

const children = new Set<ChildProcess>()

/** Kills every backend still running (call in afterEach / afterAll). */
export function killBackends(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
}

/** Runs the backend with `args` (and `env`) and resolves once it prints its readiness line. */
export function spawnBackend(config: unknown, options: { env?: Record<string, string>; args?: string[] } = {}): Promise<SpawnedBackend> {
  const args = options.args ?? ['--config', JSON.stringify(config)]
  const child = spawn(process.execPath, [BACKEND_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  children.add(child)
  let out = ''
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^ready (.*)$/m.exec(out)
      if (m === null) return
      const ready = JSON.parse(m[1]!) as Ready
      resolve({
        child,
        ready,
        stdout: () => out,
        stderr: () => err,
        exited,
        control: async <T>(method: string, path: string, body?: unknown) => {
          const res = await fetch(`http://127.0.0.1:${ready.control}${path}`, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
          return { status: res.status, body: (await res.json()) as T }
        },
      })
    })
    void exited.then(({ code }) => reject(new Error(`backend exited with ${code} before ready: ${err}`)))
  })
}

/** A base config with ephemeral ports for the given listeners. */
export function config(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, http: { port: 0 }, control: { port: 0 }, ...extra }
}

/** One response read off a raw connection, body decoded from its framing. */
export interface RawResponse {
  version: string
  status: number
  headers: Map<string, string>
  body: Buffer
  /** True when the body came chunked. */
  chunked: boolean
  /** Chunks the body came in (0 unless chunked). */
  chunks: number
}

/**
 * A client connection read response by response. Works over any duplex socket (TCP or TLS);
 * `closed` resolves with the socket error code (e.g. ECONNRESET) or `end`.
 */
export class RawConnection {
  private buf: Buffer = Buffer.alloc(0)
  private wake: (() => void) | undefined
  /** Bytes received since the connection opened. */
  received = 0
  ended = false
  readonly closed: Promise<string>

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length
      this.buf = Buffer.concat([this.buf, chunk])
      this.wake?.()
    })
    this.closed = new Promise((resolve) => {
      let code = 'end'
      socket.on('error', (e: NodeJS.ErrnoException) => (code = e.code ?? e.message))
      socket.on('close', () => {
        this.ended = true
        this.wake?.()
        resolve(code)
      })
    })
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawConnection(socket)))
      socket.once('error', reject)
    })
  }

  write(data: string | Buffer): void {
    this.socket.write(data)
  }

  close(): void {
    this.socket.destroy()
  }

  /** Waits until `n` bytes are buffered (or the connection closes). */
  private async need(n: number): Promise<void> {
    while (this.buf.length < n && !this.ended) await new Promise<void>((r) => (this.wake = r))
    this.wake = undefined
    if (this.buf.length < n) throw new Error(`connection closed with ${this.buf.length} of ${n} bytes buffered`)
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n)
    this.buf = this.buf.subarray(n)
    return out
  }

  /** The next line (without CRLF or LF). */
  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf(0x0a)
      if (i >= 0) return this.take(i + 1).toString('latin1').replace(/\r?\n$/, '')
      await this.need(this.buf.length + 1)
    }
  }

  /** The next response; `method` tells whether a body follows (HEAD: none). Skips 1xx answers. */
  async response(method = 'GET'): Promise<RawResponse> {
    for (;;) {
      const r = parseResponseHead(this.buf, 0, this.buf.length)
      if (r.status === 'error') throw new Error(`bad response head: ${r.reason}`)
      if (r.status === 'incomplete') {
        await this.need(this.buf.length + 1)
        continue
      }
      const head = r.head
      this.take(head.headBytes)
      if (head.status < 200) continue
      const headers = new Map(head.headers.map((h) => [h.name.toLowerCase(), h.value]))
      const base = { version: head.version, status: head.status, headers }
      if (method === 'HEAD' || head.framing.kind === 'none') return { ...base, body: Buffer.alloc(0), chunked: false, chunks: 0 }
      if (head.framing.kind === 'length') {
        await this.need(head.framing.length)
        return { ...base, body: Buffer.from(this.take(head.framing.length)), chunked: false, chunks: 0 }
      }
      if (head.framing.kind !== 'chunked') throw new Error(`unexpected framing ${head.framing.kind}`)
      const parts: Buffer[] = []
      for (;;) {
        const size = parseInt(await this.line(), 16)
        if (size === 0) {
          await this.line() // the empty line after the last chunk (no trailers here)
          return { ...base, body: Buffer.concat(parts), chunked: true, chunks: parts.length }
        }
        await this.need(size + 2)
        parts.push(Buffer.from(this.take(size)))
        this.take(2)
      }
    }
  }

  /** Sends `GET path` (HTTP/1.1, Host set) and reads the answer. */
  async get(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    this.write(request('GET', path, headers))
    return this.response()
  }
}

/** An HTTP/1.1 request head (and body) as a string. */
export function request(method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: backend.test', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  return `${lines.join('\r\n')}\r\n\r\n${body}`
}

/** The JSON body of a response. */
export function json<T = any>(r: RawResponse): T {
  return JSON.parse(r.body.toString('utf8')) as T
}
