import type { Socket } from 'node:net'
import { constants as h2c, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2'
import type { Duplex } from 'node:stream'
import type { Backend } from '../balancing/types.js'
import { EngineError } from '../errors.js'
import type { BodyFraming, HttpHeader, RequestHead, ResponseHead } from '../http/http-head.js'
import type { MatchedRoute } from '../routing/route-table.js'
import { proxyHeaderFor } from '../runtime/proxy-header.js'
import type { PoolRuntime } from '../runtime/pool-runtime.js'
import type { ClientOrigin } from '../runtime/proxy-header.js'
import { countError, statusClass } from '../stats/counters.js'
import type { BodyReader, Codec } from './codec.js'
import type { Downstream } from './downstream.js'
import { errorAnswer, errorBody } from './error-response.js'
import { isTap, type BodyStage, type BodyTap, type Filter, type FilterAnswer, type FilterContext } from './filters/filter.js'
import type { FilterChain } from './filters/filter-chain.js'
import { IDEMPOTENT, requestHash, routeRequestOf } from './l7-settings.js'
import { RequestBody } from './request-body.js'
import { ResponseStream } from './response-stream.js'
import { statusText } from '../http/status-text.js'
import type { AcquireError, UpstreamConnection } from './upstream-pool.js'
import { grpcTimeoutMs } from './h2/grpc-status.js'
import { h2SessionsOf, type H2Lease } from './h2/h2-session-pool.js'
import { chunkOf, fieldsOf, H2BodySink, h2RequestFields, lastChunk, responseHeadFromH2 } from './h2/h2-upstream.js'

function concat(a: Buffer | undefined, b: Buffer): Buffer {
  return a === undefined || a.length === 0 ? b : Buffer.concat([a, b])
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | undefined)?.then === 'function'
}

/**
 * One request through the L7 proxy: route, run the request filters (which may answer), pick
 * (sticky pin, hash key, algorithm), connect (keep-alive reuse; retry elsewhere on connect
 * failure), forward the head and stream the body, read the response head (retrying an idempotent,
 * bodiless request on 502/503), stream the response back, and account for everything. Bytes are
 * read and written through the codec; what the request becomes on the way is the filters' business.
 * Every path ends in `complete` or `fail`, so a client is never left hanging. The lifecycle is
 * also the filters' context (`FilterContext`), so a chain allocates nothing per request.
 */
export class RequestLifecycle implements FilterContext {
  private readonly clientSocket: Duplex
  private chain: FilterChain
  private readonly body: RequestBody
  // Routing and picking (the filters' view: FilterContext)
  readonly request: RequestHead
  readonly client: ClientOrigin
  readonly proto: 'http' | 'https'
  routeName: string | undefined
  pool!: PoolRuntime
  backend: Backend | undefined
  pinned: string | undefined
  decisions: Record<string, string> | undefined
  identity: string | undefined
  readonly headStartedAt: number
  connectedAt = 0
  private hash: number | undefined
  private readonly tried = new Set<string>()
  private attempt = 0
  /** A dropped kept-alive connection was already retried once on a fresh one. */
  private retriedStale = false
  /** The backend `onStart` was reported for; `onDone` goes to exactly this one. */
  private startedOn: Backend | undefined
  private sentAt = 0
  // Upstream
  private socket: Socket | undefined
  /** The upstream HTTP/2 stream (pools with `protocol: h2`), instead of `socket`; its place on a session, and where the body goes. */
  private h2: ClientHttp2Stream | undefined
  private h2Lease: H2Lease | undefined
  private h2Sink: H2BodySink | undefined
  private h2Trailers: HttpHeader[] | undefined
  private reused = false
  private private_ = false
  private respPending: Buffer | undefined
  private resp: ResponseHead | undefined
  private respFraming: BodyFraming | undefined
  private respBody: BodyReader | undefined
  private respStarted = false
  /** Status of the response the client got (0 while none). */
  private sentStatus = 0
  /** Body bytes written to the client (FilterOutcome.bodyBytes). */
  private sentBytes = 0
  private reusable = true
  private clientKeepAlive = false
  /** When the response head must have arrived (ms, monotonic); Infinity while not waiting for one. */
  private responseDeadline = Infinity
  /** Upstream chunks seen, and when that count last changed: the sweep's idle check. */
  private upstreamActivity = 0
  private upstreamSeen = -1
  private upstreamChangedAt = 0
  private over = false
  private filtersDone = false
  // The response body's content through the filters' stages (onResponseStream)
  /** Transforms in the way: the body is re-framed here, in `outFraming`. */
  private stream: ResponseStream | undefined
  /** Taps only: they read the content while the bytes are relayed as received. */
  private taps: readonly BodyTap[] | undefined
  private outFraming: BodyFraming | undefined
  /** The transforms took every byte of content they can take without waiting. */
  private inputOk = true
  /** A tap threw while reading the content. */
  private tapError: unknown
  /** The source is done; the request ends when the stream has written everything to the client. */
  private awaitingStream = false

