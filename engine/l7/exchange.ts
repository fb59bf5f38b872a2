import type { Socket } from 'node:net'
import type { Backend } from '../balancing/types.js'
import { EngineError } from '../errors.js'
import type { ChunkedTracker } from '../http/chunked.js'
import type { BodyFraming, HttpHeader, RequestHead, ResponseHead } from '../http/http-head.js'
import { parseResponseHead, responseFraming } from '../http/http-parser.js'
import { requestHeadString, responseHeadString } from '../http/http-writer.js'
import { hopByHopNames } from '../http/hop-by-hop.js'
import { getCookie, serializeSetCookie } from '../routing/cookies.js'
import type { MatchedRoute } from '../routing/route-table.js'
import { proxyHeaderFor } from '../runtime/proxy-header.js'
import type { PoolRuntime } from '../runtime/pool-runtime.js'
import { countError, statusClass } from '../stats/counters.js'
import type { ClientSession } from './client-session.js'
import { errorResponse } from './error-response.js'
import { addForwardedHeaders, NO_EDITS, rewriteHeaders, type HeaderEdits } from './header-edits.js'
import { cookieHeaderOf, IDEMPOTENT, requestHash, routeRequestOf, type RouteEdits } from './l7-settings.js'
import type { AcquireError, UpstreamConnection } from './upstream-pool.js'

const KEEP_FOR_UPGRADE = new Set(['connection', 'upgrade'])

/** Hop-by-hop names minus Connection and Upgrade, which an upgrade must pass on. */
function withoutUpgradeNames(names: ReadonlySet<string>): Set<string> {
  const copy = new Set(names)
  for (const name of KEEP_FOR_UPGRADE) copy.delete(name)
  return copy
}

function concat(a: Buffer | undefined, b: Buffer): Buffer {
  return a === undefined || a.length === 0 ? b : Buffer.concat([a, b])
}

/**
 * The Transfer-Encoding lines of a message joined into one list, or undefined. Bodies are relayed
 * as received, so every coding applied to them (gzip, then chunked) must go along, not just chunked.
 */
function transferCodings(headers: readonly HttpHeader[]): string | undefined {
  let joined: string | undefined
  for (const h of headers) {
    if (h.name.length === 17 && h.name.toLowerCase() === 'transfer-encoding') joined = joined === undefined ? h.value : `${joined}, ${h.value}`
  }
  return joined
}

/** The origin-form target of a request (absolute-form targets are reduced to path and query). */
function originForm(target: string): string {
  if (target.charCodeAt(0) === 47 /* / */) return target
  const scheme = target.indexOf('://')
  if (scheme < 0) return target
  const slash = target.indexOf('/', scheme + 3)
  const query = target.indexOf('?', scheme + 3)
  if (slash < 0) return query < 0 ? '/' : `/${target.slice(query)}`
  return query >= 0 && query < slash ? `/${target.slice(query)}` : target.slice(slash)
}

/**
 * One request through the L7 proxy: route, pick (sticky pin, hash key, algorithm), connect
 * (keep-alive reuse; retry elsewhere on connect failure), forward the head and stream the body,
 * read the response head (retrying an idempotent, bodiless request on 502/503), stream the
 * response back, and account for everything. Every path ends in `complete` or `fail`, so a
 * client is never left hanging.
 */
export class Exchange {
  private readonly client: Socket
  // Request body
  private readonly bodyKind: BodyFraming['kind']
  private bodyRemaining = 0
  private bodyTracker: ChunkedTracker | undefined
  private requestBodyDone: boolean
  private bodyQueue: Buffer[] = []
  private bodyQueued = 0
  private bodySent = false
  /** This exchange paused client reads (request body backpressure) and owes a resume. */
  private clientPaused = false
  private leftover: Buffer | undefined
  // Routing and picking
  private rt!: PoolRuntime
  private edits!: RouteEdits
  private hash: number | undefined
  private pinned: string | undefined
  private setCookie: string | undefined
  private backend: Backend | undefined
  private readonly tried = new Set<string>()
  private attempt = 0
  /** A dropped kept-alive connection was already retried once on a fresh one. */
  private retriedStale = false
  /** The backend `onStart` was reported for; `onDone` goes to exactly this one. */
  private startedOn: Backend | undefined
  private sentAt = 0
  // Upstream
  private socket: Socket | undefined
  private reused = false
  private private_ = false
  private respPending: Buffer | undefined
  private resp: ResponseHead | undefined
  private respFraming: BodyFraming | undefined
  private respRemaining = 0
  private respTracker: ChunkedTracker | undefined
  private respStarted = false
  private reusable = true
  private clientKeepAlive = false
  /** When the response head must have arrived (ms, monotonic); Infinity while not waiting for one. */
  private responseDeadline = Infinity
  /** Upstream chunks seen, and when that count last changed: the sweep's idle check. */
  private upstreamActivity = 0
  private upstreamSeen = -1
  private upstreamChangedAt = 0
  private over = false

