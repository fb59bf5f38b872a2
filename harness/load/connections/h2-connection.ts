/**
 * HTTP/2 and unary gRPC for the native generator. A client of the run's pool is one stream slot:
 * `streamsPerConnection` consecutive clients share one `node:http2` session, so the pool's slots,
 * pacing, timeouts and recording serve HTTP/2 unchanged while each session multiplexes its
 * clients' streams. A session that receives GOAWAY (a maximum connection age, a drain) takes no
 * new streams: its clients move to a fresh session as their streams finish. A stream the server
 * refused unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream id) is sent again on a fresh
 * session, as gRPC clients retry transparently; its latency includes the second try.
 */
import http2 from 'node:http2'
import net from 'node:net'
import { grpcCodeOfHttpStatus, grpcStatusName } from '../../backend/grpc-status.js'
import type { LoadTarget } from '../load-types.js'
import type { H2RequestEncoder } from './h2-request.js'
import type { ConnectionFactory, ExchangeResult, LoadConnection } from './load-connection.js'
import { defaultHostHeader } from './http-request.js'

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants

/** Times one request is sent again after its stream was refused unprocessed. */
const MAX_REFUSALS = 3

/** Client settings: windows above Node's 64 KiB so large replies are not throttled by the client. */
const SETTINGS: http2.Settings = { initialWindowSize: 1 << 20, enablePush: false }

/** One session and the clients using it. */
class SharedSession {
  readonly session: http2.ClientHttp2Session
  users = 0
  connected = false
  /** GOAWAY received or the session ended: no new streams. */
  closing = false
  /** The last stream id a GOAWAY said the server took; later ones were never processed. */
  lastStreamId: number | undefined
  private readonly waiting: ((error: Error | undefined, handshakeNs: bigint) => void)[] = []

  constructor(target: LoadTarget, localAddress: string | undefined) {
    const started = process.hrtime.bigint()
    const authority = `http://${defaultHostHeader(target)}`
    // Nagle off, as on every other connection of the generator: a stream's HEADERS frame must not
    // wait for the ACK of the one before it (with delayed ACKs, tens of milliseconds).
    const createConnection = () => net.connect({ host: target.host, port: target.port, noDelay: true, ...(localAddress === undefined ? {} : { localAddress }) })
    this.session = http2.connect(authority, { settings: SETTINGS, createConnection })
    this.session.once('connect', () => {
      this.connected = true
      const handshake = process.hrtime.bigint() - started
      // The session's first client reports the handshake; the others share it.
      this.waiting.splice(0).forEach((done, i) => done(undefined, i === 0 ? handshake : -1n))
    })
    this.session.on('goaway', (_code: number, lastStreamId: number) => {
      this.closing = true
      this.lastStreamId = lastStreamId
    })
    this.session.on('error', (e: Error) => {
      this.closing = true
      this.waiting.splice(0).forEach((done) => done(e, -1n))
    })
    this.session.once('close', () => {
      this.closing = true
      this.waiting.splice(0).forEach((done) => done(new Error('session closed'), -1n))
    })
  }

  /** Calls `done` once the session is up (from a session event, never synchronously). */
  whenConnected(done: (error: Error | undefined, handshakeNs: bigint) => void): void {
    if (!this.connected) this.waiting.push(done)
    else setImmediate(() => (this.closing ? done(new Error('session closed'), -1n) : done(undefined, -1n)))
  }

  release(): void {
    if (--this.users > 0) return
    this.closing = true
    this.session.close()
    // Streams still open when the run ends are cancelled.
    setImmediate(() => this.session.destroy())
  }
}

/** How a stream's reply is judged: HTTP/2 by its status, gRPC by its `grpc-status`. */
export type H2Flavour = 'h2' | 'grpc'

/** One client: one stream at a time on its group's session. */
class H2StreamConnection implements LoadConnection {
  private shared: SharedSession | undefined
  private stream: http2.ClientHttp2Stream | undefined
  private destroyed = false
  private failed = false

  constructor(
    private readonly sessions: (client: number) => SharedSession,
    private readonly client: number,
    private readonly encode: H2RequestEncoder,
    private readonly flavour: H2Flavour,
  ) {}

  open(done: (error: Error | undefined, handshakeNs: bigint) => void): void {
    const shared = this.sessions(this.client)
    shared.users++
    this.shared = shared
    shared.whenConnected((error, handshakeNs) => {
      if (this.destroyed) return
      if (error !== undefined) this.failed = true
      done(error, handshakeNs)
    })
  }

  get reusable(): boolean {
    const s = this.shared
    return s !== undefined && s.connected && !s.closing && !this.failed && !this.destroyed && this.stream === undefined
  }