  constructor(
    private readonly down: Downstream,
    head: RequestHead,
    readonly headParsedAt: number,
    private readonly codec: Codec,
  ) {
    this.clientSocket = down.socket
    this.headStartedAt = down.headStartedAt
    this.client = down.origin
    this.request = head
    this.proto = down.s.proto
    this.chain = down.s.listenerChain
    this.body = new RequestBody(codec.bodyReader(head.framing, down.s.limits), down.socket, (n) => down.holdBack(n))
  }

  // ── Start: route, request filters, pick ───────────────────────────────────────────────────

  start(initial: Buffer | undefined): void {
    const s = this.down.s
    if (initial !== undefined && !this.takeClientBytes(initial)) return
    if (this.request.method === 'CONNECT') return this.fail(405, 'LB_ERR_METHOD_NOT_ALLOWED')
    const route: MatchedRoute | undefined = s.table.match(routeRequestOf(this.request))
    if (route === undefined) return this.fail(404, 'LB_ERR_NO_ROUTE')
    this.chain = s.chains[route.index]!
    this.routeName = route.name
    const rt = s.pools.get(route.target(s.random))!
    this.pool = rt
    rt.recordRequest()
    this.hash = requestHash(rt, this.request, this.client.address, this.client.port)
    if (this.chain.onRequest.length === 0) return this.pickAndConnect(false)
    this.runRequestFilters(0)
  }

  /** Request filters from `from` on, in order; the first answer ends the request here. */
  private runRequestFilters(from: number): void {
    const hooks = this.chain.onRequest
    for (let i = from; i < hooks.length; i++) {
      const f = hooks[i]!
      let r: FilterAnswer | undefined | Promise<FilterAnswer | undefined>
      try {
        r = f.onRequest!(this)
      } catch (e) {
        return this.filterFailed(f, e)
      }
      if (r === undefined) continue
      if (isPromise(r)) {
        r.then(
          (a) => {
            if (this.over) return
            if (a !== undefined) return this.answer(a)
            this.runRequestFilters(i + 1)
          },
          (e: unknown) => this.filterFailed(f, e),
        )
        return
      }
      return this.answer(r)
    }
    this.pickAndConnect(false)
  }

  private pickAndConnect(fresh: boolean): void {
    const rt = this.pool
    let backend: Backend | undefined
    if (this.pinned !== undefined) backend = rt.pool.readyBackend(this.pinned, this.tried)
    if (backend === undefined) {
      try {
        backend = rt.pool.pick({ ...(this.hash === undefined ? {} : { hash: this.hash }), tried: this.tried, attempt: this.attempt })
      } catch (e) {
        const code = e instanceof EngineError ? e.code : 'LB_ERR_INTERNAL'
        if (code === 'LB_ERR_NO_HEALTHY_BACKEND') {
          rt.counters.noHealthyBackend++
          return this.fail(503, code)
        }
        return this.fail(502, 'LB_ERR_UPSTREAM_CONNECT', 'every backend failed')
      }
    }
    this.backend = backend
    this.private_ = rt.config.proxyProtocol !== undefined
    if (this.private_) {
      const own = this.down.privateUpstreams.get(backend.id)
      if (own !== undefined && !own.destroyed && !fresh) {
        this.down.privateUpstreams.delete(backend.id)
        return this.connected({ socket: own, reused: true })
      }
    }
    this.acquire(backend, fresh || this.private_)
  }

  private acquire(backend: Backend, fresh: boolean): void {
    if (this.pool.config.protocol === 'h2') return this.acquireH2(backend)
    this.down.s.upstreams(this.pool).acquire(
      backend,
      (error, connection) => {
        if (this.over) {
          connection?.socket.destroy()
          return
        }
        if (error !== undefined) return this.connectFailed(backend, error)
        this.connected(connection!)
      },
      fresh,
    )
  }

  private connectFailed(backend: Backend, error: AcquireError): void {
    const rt = this.pool
    const c = rt.backend(backend.id)
    c.connectFailures++
    if (error.kind === 'timeout') c.timeouts++
    rt.recordOutcome(backend.id, false)
    this.tried.add(backend.id)
    if (this.mayRetry('connect-failure', false)) {
      c.retries++
      this.attempt++
      return this.pickAndConnect(false)
    }
    this.fail(error.kind === 'timeout' ? 504 : 502, error.kind === 'timeout' ? 'LB_ERR_UPSTREAM_CONNECT_TIMEOUT' : 'LB_ERR_UPSTREAM_CONNECT', `${error.detail}`)
  }

  /** Retry policy: attempts left, the kind enabled, replayable request, budget. */
  private mayRetry(kind: 'connect-failure' | 'gateway-error', needsIdempotent: boolean): boolean {
    const r = this.pool.config.retries
    if (this.attempt >= r.attempts || !r.on.includes(kind) || this.clientSocket.destroyed) return false
    if (this.body.sent) return false
    if (needsIdempotent && (!IDEMPOTENT.has(this.request.method) || this.request.framing.kind !== 'none')) return false
    return this.pool.allowRetry()
  }

  // ── Request: head and body upstream ───────────────────────────────────────────────────────