  constructor(
    private readonly session: ClientSession,
    private readonly head: RequestHead,
    private readonly headParsedAt: number,
  ) {
    this.client = session.socket
    this.bodyKind = head.framing.kind
    this.requestBodyDone = this.bodyKind === 'none' || (head.framing.kind === 'length' && head.framing.length === 0)
    if (head.framing.kind === 'length') this.bodyRemaining = head.framing.length
    if (this.bodyKind === 'chunked') this.bodyTracker = session.chunkedTracker()
  }

  // ── Start: route and pick ─────────────────────────────────────────────────────────────────

  start(initial: Buffer | undefined): void {
    const s = this.session.s
    if (initial !== undefined && !this.takeClientBytes(initial)) return
    if (this.head.method === 'CONNECT') return this.fail(405, 'LB_ERR_METHOD_NOT_ALLOWED')
    const route: MatchedRoute | undefined = s.table.match(routeRequestOf(this.head))
    if (route === undefined) return this.fail(404, 'LB_ERR_NO_ROUTE')
    this.edits = s.edits[route.index]!
    const rt = s.pools.get(route.target(s.random))!
    this.rt = rt
    rt.recordRequest()
    this.hash = requestHash(rt, this.head, this.session.origin.address, this.session.origin.port)
    const sticky = s.sticky(rt)
    if (sticky !== undefined) {
      const token = getCookie(cookieHeaderOf(this.head), sticky.cookie.cookie)
      this.pinned = token === undefined ? undefined : sticky.pinned(token)
    }
    this.pickAndConnect(false)
  }

  private pickAndConnect(fresh: boolean): void {
    const rt = this.rt
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
    const sticky = this.session.s.sticky(rt)
    this.setCookie = sticky !== undefined && backend.id !== this.pinned ? sticky.tokenFor(backend.id) : undefined
    this.backend = backend
    this.private_ = rt.config.proxyProtocol !== undefined
    if (this.private_) {
      const own = this.session.privateUpstreams.get(backend.id)
      if (own !== undefined && !own.destroyed && !fresh) {
        this.session.privateUpstreams.delete(backend.id)
        return this.connected({ socket: own, reused: true })
      }
    }
    const chosen = backend
    this.session.s.upstreams(rt).acquire(
      backend,
      (error, connection) => {
        if (this.over) {
          connection?.socket.destroy()
          return
        }
        if (error !== undefined) return this.connectFailed(chosen, error)
        this.connected(connection!)
      },
      fresh || this.private_,
    )
  }

  private connectFailed(backend: Backend, error: AcquireError): void {
    const rt = this.rt
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
    const r = this.rt.config.retries
    if (this.attempt >= r.attempts || !r.on.includes(kind) || this.client.destroyed) return false
    if (this.bodySent) return false
    if (needsIdempotent && (!IDEMPOTENT.has(this.head.method) || this.bodyKind !== 'none')) return false
    return this.rt.allowRetry()
  }

  // ── Request: head and body upstream ───────────────────────────────────────────────────────