  /** Sends request `i` as a stream. Client aborts are HTTP/1 exchanges: plans refuse them for h2 (load-plan.ts). */
  send(i: number, done: (result: ExchangeResult) => void, cookie?: string): void {
    this.attempt(i, done, cookie, 0)
  }

  /** One try of request `i`; `refusals`: how often the server refused it unprocessed before. */
  private attempt(i: number, done: (result: ExchangeResult) => void, cookie: string | undefined, refusals: number): void {
    const { headers, body } = this.encode(i, cookie)
    let stream: http2.ClientHttp2Stream
    try {
      stream = this.shared!.session.request(headers, { endStream: body === undefined })
    } catch {
      this.failed = true
      setImmediate(() => !this.destroyed && done({ ok: false, kind: 'reset' }))
      return
    }
    this.stream = stream
    let head: http2.IncomingHttpHeaders | undefined
    let trailers: http2.IncomingHttpHeaders | undefined
    stream.on('response', (h) => (head = h))
    stream.on('trailers', (t) => (trailers = t))
    stream.on('data', () => undefined)
    stream.on('error', () => undefined)
    stream.once('close', () => {
      if (this.stream === stream) this.stream = undefined
      if (this.destroyed) return
      if (head === undefined && refusals < MAX_REFUSALS && this.refused(stream)) return this.again(i, done, cookie, refusals + 1)
      // A reset stream leaves its session to the others: the client stays unless the session goes.
      done(this.judge(stream, head, trailers))
    })
    if (body !== undefined) stream.end(body)
  }

  /** True when the server never processed `stream`, so sending it again is safe. */
  private refused(stream: http2.ClientHttp2Stream): boolean {
    const last = this.shared?.lastStreamId
    return stream.rstCode === NGHTTP2_REFUSED_STREAM || (last !== undefined && stream.id !== undefined && stream.id > last)
  }

  /** Sends request `i` again on the client's next session. */
  private again(i: number, done: (result: ExchangeResult) => void, cookie: string | undefined, refusals: number): void {
    this.shared?.release()
    this.shared = undefined
    this.open((error) => {
      if (error !== undefined) return done({ ok: false, kind: 'connect' })
      this.attempt(i, done, cookie, refusals)
    })
  }

  /** What a closed stream amounts to. */
  private judge(stream: http2.ClientHttp2Stream, head: http2.IncomingHttpHeaders | undefined, trailers: http2.IncomingHttpHeaders | undefined): ExchangeResult {
    if (head === undefined || (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR)) return { ok: false, kind: 'reset' }
    const status = Number(head[':status'])
    const backendHeader = head['x-backend']
    const backend = typeof backendHeader === 'string' ? { backend: backendHeader } : {}
    if (this.flavour === 'h2') {
      const cookies = head['set-cookie']
      const setCookies = cookies === undefined ? {} : { setCookies: cookies.map((c) => c.split(';', 1)[0]!) }
      return status < 400 ? { ok: true, status: String(status), ...backend, ...setCookies } : { ok: false, kind: 'status', status: String(status), ...backend, ...setCookies }
    }
    // gRPC: the status is in the trailers, or in the headers of a Trailers-Only reply; an HTTP
    // reply without one counts as gRPC maps its HTTP status.
    const raw = trailers?.['grpc-status'] ?? head['grpc-status']
    const code = raw === undefined ? (status === 200 ? 2 : grpcCodeOfHttpStatus(status)) : Number(raw)
    const name = grpcStatusName(code)
    return code === 0 ? { ok: true, status: name, ...backend } : { ok: false, kind: 'status', status: name, ...backend }
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    const stream = this.stream
    this.stream = undefined
    if (stream !== undefined && !stream.closed) stream.close(NGHTTP2_CANCEL)
    this.shared?.release()
    this.shared = undefined
  }
}

/**
 * The clients of an h2 or grpc run: client `c` uses session `⌊c / streamsPerConnection⌋`, made
 * (again) when it has none that takes new streams.
 */
export function h2ConnectionFactory(
  target: LoadTarget,
  streamsPerConnection: number,
  encode: H2RequestEncoder,
  flavour: H2Flavour,
  localAddressOf: (session: number) => string | undefined,
): ConnectionFactory {
  const sessions: (SharedSession | undefined)[] = []
  const sessionOf = (client: number): SharedSession => {
    const n = Math.floor(client / streamsPerConnection)
    let s = sessions[n]
    if (s === undefined || s.closing) {
      s = new SharedSession(target, localAddressOf(n))
      sessions[n] = s
    }
    return s
  }
  return (client) => new H2StreamConnection(sessionOf, client, encode, flavour)
}