  private connected(connection: UpstreamConnection): void {
    const socket = connection.socket
    const backend = this.backend!
    this.connectedAt = performance.now()
    let head: string
    try {
      head = this.upstreamHead()
    } catch (e) {
      socket.destroy()
      return this.filterFailed(undefined, e)
    }
    this.socket = socket
    this.reused = connection.reused
    socket.on('data', this.onUpstreamData)
    socket.on('drain', this.onUpstreamDrain)
    socket.on('error', this.onUpstreamError)
    socket.once('end', this.onUpstreamEnd)
    socket.once('close', this.onUpstreamClose)
    // A kept-alive connection may have been released while paused for a slow client.
    socket.resume()
    socket.cork()
    if (this.private_ && !connection.reused) socket.write(proxyHeaderFor(this.pool.config.proxyProtocol!, this.down.origin))
    socket.write(head, 'latin1')
    this.body.flush(socket)
    socket.uncork()
    this.sentUpstream(backend)
  }

  /** The request is on its way to `backend`: account for it, start the response timer once the body is out. */
  private sentUpstream(backend: Backend): void {
    this.down.s.counters.engineTimeUs.record((performance.now() - this.headParsedAt) * 1000)
    if (this.startedOn !== backend) {
      this.finishFeedback(false)
      this.startedOn = backend
      this.pool.pool.onStart(backend)
    }
    const c = this.pool.backend(backend.id)
    c.requests++
    this.sentAt = performance.now()
    if (this.body.done) this.armResponseTimer()
    this.body.resume()
  }

  /** The request head for the backend: the client's headers, the filters' changes, the codec's framing. */
  private upstreamHead(): string {
    return this.codec.encodeRequestHead(this.request, this.upstreamHeaders())
  }

  /** The client's headers as the backend may see them, after the filters' changes. */
  private upstreamHeaders(): HttpHeader[] {
    const headers: HttpHeader[] = this.codec.forwardRequestHeaders(this.request)
    const hooks = this.chain.onUpstreamRequest
    for (let i = 0; i < hooks.length; i++) hooks[i]!.onUpstreamRequest!(this, headers)
    return headers
  }

  // ── Upstream HTTP/2: one stream on a pooled session ────────────────────────────────────────

  private acquireH2(backend: Backend): void {
    h2SessionsOf(this.pool).acquire(backend, (error, lease) => {
      if (this.over) return lease?.done()
      if (error !== undefined) return this.connectFailed(backend, error)
      this.connectedH2(lease!)
    })
  }

  private connectedH2(lease: H2Lease): void {
    const backend = this.backend!
    this.connectedAt = performance.now()
    let stream: ClientHttp2Stream
    try {
      const fields = h2RequestFields(this.request, this.upstreamHeaders(), this.pool.config.tls === undefined ? 'http' : 'https')
      stream = lease.session.request(fields, { endStream: this.request.framing.kind === 'none' })
    } catch (e) {
      lease.done()
      return this.filterFailed(undefined, e)
    }
    this.h2 = stream
    this.h2Lease = lease
    this.reused = false
    stream.on('response', this.onH2Response)
    stream.on('headers', this.onH2Interim)
    stream.on('data', this.onH2Data)
    stream.on('trailers', this.onH2Trailers)
    stream.on('drain', this.onUpstreamDrain)
    stream.on('error', this.onUpstreamError)
    stream.once('end', this.onH2End)
    stream.once('close', this.onH2Close)
    this.h2Sink = new H2BodySink(stream, this.request.framing, this.down.s.limits.maxHeadBytes)
    this.body.flush(this.h2Sink)
    this.sentUpstream(backend)
  }

  private readonly onH2Interim = (h: IncomingHttpHeaders): void => {
    if (!this.over && this.resp === undefined) this.down.sendInterim(this.request, responseHeadFromH2(h, true))
  }

  private readonly onH2Response = (h: IncomingHttpHeaders, flags: number): void => {
    this.upstreamActivity++
    this.down.activity++
    if (this.over) return
    this.takeResponseHead(responseHeadFromH2(h, (flags & h2c.NGHTTP2_FLAG_END_STREAM) !== 0), undefined)
  }

  private readonly onH2Data = (chunk: Buffer): void => {
    this.upstreamActivity++
    this.down.activity++
    if (this.over || this.resp === undefined || chunk.length === 0) return
    this.onResponseBody(this.respFraming!.kind === 'chunked' ? chunkOf(chunk) : chunk)
  }

  private readonly onH2Trailers = (t: IncomingHttpHeaders): void => {
    this.h2Trailers = fieldsOf(t)
  }

  private readonly onH2End = (): void => {
    if (this.over) return
    if (this.resp === undefined) return this.upstreamClosedEarly()
    // The end of the stream is the end of the body: trailers go with it (as HTTP/2 trailers to a
    // client that takes them, else in the last chunk).
    const trailers = this.h2Trailers
    const send = this.down.sendTrailers
    if (trailers !== undefined && send !== undefined) send.call(this.down, trailers)
    this.onResponseBody(lastChunk(send === undefined ? trailers : undefined))
  }

  private readonly onH2Close = (): void => {
    const stream = this.h2
    if (stream === undefined) return
    if (!this.over) {
      // REFUSED_STREAM: the backend did not process it (RFC 9113 §8.7), so it may go elsewhere.
      if (stream.rstCode === h2c.NGHTTP2_REFUSED_STREAM && this.resp === undefined && !this.body.sent && this.mayRetry('connect-failure', false)) {
        const backend = this.backend!
        this.pool.backend(backend.id).retries++
        this.tried.add(backend.id)
        this.detachUpstream(true)
        this.attempt++
        return this.pickAndConnect(false)
      }
      this.upstreamClosedEarly()
    }
    // However the request ended, the stream's place goes back to its session.
    if (this.h2 === stream) this.detachH2(false)
  }

