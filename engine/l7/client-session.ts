import type { Socket } from 'node:net'
import type { HttpHeader, RequestHead, ResponseHead } from '../http/http-head.js'
import { parseRequestHead } from '../http/http-parser.js'
import { relay } from '../l4/relay.js'
import { countError, statusClass } from '../stats/counters.js'
import type { ResponseHeadOptions } from './codec.js'
import { errorAnswer, errorResponse } from './error-response.js'
import type { Downstream } from './downstream.js'
import { prefaceVerdict } from './h2/connection-preface.js'
import { http1Codec } from './http1/http1-codec.js'
import { RequestLifecycle } from './request-lifecycle.js'
import type { L7Settings } from './l7-settings.js'
import type { ClientOrigin } from '../runtime/proxy-header.js'
import type { Swept } from '../runtime/sweeper.js'

/** Client bytes buffered beyond the current request before reading is paused. */
const MAX_BUFFERED = 256 * 1024

/**
 * One client connection of an L7 listener: parses request heads as they arrive, runs one exchange
 * at a time (pipelined requests wait their turn, in order), keeps the connection alive between
 * requests, and enforces the head and idle timeouts. The first request's head deadline runs from
 * the accept (HAProxy's `timeout http-request`): a connection that never sends a byte is cut by it,
 * not by the much longer idle timeout. Later heads on a kept-alive connection are timed from their
 * first byte; the wait between requests is the idle timeout's.
 */
export class ClientSession implements Swept, Downstream {
  /** Chunks either way while the session runs: the sweep's idle check. */
  activity = 0
  private seen = -1
  private changedAt = 0
  private pending: Buffer | undefined
  private exchange: RequestLifecycle | undefined
  private headTimer: NodeJS.Timeout | undefined
  private closed = false
  /** The balancer ended the connection: whatever the client still sends is not parsed. */
  private ending = false
  /** When it ended its side (performance.now() ms): the lingering close ends `lingerMs` later. */
  private endedAt = 0
  private pausedForBuffer = false
  /** Requests begun on this connection. */
  private served = 0
  /** The first bytes were told apart from the HTTP/2 preface (h2c listeners), or need not be. */
  private sniffed: boolean
  /** The connection went to HTTP/2: this session no longer owns it. */
  private handedOver = false
  /** PROXY-protocol pools: connections carrying this client's PROXY header, private to it. */
  readonly privateUpstreams = new Map<string, Socket>()
  /** When the head being read began: the accept for the first request, its first byte for later ones. */
  headStartedAt: number

  /** `acceptedAt`: when the TCP connection was accepted (performance.now() ms), before any PROXY header or TLS. */
  constructor(
    readonly socket: Socket,
    readonly origin: ClientOrigin,
    readonly s: L7Settings,
    initial: Buffer | undefined,
    acceptedAt: number,
  ) {
    this.sniffed = s.h2c === undefined
    socket.on('data', this.onData)
    socket.on('drain', this.onDrain)
    socket.on('error', () => {})
    socket.once('close', this.onClose)
    s.sweeper.add(this)
    socket.setNoDelay(true)
    this.headStartedAt = acceptedAt
    this.armHeadDeadline(acceptedAt)
    if (initial !== undefined && initial.length > 0) this.onData(initial)
  }

  /** Arms the head deadline, `requestHeadMs` after `since`, unless it is already armed. */
  private armHeadDeadline(since: number): void {
    if (this.headTimer !== undefined) return
    const left = Math.max(0, this.s.listener.timeouts.requestHeadMs - (performance.now() - since))
    this.headTimer = setTimeout(this.onHeadTimeout, left)
  }

