import http2, { type ClientHttp2Session } from 'node:http2'
import type { Backend } from '../../balancing/types.js'
import type { PoolRuntime } from '../../runtime/pool-runtime.js'
import { Sweeper, sweepInterval, type Swept } from '../../runtime/sweeper.js'
import { upstreamTlsOf } from '../l7-settings.js'
import type { AcquireError } from '../upstream-pool.js'

/** How a pool's HTTP/2 sessions to its backends are opened, filled and retired. */
export interface H2SessionSettings {
  readonly connectMs: number
  /** A session without streams for this long is closed. */
  readonly idleTimeoutMs: number
  readonly maxSessionsPerBackend: number
  readonly maxStreamsPerSession: number
  /** 0: never retired by count. */
  readonly maxRequestsPerSession: number
  readonly maxSessionAgeMs?: number
  readonly initialWindowSize: number
  readonly connectionWindowSize: number
  readonly tls?: { readonly serverName?: string; readonly rejectUnauthorized: boolean; readonly ca?: string }
  /** Told about sessions and streams, for per-backend statistics. */
  readonly observer?: H2SessionObserver
}

/** What the pool reports (the owner keeps the counters). */
export interface H2SessionObserver {
  sessionOpened(backendId: string): void
  sessionClosed(backendId: string): void
  streamStarted(backendId: string): void
  streamEnded(backendId: string): void
}

/** A place for one stream on a session; `done` gives it back (exactly once, when the stream is over). */
export interface H2Lease {
  readonly session: ClientHttp2Session
  done(): void
}

type Leased = (error: AcquireError | undefined, lease: H2Lease | undefined) => void

interface Session {
  readonly session: ClientHttp2Session
  readonly openedAt: number
  streams: number
  requests: number
  idleSince: number
  /** Takes no new streams: GOAWAY received, or retired by count or age (in-flight streams finish). */
  retired: boolean
}

interface BackendSessions {
  readonly sessions: Session[]
  connecting: number
  readonly waiters: Leased[]
}

/**
 * HTTP/2 sessions to the backends of one pool. A stream goes on the first open session with room
 * (below both `maxStreamsPerSession` and the backend's SETTINGS_MAX_CONCURRENT_STREAMS); when none
 * has room, another session is opened up to `maxSessionsPerBackend`, beyond which requests wait
 * for a stream to end. Sessions are retired after `maxRequestsPerSession` streams or
 * `maxSessionAgeMs`, or when the backend sends GOAWAY: they take no new streams and close once
 * their last stream is over. Callbacks, not promises: this is on every request's path.
 */
export class H2SessionPool implements Swept {
  private readonly backends = new Map<string, BackendSessions>()
  private readonly sweeper: Sweeper
  private closed = false

  constructor(
    private readonly settings: H2SessionSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweeper = new Sweeper(sweepInterval(settings.idleTimeoutMs, settings.maxSessionAgeMs ?? Infinity))
  }

  /** Hands `done` a place for one stream to `backend`, now or once one frees up. */
  acquire(backend: Backend, done: Leased): void {
    if (this.closed) return done({ kind: 'connect', detail: 'the balancer is stopping' }, undefined)
    const e = this.entry(backend.id)
    const s = this.roomy(e)
    if (s !== undefined) return done(undefined, this.lease(backend, e, s))
    e.waiters.push(done)
    this.grow(backend, e)
  }

  /** Sessions open to `backendId` and streams on them (for tests and statistics). */
  sessionsOf(backendId: string): { readonly sessions: number; readonly streams: number } {
    const e = this.backends.get(backendId)
    return { sessions: e?.sessions.length ?? 0, streams: e?.sessions.reduce((n, s) => n + s.streams, 0) ?? 0 }
  }

  /** Retires sessions past their age and closes those idle too long. */
  sweep(nowMs: number): void {
    const maxAge = this.settings.maxSessionAgeMs
    for (const e of this.backends.values()) {
      for (const s of e.sessions) {
        if (maxAge !== undefined && nowMs - s.openedAt >= maxAge) this.retire(s)
        else if (s.streams === 0 && nowMs - s.idleSince >= this.settings.idleTimeoutMs) this.retire(s)
      }
    }
  }

  /** Destroys every session; later acquisitions fail. */
  close(): void {
    this.closed = true
    this.sweeper.stop()
    for (const e of this.backends.values()) {
      for (const s of [...e.sessions]) s.session.destroy()
      for (const w of e.waiters.splice(0)) w({ kind: 'connect', detail: 'the balancer is stopping' }, undefined)
    }
  }

  private entry(id: string): BackendSessions {
    let e = this.backends.get(id)
    if (e === undefined) {
      e = { sessions: [], connecting: 0, waiters: [] }
      this.backends.set(id, e)
    }
    return e
  }

  private room(s: Session): number {
    const peer = s.session.remoteSettings.maxConcurrentStreams ?? Infinity
    return Math.min(this.settings.maxStreamsPerSession, peer) - s.streams
  }

  private roomy(e: BackendSessions): Session | undefined {
    for (const s of e.sessions) if (!s.retired && !s.session.destroyed && this.room(s) > 0) return s
    return undefined
  }