  private unlistenH2(stream: ClientHttp2Stream): void {
    stream.off('response', this.onH2Response)
    stream.off('headers', this.onH2Interim)
    stream.off('data', this.onH2Data)
    stream.off('trailers', this.onH2Trailers)
    stream.off('drain', this.onUpstreamDrain)
    stream.off('end', this.onH2End)
    stream.off('close', this.onH2Close)
  }

  /** The upstream stream's place goes back to its session; `cancel`: the backend is told with RST_STREAM (CANCEL). */
  private detachH2(cancel: boolean): void {
    const stream = this.h2!
    this.h2 = undefined
    this.h2Sink = undefined
    this.unlistenH2(stream)
    if (cancel && !stream.closed) stream.close(h2c.NGHTTP2_CANCEL)
    this.h2Lease?.done()
    this.h2Lease = undefined
  }

  /**
   * Starts the response timeout once the whole request is on its way upstream: the timeout measures
   * the backend, and a client uploading slowly is not a backend failing to answer.
   */
  private armResponseTimer(): void {
    const grpc = grpcTimeoutMs(this.request.get('grpc-timeout'))
    const ms = this.pool.config.timeouts.responseMs
    this.responseDeadline = performance.now() + (grpc === undefined ? ms : Math.min(ms, grpc))
  }

  /** Deadlines, checked by the listener's sweep: the response timeout, then upstream idleness mid-body. */
  sweep(nowMs: number): void {
    if (this.over) return
    if (nowMs >= this.responseDeadline) return this.onResponseTimeout()
    if (this.socket === undefined && this.h2 === undefined) return
    if (this.upstreamActivity !== this.upstreamSeen) {
      this.upstreamSeen = this.upstreamActivity
      this.upstreamChangedAt = nowMs
    } else if (nowMs - this.upstreamChangedAt >= this.pool.config.timeouts.idleMs) {
      this.onUpstreamIdle()
    }
  }

  /** Client bytes while this request runs: its body, then the next request (kept for later). */
  onClientData(chunk: Buffer): void {
    this.takeClientBytes(chunk)
  }

  /** Splits client bytes into this request's body and what follows; false when framing failed. */
  private takeClientBytes(chunk: Buffer): boolean {
    try {
      this.body.take(chunk, this.over ? undefined : (this.socket ?? this.h2Sink))
    } catch (e) {
      this.failFraming((e as { code?: string }).code ?? 'HTTP_ERR_BAD_CHUNK')
      return false
    }
    if (this.body.done && (this.socket !== undefined || this.h2 !== undefined) && !this.over && this.resp === undefined) this.armResponseTimer()
    return true
  }

  private readonly onUpstreamDrain = (): void => this.body.resume()

  /** The client can take more response bytes. */
  onClientDrain(): void {
    if (this.stream !== undefined) this.stream.resume()
    else (this.socket ?? this.h2)?.resume()
  }

  /** The client cannot take more now: stop reading the backend until it can. */
  private pauseUpstream(): void {
    ;(this.socket ?? this.h2)?.pause()
  }

  // ── Response ──────────────────────────────────────────────────────────────────────────────

  private readonly onUpstreamData = (chunk: Buffer): void => {
    this.upstreamActivity++
    this.down.activity++
    if (this.over) return
    if (this.resp === undefined) return this.onResponseHeadBytes(chunk)
    this.onResponseBody(chunk)
  }

  private onResponseHeadBytes(chunk: Buffer): void {
    const buf = concat(this.respPending, chunk)
    const r = this.codec.parseResponseHead(buf, this.down.s.limits)
    if (r.status === 'incomplete') {
      this.respPending = buf
      return
    }
    this.respPending = undefined
    if (r.status === 'error') return this.upstreamFailed('LB_ERR_UPSTREAM_BAD_RESPONSE', `${r.code}: ${r.reason}`)
    const head = r.head
    const rest = head.headBytes < buf.length ? buf.subarray(head.headBytes) : undefined
    if (head.status < 200 && head.status !== 101) {
      this.down.sendInterim(this.request, head)
      if (rest !== undefined) this.onResponseHeadBytes(rest)
      return
    }
    this.takeResponseHead(head, rest)
  }