  private readonly onHeadTimeout = (): void => {
    this.headTimer = undefined
    if (this.activity > 0) {
      this.reject(408, 'LB_ERR_REQUEST_HEAD_TIMEOUT', undefined)
      return
    }
    // Not a byte since the accept: nothing to answer (a 408 would confuse a client that only
    // pre-connected, as HAProxy's http-ignore-probes and nginx do); counted, then closed.
    this.startEnding()
    countError(this.s.counters, 'LB_ERR_REQUEST_HEAD_TIMEOUT')
    this.socket.destroy()
  }

  get draining(): boolean {
    return this.s.draining()
  }

  /** True while no request is in progress (a drain may close the connection). */
  get idle(): boolean {
    return this.exchange === undefined && this.pending === undefined
  }

  private readonly onData = (chunk: Buffer): void => {
    this.activity++
    if (this.ending) return
    if (this.exchange !== undefined) {
      this.exchange.onClientData(chunk)
      return
    }
    if (this.pending === undefined && this.served > 0) this.headStartedAt = performance.now()
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    if (!this.sniffed) {
      const verdict = prefaceVerdict(this.pending)
      if (verdict === 'incomplete') return
      this.sniffed = true
      if (verdict === 'h2') return this.handOverToH2()
    }
    this.parseNext()
  }

  /** The connection opened with the HTTP/2 preface: it leaves this session for an HTTP/2 one. */
  private handOverToH2(): void {
    const initial = this.pending!
    this.pending = undefined
    this.handedOver = true
    clearTimeout(this.headTimer)
    this.headTimer = undefined
    this.socket.off('data', this.onData)
    this.socket.off('drain', this.onDrain)
    this.socket.off('close', this.onClose)
    this.s.sweeper.delete(this)
    this.s.h2c!(this.socket, this.origin, initial)
  }

  private readonly onDrain = (): void => this.exchange?.onClientDrain()

  /** Deadlines, on the listener's sweep: the exchange's own, then idleness of the connection. */
  sweep(nowMs: number): void {
    if (this.ending && nowMs - this.endedAt >= this.s.listener.timeouts.lingerMs) {
      // The client kept sending after the balancer closed its side: the lingering close is over.
      this.socket.destroy()
      return
    }
    this.exchange?.sweep(nowMs)
    if (this.activity !== this.seen) {
      this.seen = this.activity
      this.changedAt = nowMs
    } else if (nowMs - this.changedAt >= this.s.listener.timeouts.idleMs) {
      this.changedAt = nowMs
      // No bytes either way for idleMs: a kept-alive connection between requests, or a stuck one.
      if (this.exchange === undefined) this.socket.destroy()
      else this.exchange.onClientIdle()
    }
  }

  private readonly onClose = (): void => {
    this.closed = true
    this.s.sweeper.delete(this)
    clearTimeout(this.headTimer)
    this.exchange?.abort()
    this.exchange = undefined
    for (const s of this.privateUpstreams.values()) s.destroy()
    this.privateUpstreams.clear()
  }

  /** Pauses reading while too many bytes wait behind the current request. */
  holdBack(buffered: number): void {
    if (buffered > MAX_BUFFERED && !this.pausedForBuffer) {
      this.pausedForBuffer = true
      this.socket.pause()
    }
  }

  private parseNext(): void {
    const buf = this.pending
    if (buf === undefined || buf.length === 0) {
      this.pending = undefined
      return
    }
    const r = parseRequestHead(buf, 0, buf.length, this.s.limits)
    if (r.status === 'incomplete') {
      this.armHeadDeadline(performance.now())
      return
    }
    clearTimeout(this.headTimer)
    this.headTimer = undefined
    if (r.status === 'error') {
      this.reject(r.httpStatus, r.code, r.reason)
      return
    }
    const head: RequestHead = r.head
    const rest = head.headBytes < buf.length ? buf.subarray(head.headBytes) : undefined
    this.pending = undefined
    this.s.counters.requests++
    this.served++
    this.exchange = new RequestLifecycle(this, head, performance.now(), http1Codec)
    this.exchange.start(rest)
  }