  private lease(backend: Backend, e: BackendSessions, s: Session): H2Lease {
    s.streams++
    s.requests++
    this.settings.observer?.streamStarted(backend.id)
    if (this.settings.maxRequestsPerSession > 0 && s.requests >= this.settings.maxRequestsPerSession) s.retired = true
    let given = false
    return {
      session: s.session,
      done: () => {
        if (given) return
        given = true
        s.streams--
        s.idleSince = this.now()
        this.settings.observer?.streamEnded(backend.id)
        if (s.retired && s.streams === 0) this.retire(s)
        this.serve(backend, e)
      },
    }
  }

  /** Stops new streams on a session; it closes (GOAWAY) once its streams are over. */
  private retire(s: Session): void {
    s.retired = true
    if (s.streams === 0 && !s.session.closed) s.session.close()
  }

  /** Waiters get places while there is room; another session is opened for the rest, within the cap. */
  private serve(backend: Backend, e: BackendSessions): void {
    while (e.waiters.length > 0) {
      const s = this.roomy(e)
      if (s === undefined) break
      e.waiters.shift()!(undefined, this.lease(backend, e, s))
    }
    this.grow(backend, e)
  }

  private grow(backend: Backend, e: BackendSessions): void {
    if (this.closed || e.waiters.length === 0 || e.connecting > 0) return
    const open = e.sessions.filter((s) => !s.retired).length
    if (open < this.settings.maxSessionsPerBackend) this.open(backend, e)
  }

  private open(backend: Backend, e: BackendSessions): void {
    const t = this.settings.tls
    const host = backend.host.includes(':') ? `[${backend.host}]` : backend.host
    e.connecting++
    const session = http2.connect(`${t === undefined ? 'http' : 'https'}://${host}:${backend.port}`, {
      settings: { initialWindowSize: this.settings.initialWindowSize, enablePush: false },
      ...(t === undefined ? {} : { rejectUnauthorized: t.rejectUnauthorized, ALPNProtocols: ['h2'], ...(t.serverName === undefined ? {} : { servername: t.serverName }), ...(t.ca === undefined ? {} : { ca: t.ca }) }),
    })
    let connected = false
    let failure: AcquireError | undefined
    const timer = setTimeout(() => {
      failure = { kind: 'timeout', detail: `no HTTP/2 session within ${this.settings.connectMs} ms` }
      session.destroy()
    }, this.settings.connectMs)
    session.on('error', (err: Error) => {
      failure ??= { kind: 'connect', detail: err.message }
    })
    session.once('connect', () => {
      clearTimeout(timer)
      connected = true
      e.connecting--
      const s: Session = { session, openedAt: this.now(), streams: 0, requests: 0, idleSince: this.now(), retired: false }
      e.sessions.push(s)
      if (e.sessions.length === 1) this.sweeper.add(this)
      session.setLocalWindowSize(this.settings.connectionWindowSize)
      this.settings.observer?.sessionOpened(backend.id)
      session.on('goaway', () => this.retire(s))
      // More room once the backend's SETTINGS arrive (the first ones may raise the stream limit).
      session.on('remoteSettings', () => this.serve(backend, e))
      session.once('close', () => {
        const i = e.sessions.indexOf(s)
        if (i >= 0) e.sessions.splice(i, 1)
        this.settings.observer?.sessionClosed(backend.id)
        this.serve(backend, e)
      })
      this.serve(backend, e)
    })
    session.once('close', () => {
      if (connected) return
      clearTimeout(timer)
      e.connecting--
      const error: AcquireError = failure ?? { kind: 'connect', detail: 'the session closed before it was set up' }
      // The requests waiting for this session learn it failed (each retries elsewhere by its own policy).
      if (e.sessions.every((s) => s.retired)) for (const w of e.waiters.splice(0)) w(error, undefined)
    })
  }
}

const pools = new WeakMap<PoolRuntime, H2SessionPool>()

/** The HTTP/2 sessions of a pool (`protocol: h2`), shared by every L7 listener using it. */
export function h2SessionsOf(rt: PoolRuntime): H2SessionPool {
  let p = pools.get(rt)
  if (p === undefined) {
    const c = rt.config
    const tls = upstreamTlsOf(c)
    p = new H2SessionPool({
      connectMs: c.timeouts.connectMs,
      idleTimeoutMs: c.keepAlive.idleTimeoutMs,
      ...c.http2,
      ...(tls === undefined ? {} : { tls }),
      observer: {
        sessionOpened(id) {
          const b = rt.backend(id).h2
          b.sessionsActive++
          b.sessionsTotal++
        },
        sessionClosed(id) {
          rt.backend(id).h2.sessionsActive--
        },
        streamStarted(id) {
          rt.backend(id).h2.streamsActive++
        },
        streamEnded(id) {
          rt.backend(id).h2.streamsActive--
        },
      },
    })
    pools.set(rt, p)
  }
  return p
}

/** Closes a pool's HTTP/2 sessions, if it has any. */
export function closeH2Sessions(rt: PoolRuntime): void {
  pools.get(rt)?.close()
}
