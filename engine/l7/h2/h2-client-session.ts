import type { Socket } from 'node:net'
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { ClientOrigin } from '../../runtime/proxy-header.js'
import type { Swept } from '../../runtime/sweeper.js'
import { countError } from '../../stats/counters.js'
import type { L7Settings } from '../l7-settings.js'
import { requestHeadFromH2 } from './h2-heads.js'
import { H2StreamDownstream, type H2StreamHost } from './h2-stream-downstream.js'

/** A connection's maximum age: `ageMs` moved by up to `jitter` of it either way, by `random` in [0, 1). */
export function connectionAge(ageMs: number, jitter: number, random: number): number {
  return ageMs * (1 + jitter * (2 * random - 1))
}

/**
 * One HTTP/2 client connection of an L7 listener: every stream is its own request lifecycle (a
 * backend pick per stream, through the same routes, filters and pools as HTTP/1.1). The session
 * closes with GOAWAY when the listener drains (in-flight streams finish, new ones are refused) or
 * when it sat idle without streams, and is torn down when the client resets more streams than
 * `http2.maxResetsPerSession` (HTTP/2 Rapid Reset, CVE-2023-44487).
 */
export class H2ClientSession implements Swept, H2StreamHost {
  activity = 0
  private seen = -1
  private changedAt = 0
  private resets = 0
  /** When the connection is sent GOAWAY for its age, and when it is closed after the grace (ms, monotonic). */
  private retireAt: number
  private closeAt = Infinity
  private readonly streams = new Set<H2StreamDownstream>()
  readonly privateUpstreams = new Map<string, Socket>()

  constructor(
    private readonly session: ServerHttp2Session,
    readonly origin: ClientOrigin,
    readonly s: L7Settings,
  ) {
    session.on('stream', this.onStream)
    session.on('error', () => {})
    session.once('close', this.onClose)
    // The session's handle exists once it is set up on the socket (at once, or after TLS).
    const raiseWindow = () => session.setLocalWindowSize(s.listener.http2.connectionWindowSize)
    if (session.connecting) session.once('connect', raiseWindow)
    else raiseWindow()
    const h = s.listener.http2
    const now = performance.now()
    this.retireAt = h.maxConnectionAgeMs === undefined ? Infinity : now + connectionAge(h.maxConnectionAgeMs, h.maxConnectionAgeJitter, s.random())
    s.sweeper.add(this)
  }

  private readonly onStream = (stream: ServerHttp2Stream, _headers: unknown, flags: number, raw: string[]): void => {
    this.activity++
    this.s.counters.requests++
    const head = requestHeadFromH2(raw, (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0)
    this.streams.add(new H2StreamDownstream(this, stream, head))
  }

  streamClosed(stream: H2StreamDownstream, byClient: boolean): void {
    this.streams.delete(stream)
    if (byClient && ++this.resets > this.s.listener.http2.maxResetsPerSession && !this.session.destroyed) {
      countError(this.s.counters, 'LB_ERR_H2_RESET_FLOOD')
      this.session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM)
      this.session.destroy()
      return
    }
    if (this.s.draining()) this.closeIfIdle()
  }

  /** Stream deadlines, then idleness of the connection (no stream and no frame for `idleMs`). */
  sweep(nowMs: number): void {
    for (const d of this.streams) d.sweep(nowMs)
    if (nowMs >= this.retireAt) {
      this.retireAt = Infinity
      const grace = this.s.listener.http2.maxConnectionAgeGraceMs
      if (grace !== undefined) this.closeAt = nowMs + grace
      this.closeIfIdle()
    }
    if (nowMs >= this.closeAt) {
      this.closeAt = Infinity
      this.session.destroy()
      return
    }
    if (this.activity !== this.seen) {
      this.seen = this.activity
      this.changedAt = nowMs
    } else if (this.streams.size === 0 && nowMs - this.changedAt >= this.s.listener.timeouts.idleMs) {
      this.session.close()
    }
  }

  /** GOAWAY: streams in flight finish, the client opens new ones elsewhere (graceful drain). */
  closeIfIdle(): void {
    if (!this.session.closed && !this.session.destroyed) this.session.close()
  }

  private readonly onClose = (): void => {
    this.s.sweeper.delete(this)
    for (const s of this.privateUpstreams.values()) s.destroy()
    this.privateUpstreams.clear()
  }
}