  private connected(connection: UpstreamConnection): void {
    const socket = connection.socket
    const backend = this.backend!
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
    if (this.private_ && !connection.reused) socket.write(proxyHeaderFor(this.rt.config.proxyProtocol!, this.session.origin))
    socket.write(this.upstreamHead(), 'latin1')
    for (const b of this.bodyQueue) socket.write(b)
    if (this.bodyQueue.length > 0) this.bodySent = true
    this.bodyQueue = []
    this.bodyQueued = 0
    socket.uncork()
    this.session.s.counters.engineTimeUs.record((performance.now() - this.headParsedAt) * 1000)
    if (this.startedOn !== backend) {
      this.finishFeedback(false)
      this.startedOn = backend
      this.rt.pool.onStart(backend)
    }
    const c = this.rt.backend(backend.id)
    c.requests++
    this.sentAt = performance.now()
    if (this.requestBodyDone) this.armResponseTimer()
    this.resumeClient()
  }

  /**
   * Starts the response timeout once the whole request is on its way upstream: the timeout measures
   * the backend, and a client uploading slowly is not a backend failing to answer.
   */
  private armResponseTimer(): void {
    this.responseDeadline = performance.now() + this.rt.config.timeouts.responseMs
  }

  /** Deadlines, checked by the listener's sweep: the response timeout, then upstream idleness mid-body. */
  sweep(nowMs: number): void {
    if (this.over) return
    if (nowMs >= this.responseDeadline) return this.onResponseTimeout()
    if (this.socket === undefined) return
    if (this.upstreamActivity !== this.upstreamSeen) {
      this.upstreamSeen = this.upstreamActivity
      this.upstreamChangedAt = nowMs
    } else if (nowMs - this.upstreamChangedAt >= this.rt.config.timeouts.idleMs) {
      this.onUpstreamIdle()
    }
  }

  private upstreamHead(): string {
    const h = this.head
    const s = this.session.s
    const drop = h.upgrade === undefined ? hopByHopNames(h) : withoutUpgradeNames(hopByHopNames(h))
    const headers: HttpHeader[] = rewriteHeaders(h.headers, drop, this.edits.request)
    const l = s.listener.headers
    if (l.forwarded) addForwardedHeaders(headers, { clientAddress: this.session.origin.address, proto: s.proto, host: h.host })
    if (l.requestId && h.get('x-request-id') === undefined) headers.push({ name: 'X-Request-Id', value: s.requestId() })
    if (this.bodyKind === 'chunked') headers.push({ name: 'Transfer-Encoding', value: transferCodings(h.headers) ?? 'chunked' })
    // An HTTP/1.0 request goes upstream as HTTP/1.0, so the response comes back in a framing a
    // 1.0 client understands (never chunked); keep-alive is asked for explicitly.
    if (h.version === '1.0' && h.upgrade === undefined) headers.push({ name: 'Connection', value: 'keep-alive' })
    const line = requestHeadString(h.method, originForm(h.target), headers)
    return h.version === '1.0' ? line.replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n') : line
  }

  /** Client bytes while this exchange runs: request body, then the next request (kept for later). */
  onClientData(chunk: Buffer): void {
    this.takeClientBytes(chunk)
  }

  /** Splits client bytes into this request's body and what follows; false when framing failed. */
  private takeClientBytes(chunk: Buffer): boolean {
    if (this.requestBodyDone) {
      this.leftover = concat(this.leftover, chunk)
      this.session.holdBack(this.leftover.length)
      return true
    }
    let body = chunk
    if (this.bodyKind === 'length') {
      const n = Math.min(this.bodyRemaining, chunk.length)
      this.bodyRemaining -= n
      if (n < chunk.length) {
        body = chunk.subarray(0, n)
        this.leftover = concat(this.leftover, chunk.subarray(n))
      }
      if (this.bodyRemaining === 0) this.requestBodyDone = true
    } else {
      let end: number
      try {
        end = this.bodyTracker!.feed(chunk, 0, chunk.length)
      } catch (e) {
        this.failFraming((e as { code?: string }).code ?? 'HTTP_ERR_BAD_CHUNK')
        return false
      }
      if (end >= 0) {
        this.requestBodyDone = true
        if (end < chunk.length) {
          body = chunk.subarray(0, end)
          this.leftover = concat(this.leftover, chunk.subarray(end))
        }
      }
    }
    this.sendBody(body)
    if (this.requestBodyDone && this.socket !== undefined && !this.over && this.resp === undefined) this.armResponseTimer()
    return true
  }