  /** Answers a request the balancer could not parse or accept, then closes: framing is lost. */
  private reject(status: number, code: string, detail: string | undefined): void {
    this.pending = undefined
    this.startEnding()
    this.s.counters.responses[statusClass(status)]++
    countError(this.s.counters, code)
    if (!this.closed) this.socket.end(this.rejection(status, code, detail), 'latin1')
  }

  /** The bytes of a rejection, shaped by the listener's filters that shape rejections (security headers). */
  private rejection(status: number, code: string, detail: string | undefined): string {
    const hooks = this.s.listenerChain.onRejectHead
    if (hooks.length === 0) return errorResponse(status, code, detail, false)
    const e = errorAnswer(status, code, detail)
    for (const f of hooks) {
      try {
        f.onRejectHead!(this.s.proto, status, e.headers)
      } catch {
        countError(this.s.counters, 'LB_ERR_FILTER')
        return errorResponse(status, code, detail, false)
      }
    }
    return http1Codec.encodeAnswer(status, e.headers, e.body, false)
  }

  /**
   * The current exchange is over. `keepAlive`: the connection may carry another request; `leftover`:
   * client bytes received beyond the finished request (the next request, pipelined).
   */
  finished(keepAlive: boolean, leftover: Buffer | undefined): void {
    this.exchange = undefined
    if (this.closed) return
    if (!keepAlive || this.s.draining()) {
      this.end()
      return
    }
    if (this.pausedForBuffer) {
      this.pausedForBuffer = false
      this.socket.resume()
    }
    if (leftover !== undefined && leftover.length > 0) {
      // A pipelined head, read while the previous request ran: its reading begins now.
      if (this.pending === undefined) this.headStartedAt = performance.now()
      this.pending = this.pending === undefined ? leftover : Buffer.concat([leftover, this.pending])
    }
    this.parseNext()
  }

  sendInterim(request: RequestHead, head: ResponseHead): void {
    const interim = http1Codec.encodeInterim(request, head)
    if (interim !== undefined) this.socket.write(interim, 'latin1')
  }

  sendHead(request: RequestHead, status: number, reason: string, headers: HttpHeader[], options: ResponseHeadOptions): boolean {
    return this.socket.write(http1Codec.encodeResponseHead(request, status, reason, headers, options), 'latin1')
  }

  sendBody(chunk: Buffer): boolean {
    return this.socket.write(chunk)
  }

  sendAnswer(status: number, headers: HttpHeader[], body: string, keepAlive: boolean): void {
    this.socket.write(http1Codec.encodeAnswer(status, headers, body, keepAlive), 'latin1')
  }

  sendError(status: number, code: string, detail: string | undefined, keepAlive: boolean): void {
    this.socket.write(errorResponse(status, code, detail, keepAlive), 'latin1')
  }

  /**
   * Ends the connection abruptly. Bytes still corked — the head of a response whose body then
   * failed — are flushed first, so the client sees how far it got.
   */
  cut(): void {
    if (this.socket.writableCorked > 0) this.socket.uncork()
    this.socket.destroy()
  }

  /** Hands the connection to a byte tunnel (WebSocket after 101): no more HTTP parsing on it. */
  tunnel(upstream: Socket, onClose: () => void): void {
    this.exchange = undefined
    this.socket.off('data', this.onData)
    this.socket.off('drain', this.onDrain)
    this.s.sweeper.delete(this)
    relay(this.socket, upstream, { sweeper: this.s.sweeper, idleMs: this.s.listener.timeouts.idleMs }, onClose)
  }

  /** Ends the connection if it sits idle between requests (graceful drain). */
  closeIfIdle(): void {
    if (this.idle && !this.closed && !this.handedOver) this.end()
  }

  private end(): void {
    this.startEnding()
    this.socket.end()
  }

  /** From here on, client bytes are read and dropped, for `lingerMs` at most. */
  private startEnding(): void {
    if (this.ending) return
    this.ending = true
    this.endedAt = performance.now()
  }
}