  /** A final (or 101) response head from the backend; `rest`: body bytes that came with it. */
  private takeResponseHead(head: ResponseHead, rest: Buffer | undefined): void {
    this.responseDeadline = Infinity
    if (head.status === 101) {
      if (this.request.upgrade === undefined) return this.upstreamFailed('LB_ERR_UPSTREAM_BAD_RESPONSE', '101 without an upgrade request')
      return this.startTunnel(head, rest)
    }
    if ((head.status === 502 || head.status === 503) && this.mayRetry('gateway-error', true)) return this.retryAfterGatewayError(head.status)
    if (head.status >= 500 && head.status <= 504 && head.status !== 501 && this.chain.onUpstreamError.length > 0) {
      const instead = this.upstreamErrorAnswer(head.status)
      if (instead !== undefined) {
        // The backend's answer is dropped unread, and its connection with it.
        const backend = this.backend!
        this.pool.backend(backend.id).responses[statusClass(head.status)]++
        this.pool.recordOutcome(backend.id, false)
        this.detachUpstream(true)
        return this.answer(instead)
      }
    }
    this.resp = head
    this.respFraming = this.codec.responseFraming(this.request, head)
    this.respBody = this.codec.bodyReader(this.respFraming, this.down.s.limits)
    // The head and the body bytes that came with it leave in one write (writev), not two.
    const client = this.clientSocket
    client.cork()
    try {
      if (!this.writeResponseHead(head)) return
      if (this.respBody.done) {
        if (rest !== undefined) this.reusable = false
        return this.complete()
      }
      if (rest !== undefined) this.onResponseBody(rest)
    } finally {
      client.uncork()
    }
  }

  private retryAfterGatewayError(status: number): void {
    const backend = this.backend!
    const c = this.pool.backend(backend.id)
    c.responses[statusClass(status)]++
    c.retries++
    this.pool.recordOutcome(backend.id, false)
    this.tried.add(backend.id)
    // The rest of that answer is of no use: the connection cannot be reused.
    this.detachUpstream(true)
    this.attempt++
    this.pickAndConnect(false)
  }

  /** Writes the response head to the client; false when a filter failed and the request was answered with a 500 instead. */
  private writeResponseHead(head: ResponseHead): boolean {
    const headers = this.codec.forwardResponseHeaders(head)
    if (this.chain.onResponseHead.length > 0) {
      const failed = this.runResponseHead(head.status, headers, false)
      if (failed !== undefined) {
        // The 500 goes out unfiltered: the failing filter would only fail again on it.
        this.filterFailed(failed.filter, failed.error, true)
        return false
      }
    }
    if (this.chain.onResponseStream.length > 0 && !this.respBody!.done && !this.codec.transferCoded(head) && !this.openStages(head.status, headers, false)) return false
    const framing = this.outFraming ?? this.respFraming!
    // A request body still arriving will not be read to its end: the connection closes after this.
    this.clientKeepAlive = this.request.keepAlive && this.body.done && framing.kind !== 'close' && !this.down.s.draining()
    const options = this.stream === undefined ? { upstream: head, framing, keepAlive: this.clientKeepAlive } : { framing, keepAlive: this.clientKeepAlive }
    this.respStarted = true
    this.sentStatus = head.status
    // A stream pauses the backend itself, when its transforms are full.
    if (!this.down.sendHead(this.request, head.status, head.reason, headers, options) && this.stream === undefined) this.pauseUpstream()
    return true
  }