  private sendBody(body: Buffer): void {
    if (body.length === 0) return
    const socket = this.socket
    if (socket === undefined || this.over) {
      // Not connected yet: queue, and stop reading if the queue grows large.
      this.bodyQueue.push(body)
      this.bodyQueued += body.length
      if (this.bodyQueued > 1 << 20) this.pauseClient()
      return
    }
    this.bodySent = true
    if (!socket.write(body)) this.pauseClient()
  }

  private pauseClient(): void {
    this.clientPaused = true
    this.client.pause()
  }

  /**
   * Undoes this exchange's own pause, whether or not the body is complete: a pause left in place
   * after the last body chunk would stop the connection from ever reading its next request. A
   * pause the session made (too many pipelined bytes) is the session's to undo.
   */
  private resumeClient(): void {
    if (!this.clientPaused) return
    this.clientPaused = false
    this.client.resume()
  }

  private readonly onUpstreamDrain = (): void => this.resumeClient()

  /** The client can take more response bytes. */
  onClientDrain(): void {
    this.socket?.resume()
  }

  // ── Response ──────────────────────────────────────────────────────────────────────────────

  private readonly onUpstreamData = (chunk: Buffer): void => {
    this.upstreamActivity++
    this.session.activity++
    if (this.over) return
    if (this.resp === undefined) return this.onResponseHeadBytes(chunk)
    this.onResponseBody(chunk)
  }

