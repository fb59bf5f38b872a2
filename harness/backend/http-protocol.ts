/**
 * HTTP/1.0 and 1.1 on one connection, on the engine's codec: requests are read strictly in order
 * (pipelining-safe), their bodies consumed whatever their framing, and each is answered in turn —
 * health checks at once, everything else after the behaviour's latency, error or reset.
 */
import type { Socket } from 'node:net'
import { ChunkedError, ChunkedTracker, parseRequestHead, type RequestHead } from '../../engine/http/index.js'
import type { PreciseTimer } from '../../engine/runtime/precise-timers.js'
import type { BackendState } from './backend-state.js'
import { errorStatusOf, type Outcome } from './behaviour.js'
import { AnswerHeads, attributeClient, errorBody, healthBody, isHealthPath, protocolErrorBody, servedBody } from './http-answers.js'
import { paceBody, type PacedBody } from './slow-body.js'
import { appendToUnread, readAccepted, resetConnection, type AcceptedConnection, type ProtocolConnection } from './stream-listener.js'
import { startWebSocketEcho, websocketKey } from './websocket-echo.js'

/** Unparsed bytes held while a request is being answered before reading stops. */
const MAX_BUFFERED = 1 << 20
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n'
const EMPTY = Buffer.alloc(0)

// Where a connection is: reading a head or a body, answering (nothing is read), or done.
const HEAD = 0
const LENGTH_BODY = 1
const CHUNKED_BODY = 2
const BUSY = 3
const CLOSED = 4

/** The HTTP protocol of the backend with `state`: serves each accepted connection. */
export function httpProtocol(state: BackendState): (accepted: AcceptedConnection) => ProtocolConnection {
  const heads = new AnswerHeads(state.id)
  return (accepted) => new HttpConnection(state, heads, accepted)
}

class HttpConnection implements ProtocolConnection {
  private buf: Buffer = EMPTY
  private pos = 0
  private phase = HEAD
  private remaining = 0
  private tracker: ChunkedTracker | undefined
  private head: RequestHead | undefined
  private draining = false
  private awaitingDrain = false
  private paced: PacedBody | undefined
  private held: PreciseTimer | undefined
  /** After a WebSocket upgrade: where the bytes go instead of the HTTP reader. */
  private websocket: ((chunk: Buffer) => void) | undefined
  private readonly socket: Socket

  constructor(
    private readonly state: BackendState,
    private readonly heads: AnswerHeads,
    private readonly accepted: AcceptedConnection,
  ) {
    this.socket = accepted.socket
    readAccepted(accepted, (chunk) => this.onData(chunk), () => this.onClose())
  }

  drain(): void {
    this.draining = true
    if (this.phase === HEAD && this.pos >= this.buf.length) this.close()
  }

  private onClose(): void {
    this.phase = CLOSED
    this.paced?.cancel()
    this.held?.cancel()
  }

  private onData(chunk: Buffer): void {
    if (this.websocket !== undefined) return this.websocket(chunk)
    this.buf = appendToUnread(this.buf, this.pos, chunk)
    this.pos = 0
    if (this.phase === BUSY) {
      if (this.buf.length > MAX_BUFFERED) this.socket.pause()
    } else {
      this.pump()
    }
  }

  /** Reads and answers as many requests as the buffered bytes hold, until one has to wait. */
  private pump(): void {
    while (this.phase < BUSY) {
      if (this.socket.writableNeedDrain) return this.waitForDrain()
      const end = this.buf.length
      if (this.phase === HEAD) {
        if (this.pos >= end) return
        const r = parseRequestHead(this.buf, this.pos, end)
        if (r.status === 'incomplete') return
        if (r.status === 'error') return this.refuse(r.httpStatus, r.code, r.reason)
        const head = (this.head = r.head)
        this.pos += head.headBytes
        const framing = head.framing
        if (head.expectContinue && framing.kind !== 'none') this.socket.write(CONTINUE, 'latin1')
        if (framing.kind === 'length' && framing.length > 0) {
          this.remaining = framing.length
          this.phase = LENGTH_BODY
        } else if (framing.kind === 'chunked') {
          this.tracker = new ChunkedTracker()
          this.phase = CHUNKED_BODY
        } else {
          this.dispatch(head)
        }
      } else if (this.phase === LENGTH_BODY) {
        const n = Math.min(this.remaining, end - this.pos)
        this.pos += n
        this.remaining -= n
        if (this.remaining > 0) return
        this.dispatch(this.head!)
      } else {
        let at: number
        try {
          at = this.tracker!.feed(this.buf, this.pos, end)
        } catch (e) {
          if (e instanceof ChunkedError) return this.refuse(e.httpStatus, e.code, e.message)
          throw e
        }
        if (at < 0) {
          this.pos = end
          return
        }
        this.pos = at
        this.tracker = undefined
        this.dispatch(this.head!)
      }
    }
  }