  /**
   * Asks the stream filters for their stages of the body: transforms make a stream re-framed here
   * (Content-Length dropped), taps alone read the content as it is relayed. False when a filter
   * threw, and the request was answered with a 500 instead.
   */
  private openStages(status: number, headers: HttpHeader[], own: boolean): boolean {
    const hooks = this.chain.onResponseStream
    let stages: BodyStage[] | undefined
    for (let i = 0; i < hooks.length; i++) {
      const f = hooks[i]!
      try {
        const stage = f.onResponseStream!(this, status, headers, own)
        if (stage !== undefined) (stages ??= []).push(stage)
      } catch (error) {
        for (const st of stages ?? []) if (!isTap(st)) st.destroy()
        this.filterFailed(f, error, true)
        return false
      }
    }
    if (stages === undefined) return true
    if (stages.every(isTap)) {
      this.taps = stages
      return true
    }
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.name.length === 14 && headers[i]!.name.toLowerCase() === 'content-length') headers.splice(i, 1)
    this.outFraming = this.codec.streamFraming(this.request)
    this.stream = new ResponseStream(stages, this.sink, this.onStreamInputDrain)
    return true
  }

  /** Where the stream's output goes: the client, in the codec's framing. */
  private readonly sink = {
    write: (chunk: Buffer): boolean => {
      this.down.activity++
      this.sentBytes += chunk.length
      return this.down.sendBody(this.codec.encodeBodyChunk(this.outFraming!, chunk))
    },
    end: (): void => this.streamDone(),
    fail: (): void => this.streamFailed(),
  }

  private readonly onStreamInputDrain = (): void => {
    this.inputOk = true
    ;(this.socket ?? this.h2)?.resume()
  }

  /** Content of the response body, framing removed, for the stages. */
  private readonly onContent = (content: Buffer): void => {
    if (this.stream !== undefined) {
      if (!this.stream.write(content)) this.inputOk = false
      return
    }
    const taps = this.taps!
    for (let i = 0; i < taps.length; i++) {
      try {
        taps[i]!.observe(content)
      } catch (error) {
        this.tapError ??= error ?? 'a body tap threw'
      }
    }
  }

  /** The stream wrote its last piece: end the body, and the request. */
  private streamDone(): void {
    const tail = this.codec.encodeBodyEnd(this.outFraming!)
    if (tail.length > 0) this.down.sendBody(Buffer.from(tail, 'latin1'))
    this.stream = undefined
    if (!this.awaitingStream) return
    this.awaitingStream = false
    this.finishFilters(true)
    this.down.finished(this.clientKeepAlive && this.body.done, this.body.leftover)
  }

  /** A transform or tap failed: the client has a head and part of a body, so all it can learn is a cut. */
  private streamFailed(): void {
    countError(this.down.s.counters, 'LB_ERR_FILTER')
    this.stream = undefined
    if (this.awaitingStream) {
      this.awaitingStream = false
      this.finishFilters(false)
      return this.cutClient()
    }
    if (this.over) return
    this.detachUpstream(true)
    this.end(false, false)
    this.cutClient()
  }

  /** Response-head filters in order; the one that threw, if any. */
  private runResponseHead(status: number, headers: HttpHeader[], own: boolean): { filter: Filter; error: unknown } | undefined {
    const hooks = this.chain.onResponseHead
    for (let i = 0; i < hooks.length; i++) {
      const f = hooks[i]!
      try {
        f.onResponseHead!(this, status, headers, own)
      } catch (error) {
        return { filter: f, error }
      }
    }
    return undefined
  }

  private onResponseBody(chunk: Buffer): void {
    let part = chunk
    let end: number
    const staged = this.stream !== undefined || this.taps !== undefined
    try {
      end = staged ? this.respBody!.feed(chunk, this.onContent) : this.respBody!.feed(chunk)
    } catch {
      return this.upstreamFailed('LB_ERR_UPSTREAM_BAD_RESPONSE', 'malformed chunked body')
    }
    // A filter's fault, not the backend's: nothing counted against it.
    if (this.tapError !== undefined) return this.streamFailed()
    if (end >= 0 && end < chunk.length) {
      part = chunk.subarray(0, end)
      this.reusable = false
    }
    if (part.length > 0) {
      const hooks = this.chain.onResponseBody
      for (let i = 0; i < hooks.length; i++) {
        try {
          hooks[i]!.onResponseBody!(this, part)
        } catch (e) {
          return this.upstreamFailed('LB_ERR_FILTER', `filter ${hooks[i]!.name}: ${(e as Error).message}`)
        }
      }
      if (this.stream === undefined) {
        this.sentBytes += part.length
        if (!this.down.sendBody(part)) this.pauseUpstream()
      } else if (!this.inputOk) this.pauseUpstream()
    }
    if (end >= 0) this.complete()
  }

  private readonly onUpstreamEnd = (): void => {
    if (this.over) return
    if (this.resp !== undefined && this.respFraming!.kind === 'close') {
      this.reusable = false
      return this.complete()
    }
    this.upstreamClosedEarly()
  }

  private readonly onUpstreamClose = (): void => {
    if (!this.over) this.upstreamClosedEarly()
  }

  private readonly onUpstreamError = (): void => {
    // 'close' follows and decides.
  }

  /** The backend hung up before the response was complete. */
  private upstreamClosedEarly(): void {
    if (this.resp === undefined && this.respPending === undefined) {
      // No answer yet. An idempotent request without a body can go again: the backend either never
      // saw it or did nothing that repeating would change.
      const replayable = !this.body.sent && this.body.done && IDEMPOTENT.has(this.request.method)
      if (replayable && this.reused && !this.retriedStale) {
        // A kept-alive connection the backend had already dropped: once, on a fresh connection to
        // the same backend, free of budget and outlier accounting.
        this.retriedStale = true
        this.detachUpstream(true)
        return this.acquire(this.backend!, true)
      }
      if (replayable && this.mayRetry('connect-failure', false)) {
        // The backend went away while the request was on it: another backend, within the budget.
        const backend = this.backend!
        this.pool.recordOutcome(backend.id, false)
        this.pool.backend(backend.id).retries++
        this.tried.add(backend.id)
        this.detachUpstream(true)
        this.attempt++
        return this.pickAndConnect(false)
      }
      return this.upstreamFailed('LB_ERR_UPSTREAM_RESET', undefined)
    }
    if (this.resp === undefined) return this.upstreamFailed('LB_ERR_UPSTREAM_RESET', undefined)
    // Mid-body: the client already has a head and part of a body; all it can learn is a cut.
    countError(this.down.s.counters, 'LB_ERR_UPSTREAM_RESET')
    this.pool.recordOutcome(this.backend!.id, false)
    this.end(false, false)
    this.cutClient()
  }

  private readonly onResponseTimeout = (): void => {
    if (this.over || this.resp !== undefined) return
    this.pool.backend(this.backend!.id).timeouts++
    this.pool.recordOutcome(this.backend!.id, false)
    this.detachUpstream(true)
    this.fail(504, 'LB_ERR_UPSTREAM_TIMEOUT', `no response within ${this.pool.config.timeouts.responseMs} ms`)
  }

  private readonly onUpstreamIdle = (): void => {
    if (this.over) return
    if (this.resp === undefined) return // the response timer decides
    this.upstreamClosedEarly()
  }

  /** The client sent nothing and received nothing for the idle time while a request was open. */
  onClientIdle(): void {
    // A response on its way is the backend's to time out; one the client stopped reading is not.
    if (this.respStarted && !this.awaitingStream) return
    this.cutClient()
  }

  /** A response the backend broke: 502 if nothing was sent to the client yet, else a cut. */
  private upstreamFailed(code: string, detail: string | undefined): void {
    this.pool.recordOutcome(this.backend!.id, false)
    this.detachUpstream(true)
    if (this.respStarted) {
      countError(this.down.s.counters, code)
      this.end(false, false)
      this.cutClient()
      return
    }
    this.fail(502, code, detail)
  }

  // ── WebSocket and other upgrades ──────────────────────────────────────────────────────────

  private startTunnel(head: ResponseHead, rest: Buffer | undefined): void {
    const socket = this.socket!
    const headers = this.codec.forwardResponseHeaders(head)
    const failed = this.chain.onResponseHead.length === 0 ? undefined : this.runResponseHead(head.status, headers, false)
    if (failed !== undefined) return this.filterFailed(failed.filter, failed.error, true)
    this.down.sendHead(this.request, head.status, head.reason, headers, { upstream: head, framing: head.framing, keepAlive: true })
    if (rest !== undefined) this.down.sendBody(rest)
    if (this.body.leftover !== undefined) socket.write(this.body.leftover)
    this.over = true
    this.sentStatus = 101
    const backend = this.backend!
    const s = this.down.s
    s.counters.responses['1xx']++
    this.pool.backend(backend.id).responses['1xx']++
    this.unlisten(socket)
    this.finishFilters(true)
    this.down.tunnel(socket, () => this.finishFeedback(true))
  }

  // ── Endings ───────────────────────────────────────────────────────────────────────────────

  /** The response is complete: account, hand back the connection, let the session go on. */
  private complete(): void {
    if (this.h2 !== undefined) {
      this.end(true, true)
      // A request body still on its way is of no use now: the stream is cancelled.
      this.detachH2(!this.body.done)
      return this.down.finished(this.clientKeepAlive && this.body.done, this.body.leftover)
    }
    const socket = this.socket!
    const reusable = this.reusable && this.body.done && this.resp!.keepAlive && this.respFraming!.kind !== 'close' && !socket.destroyed
    // With a stream, the backend is done now but the client only once the stream has flushed.
    const stream = this.stream
    if (stream !== undefined) this.awaitingStream = true
    this.end(true, true)
    this.unlisten(socket)
    if (!reusable) socket.destroy()
    else if (this.private_) this.down.privateUpstreams.set(this.backend!.id, socket)
    else this.down.s.upstreams(this.pool).release(this.backend!, socket)
    if (stream !== undefined) {
      this.socket = undefined
      return stream.end()
    }
    this.down.finished(this.clientKeepAlive && this.body.done, this.body.leftover)
  }

  /** Accounting common to every ending once a backend was involved. */
  private end(responded: boolean, ok: boolean, answered = false): void {
    this.over = true
    this.body.resume()
    this.responseDeadline = Infinity
    const status = this.resp?.status
    if (responded && status !== undefined && this.backend !== undefined) {
      this.pool.backend(this.backend.id).responses[statusClass(status)]++
      this.down.s.counters.responses[statusClass(status)]++
      this.pool.recordOutcome(this.backend.id, status < 500)
    }
    this.finishFeedback(ok && (status ?? 0) < 500)
    if (!this.awaitingStream) this.finishFilters(responded || answered)
  }

  /** Tells the filters the request is over, once. */
  private finishFilters(ok: boolean): void {
    const hooks = this.chain.onDone
    if (hooks.length === 0 || this.filtersDone) return
    this.filtersDone = true
    const outcome = { status: this.sentStatus, ok, bodyBytes: this.sentBytes }
    for (let i = 0; i < hooks.length; i++) {
      try {
        hooks[i]!.onDone!(this, outcome)
      } catch {
        countError(this.down.s.counters, 'LB_ERR_FILTER')
      }
    }
  }

  /** Reports the end of the request to the backend it was started on, once. */
  private finishFeedback(ok: boolean): void {
    const b = this.startedOn
    if (b === undefined) return
    this.startedOn = undefined
    this.pool.pool.onDone(b, { ok, latencyUs: (performance.now() - this.sentAt) * 1000 })
  }

  /** A filter threw (or the head it shaped could not be encoded): a coded 500, or a cut once the response started. */
  private filterFailed(filter: Filter | undefined, error: unknown, unfiltered = false): void {
    const what = filter === undefined ? 'the request head' : `filter ${filter.name}`
    this.fail(500, 'LB_ERR_FILTER', `${what} failed: ${error instanceof Error ? error.message : String(error)}`, unfiltered)
  }

  /** The first answer the upstream-error filters give for a failure of `status`; a filter that throws is counted and passed over. */
  private upstreamErrorAnswer(status: number): FilterAnswer | undefined {
    const hooks = this.chain.onUpstreamError
    for (let i = 0; i < hooks.length; i++) {
      try {
        const a = hooks[i]!.onUpstreamError!(this, status)
        if (a !== undefined) return a
      } catch {
        countError(this.down.s.counters, 'LB_ERR_FILTER')
      }
    }
    return undefined
  }

  /** A filter answers the request itself: the backend is never involved. */
  private answer(a: FilterAnswer): void {
    if (this.over) return
    this.respond(a.status, a.headers === undefined ? [] : [...a.headers], a.body ?? '')
  }

  /**
   * The balancer answers the request itself (an error), if nothing was sent to the client yet;
   * `unfiltered`: without showing the answer to the response-head filters.
   */
  fail(status: number, code: string, detail?: string, unfiltered = false): void {
    if (this.over) return
    countError(this.down.s.counters, code)
    if (this.respStarted || this.clientSocket.destroyed) {
      this.detachUpstream(true)
      this.end(false, false)
      return void this.cutClient()
    }
    if (status >= 502 && status <= 504 && !unfiltered && this.chain.onUpstreamError.length > 0) {
      const instead = this.upstreamErrorAnswer(status)
      if (instead !== undefined) return this.answer(instead)
    }
    if (unfiltered || this.chain.onResponseHead.length === 0) {
      // Measured only when a filter will be told (onDone): errors are the hot path of an outage.
      if (this.chain.onDone.length > 0) this.sentBytes = errorBody(status, code, detail).length
      return this.respondWith(status, (keepAlive) => this.down.sendError(status, code, detail, keepAlive))
    }
    const e = errorAnswer(status, code, detail)
    this.respond(status, e.headers, e.body)
  }

  /** An answer of the balancer's own, shown to the response-head filters first. */
  private respond(status: number, headers: HttpHeader[], body: string): void {
    const failed = this.chain.onResponseHead.length === 0 ? undefined : this.runResponseHead(status, headers, true)
    if (failed !== undefined) {
      // The answer itself could not be shaped: a plain coded 500, without filters.
      const detail = `filter ${failed.filter.name} failed: ${failed.error instanceof Error ? failed.error.message : String(failed.error)}`
      countError(this.down.s.counters, 'LB_ERR_FILTER')
      this.sentBytes = errorBody(500, 'LB_ERR_FILTER', detail).length
      return this.respondWith(500, (keepAlive) => this.down.sendError(500, 'LB_ERR_FILTER', detail, keepAlive))
    }
    if (this.chain.onResponseStream.length > 0 && body.length > 0 && this.request.method !== 'HEAD') {
      if (!this.openStages(status, headers, true)) return
      if (this.stream !== undefined) return this.streamAnswer(status, headers, body)
      if (this.taps !== undefined) {
        const content = Buffer.from(body, 'latin1')
        for (const tap of this.taps) tap.observe(content)
      }
    }
    this.sentBytes = body.length
    this.respondWith(status, (keepAlive) => this.down.sendAnswer(status, headers, body, keepAlive))
  }

  /** An answer of the balancer's own whose body the stream filters transform. */
  private streamAnswer(status: number, headers: HttpHeader[], body: string): void {
    this.detachUpstream(true)
    const s = this.down.s
    const framing = this.outFraming!
    this.sentStatus = status
    this.respStarted = true
    this.clientKeepAlive = this.request.keepAlive && this.body.done && framing.kind !== 'close' && !s.draining()
    this.awaitingStream = true
    this.end(false, false, true)
    s.counters.responses[statusClass(status)]++
    this.down.sendHead(this.request, status, statusText(status), headers, { framing, keepAlive: this.clientKeepAlive })
    const stream = this.stream!
    stream.write(Buffer.from(body, 'latin1'))
    stream.end()
  }

  private respondWith(status: number, send: (keepAlive: boolean) => void): void {
    this.detachUpstream(true)
    const s = this.down.s
    this.sentStatus = status
    this.end(false, false, true)
    s.counters.responses[statusClass(status)]++
    // A body still arriving cannot be skipped safely: answer, then close.
    const keepAlive = this.request.keepAlive && this.body.done && !s.draining()
    send(keepAlive)
    this.down.finished(keepAlive, this.body.leftover)
  }

  private failFraming(code: string): void {
    if (this.over) return
    this.body.done = false
    this.fail(400, code, 'malformed chunked request body')
  }

  /** Ends the response abruptly (a response cut short): the downstream decides what that cuts. */
  private cutClient(): void {
    this.stream?.destroy()
    this.stream = undefined
    this.down.cut()
  }

  /** The client went away mid-request. */
  abort(): void {
    this.stream?.destroy()
    this.stream = undefined
    if (this.awaitingStream) {
      // The backend had answered in full; the client left before the stream reached it.
      this.awaitingStream = false
      countError(this.down.s.counters, 'LB_ERR_CLIENT_ABORTED')
      return this.finishFilters(false)
    }
    if (this.over) return
    countError(this.down.s.counters, 'LB_ERR_CLIENT_ABORTED')
    this.detachUpstream(true)
    this.end(false, false)
  }

  private unlisten(socket: Socket): void {
    socket.off('data', this.onUpstreamData)
    socket.off('drain', this.onUpstreamDrain)
    socket.off('error', this.onUpstreamError)
    socket.off('end', this.onUpstreamEnd)
    socket.off('close', this.onUpstreamClose)
  }

  private detachUpstream(destroy: boolean): void {
    if (this.h2 !== undefined) {
      this.resp = undefined
      this.responseDeadline = Infinity
      return this.detachH2(destroy)
    }
    const socket = this.socket
    if (socket === undefined) return
    this.socket = undefined
    this.resp = undefined
    this.respPending = undefined
    this.responseDeadline = Infinity
    this.unlisten(socket)
    if (destroy) socket.destroy()
  }
}