  private onResponseHeadBytes(chunk: Buffer): void {
    const buf = concat(this.respPending, chunk)
    const r = parseResponseHead(buf, 0, buf.length, this.session.s.limits)
    if (r.status === 'incomplete') {
      this.respPending = buf
      return
    }
    this.respPending = undefined
    if (r.status === 'error') return this.upstreamFailed('LB_ERR_UPSTREAM_BAD_RESPONSE', `${r.code}: ${r.reason}`)
    const head = r.head
    const rest = head.headBytes < buf.length ? buf.subarray(head.headBytes) : undefined
    if (head.status < 200 && head.status !== 101) {
      // Interim responses (100 Continue, 103 Early Hints) go to HTTP/1.1 clients as they come.
      if (this.head.version === '1.1') this.client.write(responseHeadString(head.status, head.reason, rewriteHeaders(head.headers, hopByHopNames(head), NO_EDITS)), 'latin1')
      if (rest !== undefined) this.onResponseHeadBytes(rest)
      return
    }
    this.responseDeadline = Infinity
    if (head.status === 101) {
      if (this.head.upgrade === undefined) return this.upstreamFailed('LB_ERR_UPSTREAM_BAD_RESPONSE', '101 without an upgrade request')
      return this.startTunnel(head, rest)
    }
    if ((head.status === 502 || head.status === 503) && this.mayRetry('gateway-error', true)) return this.retryAfterGatewayError(head.status)
    this.resp = head
    this.respFraming = responseFraming(this.head.method, head)
    if (this.respFraming.kind === 'length') this.respRemaining = this.respFraming.length
    if (this.respFraming.kind === 'chunked') this.respTracker = this.session.chunkedTracker()
    // The head and the body bytes that came with it leave in one write (writev), not two.
    const client = this.client
    client.cork()
    try {
      this.writeResponseHead(head)
      if (this.respFraming.kind === 'none' || (this.respFraming.kind === 'length' && this.respRemaining === 0)) {
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
    const c = this.rt.backend(backend.id)
    c.responses[statusClass(status)]++
    c.retries++
    this.rt.recordOutcome(backend.id, false)
    this.tried.add(backend.id)
    // The rest of that answer is of no use: the connection cannot be reused.
    this.detachUpstream(true)
    this.attempt++
    this.pickAndConnect(false)
  }

  private writeResponseHead(head: ResponseHead): void {
    const s = this.session.s
    const headers = rewriteHeaders(head.headers, hopByHopNames(head), this.edits.response)
    if (this.setCookie !== undefined) {
      const st = this.rt.config.stickySession!
      headers.push({ name: 'Set-Cookie', value: serializeSetCookie(st.cookie, this.setCookie, { path: '/', httpOnly: st.httpOnly, ...(st.maxAgeS === undefined ? {} : { maxAgeS: st.maxAgeS }) }) })
    }
    const framing = this.respFraming!.kind
    const codings = framing === 'chunked' || framing === 'close' ? transferCodings(head.headers) : undefined
    if (codings !== undefined) headers.push({ name: 'Transfer-Encoding', value: codings })
    // A request body still arriving will not be read to its end: the connection closes after this.
    this.clientKeepAlive = this.head.keepAlive && this.requestBodyDone && framing !== 'close' && !s.draining()
    if (!this.clientKeepAlive) headers.push({ name: 'Connection', value: 'close' })
    else if (this.head.version === '1.0') headers.push({ name: 'Connection', value: 'keep-alive' })
    this.respStarted = true
    if (!this.client.write(responseHeadString(head.status, head.reason, headers), 'latin1')) this.socket!.pause()
  }

  private onResponseBody(chunk: Buffer): void {
    const framing = this.respFraming!
    let part = chunk
    let finished = false
    if (framing.kind === 'length') {
      const n = Math.min(this.respRemaining, chunk.length)
      this.respRemaining -= n
      if (n < chunk.length) {
        part = chunk.subarray(0, n)
        this.reusable = false
      }
      finished = this.respRemaining === 0
    } else if (framing.kind === 'chunked') {
      let end: number
      try {
        end = this.respTracker!.feed(chunk, 0, chunk.length)
      } catch {
        return this.upstreamFailed('LB_ERR_UPSTREAM_BAD_RESPONSE', 'malformed chunked body')
      }
      if (end >= 0) {
        finished = true
        if (end < chunk.length) {
          part = chunk.subarray(0, end)
          this.reusable = false
        }
      }
    }
    if (part.length > 0 && !this.client.write(part)) this.socket!.pause()
    if (finished) this.complete()
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
      const replayable = !this.bodySent && this.requestBodyDone && IDEMPOTENT.has(this.head.method)
      if (replayable && this.reused && !this.retriedStale) {
        // A kept-alive connection the backend had already dropped: once, on a fresh connection to
        // the same backend, free of budget and outlier accounting.
        this.retriedStale = true
        this.detachUpstream(true)
        return this.pickAgainSameBackend()
      }
      if (replayable && this.mayRetry('connect-failure', false)) {
        // The backend went away while the request was on it: another backend, within the budget.
        const backend = this.backend!
        this.rt.recordOutcome(backend.id, false)
        this.rt.backend(backend.id).retries++
        this.tried.add(backend.id)
        this.detachUpstream(true)
        this.attempt++
        return this.pickAndConnect(false)
      }
      return this.upstreamFailed('LB_ERR_UPSTREAM_RESET', undefined)
    }
    if (this.resp === undefined) return this.upstreamFailed('LB_ERR_UPSTREAM_RESET', undefined)
    // Mid-body: the client already has a head and part of a body; all it can learn is a cut.
    countError(this.session.s.counters, 'LB_ERR_UPSTREAM_RESET')
    this.rt.recordOutcome(this.backend!.id, false)
    this.end(false, false)
    this.cutClient()
  }

  private pickAgainSameBackend(): void {
    const backend = this.backend!
    this.session.s.upstreams(this.rt).acquire(
      backend,
      (error, connection) => {
        if (this.over) return void connection?.socket.destroy()
        if (error !== undefined) return this.connectFailed(backend, error)
        this.connected(connection!)
      },
      true,
    )
  }

  private readonly onResponseTimeout = (): void => {
    if (this.over || this.resp !== undefined) return
    this.rt.backend(this.backend!.id).timeouts++
    this.rt.recordOutcome(this.backend!.id, false)
    this.detachUpstream(true)
    this.fail(504, 'LB_ERR_UPSTREAM_TIMEOUT', `no response within ${this.rt.config.timeouts.responseMs} ms`)
  }

  private readonly onUpstreamIdle = (): void => {
    if (this.over) return
    if (this.resp === undefined) return // the response timer decides
    this.upstreamClosedEarly()
  }

  /** The client sent nothing and received nothing for the idle time while a request was open. */
  onClientIdle(): void {
    if (this.respStarted) return
    this.cutClient()
  }

  /** A response the backend broke: 502 if nothing was sent to the client yet, else a cut. */
  private upstreamFailed(code: string, detail: string | undefined): void {
    this.rt.recordOutcome(this.backend!.id, false)
    this.detachUpstream(true)
    if (this.respStarted) {
      countError(this.session.s.counters, code)
      this.end(false, false)
      this.cutClient()
      return
    }
    this.fail(502, code, detail)
  }

  // ── WebSocket and other upgrades ──────────────────────────────────────────────────────────

  private startTunnel(head: ResponseHead, rest: Buffer | undefined): void {
    const socket = this.socket!
    const drop = withoutUpgradeNames(hopByHopNames(head))
    this.client.write(responseHeadString(head.status, head.reason, rewriteHeaders(head.headers, drop, this.edits.response)), 'latin1')
    if (rest !== undefined) this.client.write(rest)
    if (this.leftover !== undefined) socket.write(this.leftover)
    this.over = true
    const backend = this.backend!
    const s = this.session.s
    s.counters.responses['1xx']++
    this.rt.backend(backend.id).responses['1xx']++
    this.unlisten(socket)
    this.session.tunnel(socket, () => this.finishFeedback(true))
  }

  // ── Endings ───────────────────────────────────────────────────────────────────────────────

  /** The response is complete: account, hand back the connection, let the session go on. */
  private complete(): void {
    const socket = this.socket!
    const reusable = this.reusable && this.requestBodyDone && this.resp!.keepAlive && this.respFraming!.kind !== 'close' && !socket.destroyed
    this.end(true, true)
    this.unlisten(socket)
    if (!reusable) socket.destroy()
    else if (this.private_) this.session.privateUpstreams.set(this.backend!.id, socket)
    else this.session.s.upstreams(this.rt).release(this.backend!, socket)
    this.session.finished(this.clientKeepAlive && this.requestBodyDone, this.leftover)
  }

  /** Accounting common to every ending once a backend was involved. */
  private end(responded: boolean, ok: boolean): void {
    this.over = true
    this.resumeClient()
    this.responseDeadline = Infinity
    const status = this.resp?.status
    if (responded && status !== undefined && this.backend !== undefined) {
      this.rt.backend(this.backend.id).responses[statusClass(status)]++
      this.session.s.counters.responses[statusClass(status)]++
      this.rt.recordOutcome(this.backend.id, status < 500)
    }
    this.finishFeedback(ok && (status ?? 0) < 500)
  }

  /** Reports the end of the request to the backend it was started on, once. */
  private finishFeedback(ok: boolean): void {
    const b = this.startedOn
    if (b === undefined) return
    this.startedOn = undefined
    this.rt.pool.onDone(b, { ok, latencyUs: (performance.now() - this.sentAt) * 1000 })
  }

  /** The balancer answers the request itself (an error), if nothing was sent to the client yet. */
  fail(status: number, code: string, detail?: string): void {
    if (this.over) return
    if (this.socket !== undefined) this.detachUpstream(true)
    this.end(false, false)
    const s = this.session.s
    countError(s.counters, code)
    if (this.respStarted || this.client.destroyed) return void this.cutClient()
    s.counters.responses[statusClass(status)]++
    // A body still arriving cannot be skipped safely: answer, then close.
    const keepAlive = this.head.keepAlive && this.requestBodyDone && !s.draining()
    this.client.write(errorResponse(status, code, detail, keepAlive), 'latin1')
    this.session.finished(keepAlive, this.leftover)
  }

  private failFraming(code: string): void {
    if (this.over) return
    this.requestBodyDone = false
    this.fail(400, code, 'malformed chunked request body')
  }

  /**
   * Ends the client connection abruptly (a response cut short). Bytes still corked — the head of
   * a response whose body then failed — are flushed first, so the client sees how far it got.
   */
  private cutClient(): void {
    if (this.client.writableCorked > 0) this.client.uncork()
    this.client.destroy()
  }

  /** The client went away mid-exchange. */
  abort(): void {
    if (this.over) return
    countError(this.session.s.counters, 'LB_ERR_CLIENT_ABORTED')
    if (this.socket !== undefined) this.detachUpstream(true)
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

export type { HeaderEdits }