  /** A whole request has been read: answer it now or after its latency. */
  private dispatch(head: RequestHead): void {
    this.head = undefined
    if ((head.method === 'GET' || head.method === 'HEAD') && isHealthPath(head.target)) {
      const healthy = this.state.healthy
      return this.send(head, healthy ? 200 : 503, undefined, healthBody(this.state.id, healthy))
    }
    const key = websocketKey(head)
    if (key !== undefined) {
      // The connection is no longer HTTP: nothing more is read as requests.
      this.phase = CLOSED
      this.websocket = startWebSocketEcho(this.state, this.accepted, head, key, this.buf.subarray(this.pos))
      this.buf = EMPTY
      this.pos = 0
      return
    }
    const served = ++this.state.served.http.requests
    const { accepted } = this
    const seen = attributeClient(head.get('x-forwarded-for'), head.get('x-real-ip'), accepted.client)
    this.state.see(accepted.tls, seen.address, seen.via, accepted.peer)
    const { delayMs, outcome } = this.state.decide()
    if (delayMs <= 0) return this.answer(head, served, outcome)
    this.phase = BUSY
    this.held = this.state.hold(delayMs, () => {
      this.held = undefined
      this.answer(head, served, outcome)
      this.pump()
    })
  }

  private answer(head: RequestHead, served: number, outcome: Outcome): void {
    const state = this.state
    if (outcome === 'reset') {
      state.served.http.resets++
      this.phase = CLOSED
      return resetConnection(this.accepted.tcp, this.socket)
    }
    if (outcome === 'error') {
      const status = errorStatusOf(state.behaviour)
      state.countStatus(status)
      return this.send(head, status, served, errorBody(state.id, status, served))
    }
    state.countStatus(200)
    const { responseBytes, slowBody } = state.behaviour
    const body = servedBody(state.id, head, this.accepted.client, served, responseBytes)
    if (slowBody === undefined || head.method === 'HEAD' || body.length === 0) return this.send(head, 200, served, body)
    this.stream(head, served, body, slowBody.bytesPerSecond)
  }

  /** Writes a whole answer in one write. */
  private send(head: RequestHead, status: number, served: number | undefined, body: string): void {
    const keepAlive = head.keepAlive && !this.draining
    const text = this.heads.head(status, served, { contentLength: body.length }, { version: head.version, keepAlive })
    this.socket.write(head.method === 'HEAD' ? text : text + body, 'latin1')
    this.answered(keepAlive)
  }

  /** Sends the head, then the body at `bytesPerSecond` (chunked for HTTP/1.1, by length for 1.0). */
  private stream(head: RequestHead, served: number, body: string, bytesPerSecond: number): void {
    const keepAlive = head.keepAlive && !this.draining
    const chunked = head.version === '1.1'
    const framing = chunked ? { chunked: true as const } : { contentLength: body.length }
    this.socket.write(this.heads.head(200, served, framing, { version: head.version, keepAlive }), 'latin1')
    this.phase = BUSY
    this.paced = paceBody(
      body.length,
      bytesPerSecond,
      (from, to) => {
        const part = body.slice(from, to)
        this.socket.write(chunked ? `${part.length.toString(16)}\r\n${part}\r\n` : part, 'latin1')
      },
      () => {
        this.paced = undefined
        if (this.phase === CLOSED) return
        if (chunked) this.socket.write('0\r\n\r\n', 'latin1')
        this.answered(keepAlive)
        this.pump()
      },
    )
  }

  /** Answers a request the codec refused, and closes: its framing cannot be trusted. */
  private refuse(status: number, code: string, reason: string): void {
    const state = this.state
    const served = ++state.served.http.requests
    state.countStatus(status)
    const body = protocolErrorBody(state.id, code, reason)
    this.socket.write(this.heads.head(status, served, { contentLength: body.length }, { version: '1.1', keepAlive: false }) + body, 'latin1')
    this.close()
  }

  /** After an answer: read the next request, or close. */
  private answered(keepAlive: boolean): void {
    if (!keepAlive || this.phase === CLOSED) return this.close()
    this.phase = HEAD
    if (this.socket.isPaused() && !this.awaitingDrain) this.socket.resume()
    if (this.draining && this.pos >= this.buf.length) this.close()
  }

  private close(): void {
    this.phase = CLOSED
    this.socket.end()
  }

  /** The client is not reading its answers: stop reading its requests until it does. */
  private waitForDrain(): void {
    if (this.awaitingDrain) return
    this.awaitingDrain = true
    this.socket.pause()
    this.socket.once('drain', () => {
      this.awaitingDrain = false
      this.socket.resume()
      this.pump()
    })
  }
}
