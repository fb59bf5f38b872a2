/**
 * HTTP/2 on an accepted connection (h2c by prior knowledge, or TLS after ALPN chose `h2`), served
 * by one `node:http2` server that never listens itself: each stream is a request answered as the
 * HTTP/1.1 protocol answers it — health at once, everything else after the behaviour's latency,
 * error or reset — except that a reset resets the stream (RST_STREAM), the request's own unit in
 * HTTP/2, not the connection its neighbours share.
 */
import http2 from 'node:http2'
import type { BackendConfig } from './backend-config.js'
import type { BackendState } from './backend-state.js'
import { errorStatusOf, type Outcome } from './behaviour.js'
import { ageConnection } from './connection-age.js'
import { attributeClient, errorBody, healthBody, isHealthPath, servedBody, type AnsweredRequest } from './http-answers.js'
import { paceBody } from './slow-body.js'
import type { AcceptedConnection, ProtocolConnection } from './stream-listener.js'

const { NGHTTP2_INTERNAL_ERROR } = http2.constants

/** Connection-level settings: windows well above Node's 64 KiB so a fast client is not throttled. */
const SETTINGS: http2.Settings = { initialWindowSize: 1 << 20, maxConcurrentStreams: 1000 }
const SESSION_WINDOW = 16 << 20

/** One header's value as a string (HTTP/2 may deliver repeated headers as an array). */
function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/** The HTTP/2 protocol of the backend with `state`: serves each connection handed to it. */
export function h2Protocol(state: BackendState, age: BackendConfig['connectionAge']): (accepted: AcceptedConnection) => ProtocolConnection {
  const server = http2.createServer({ settings: SETTINGS })
  const accepted = new WeakMap<http2.Http2Session, AcceptedConnection>()
  let arriving: AcceptedConnection | undefined
  let made: http2.ServerHttp2Session | undefined
  server.on('session', (session) => {
    accepted.set(session, arriving!)
    made = session
    session.on('error', () => session.destroy())
    session.setLocalWindowSize(SESSION_WINDOW)
    if (age !== undefined) ageConnection(session, age, state.draw.bind(state))
  })
  server.on('stream', (stream, headers) => {
    const from = accepted.get(stream.session!)
    if (from !== undefined) new H2Exchange(state, from, stream, headers)
  })
  return (connection) => {
    // The session is made, and 'session' emitted, synchronously inside this emit.
    arriving = connection
    server.emit('connection', connection.socket)
    arriving = undefined
    const session = made!
    made = undefined
    return { drain: () => session.close() }
  }
}

/** One request on a stream. */
class H2Exchange {
  private readonly request: AnsweredRequest
  private cancel: (() => void) | undefined

  constructor(
    private readonly state: BackendState,
    private readonly from: AcceptedConnection,
    private readonly stream: http2.ServerHttp2Stream,
    private readonly headers: http2.IncomingHttpHeaders,
  ) {
    const method = headers[':method'] ?? 'GET'
    const target = headers[':path'] ?? '/'
    this.request = { method, target, get: (name) => one(headers[name]) }
    stream.on('error', () => stream.destroy())
    stream.once('close', () => this.cancel?.())
    if ((method === 'GET' || method === 'HEAD') && isHealthPath(target)) {
      stream.resume()
      const healthy = state.healthy
      this.respond(healthy ? 200 : 503, undefined, healthBody(state.id, healthy))
    } else {
      // The request is whole once its body has been read, as on HTTP/1.1.
      stream.resume()
      stream.once('end', () => this.dispatch())
    }
  }

  private dispatch(): void {
    const { state, from } = this
    const served = ++state.served.http.requests
    const seen = attributeClient(one(this.headers['x-forwarded-for']), one(this.headers['x-real-ip']), from.client)
    state.see(from.tls, seen.address, seen.via, from.peer)
    const { delayMs, outcome } = state.decide()
    if (delayMs <= 0) return this.answer(served, outcome)
    const held = state.hold(delayMs, () => {
      this.cancel = undefined
      this.answer(served, outcome)
    })
    this.cancel = () => held.cancel()
  }

  private answer(served: number, outcome: Outcome): void {
    const { state, stream } = this
    if (stream.closed) return
    if (outcome === 'reset') {
      state.served.http.resets++
      return stream.close(NGHTTP2_INTERNAL_ERROR)
    }
    if (outcome === 'error') {
      const status = errorStatusOf(state.behaviour)
      state.countStatus(status)
      return this.respond(status, served, errorBody(state.id, status, served))
    }
    state.countStatus(200)
    const { responseBytes, slowBody } = state.behaviour
    const body = servedBody(state.id, this.request, this.from.client, served, responseBytes)
    if (slowBody === undefined || this.request.method === 'HEAD' || body.length === 0) return this.respond(200, served, body)
    this.respondHead(200, served, body.length, false)
    const paced = paceBody(body.length, slowBody.bytesPerSecond, (a, b) => stream.write(body.slice(a, b), 'latin1'), () => {
      this.cancel = undefined
      stream.end()
    })
    this.cancel = () => paced.cancel()
  }

  private respond(status: number, served: number | undefined, body: string): void {
    if (this.stream.closed) return
    const headOnly = this.request.method === 'HEAD'
    this.respondHead(status, served, body.length, headOnly)
    if (!headOnly) this.stream.end(body, 'latin1')
  }

  private respondHead(status: number, served: number | undefined, length: number, endStream: boolean): void {
    const headers: http2.OutgoingHttpHeaders = { ':status': status, 'x-backend': this.state.id, 'content-type': 'application/json', 'content-length': length }
    if (served !== undefined) headers['x-backend-served'] = served
    this.stream.respond(headers, { endStream })
  }
}
