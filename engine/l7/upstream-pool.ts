import net, { type Socket } from 'node:net'
import tls from 'node:tls'
import type { Backend } from '../balancing/types.js'
import { Sweeper, sweepInterval, type Swept } from '../runtime/sweeper.js'

/** How to open connections to a pool's backends. */
export interface UpstreamSettings {
  readonly connectMs: number
  readonly idleTimeoutMs: number
  readonly maxIdlePerBackend: number
  /** 0: no limit. Beyond it, acquisitions wait for a connection to be released. */
  readonly maxConnectionsPerBackend: number
  readonly tls?: { readonly serverName?: string; readonly rejectUnauthorized: boolean; readonly ca?: string }
  /** Told about connections and their traffic, for per-backend statistics. */
  readonly observer?: UpstreamObserver
}

/** What a pool reports about its connections (the owner keeps the counters). */
export interface UpstreamObserver {
  /** A connection to the backend is established. */
  opened(backendId: string): void
  /** Bytes written to and read from one connection since its last report. */
  transferred(backendId: string, written: number, read: number): void
  /** An established connection closed (after its last `transferred`). */
  closed(backendId: string): void
}

/** Why a connection could not be had. */
export type AcquireError = { readonly kind: 'connect' | 'timeout'; readonly detail: string }

/** A connection to a backend, reusable across requests while the backend keeps it alive. */
export interface UpstreamConnection {
  readonly socket: Socket
  /** True when this connection already carried a request (a stale keep-alive may fail at once). */
  readonly reused: boolean
}

type Acquired = (error: AcquireError | undefined, connection: UpstreamConnection | undefined) => void

interface BackendConnections {
  readonly idle: Socket[]
  open: number
  readonly waiters: Acquired[]
}

/**
 * Keep-alive connections to the backends of one pool. `acquire` hands out the most recently
 * released idle connection (the warmest; stale ones are found out by their 'close'), or opens a
 * new one within the per-backend limit, or queues. Callbacks, not promises: this is on every
 * request's path.
 */
export class UpstreamPool implements Swept {
  private readonly backends = new Map<string, BackendConnections>()
  /** When each idle connection was released (ms, monotonic): the sweep closes those idle too long. */
  private readonly idleSince = new Map<Socket, number>()
  private readonly sweeper: Sweeper
  /** Bytes of each established connection already reported to the observer. */
  private readonly reported = new WeakMap<Socket, { written: number; read: number }>()
  private closed = false

  constructor(private readonly settings: UpstreamSettings) {
    this.sweeper = new Sweeper(sweepInterval(settings.idleTimeoutMs))
  }

  /** Closes connections idle for longer than the keep-alive idle timeout. */
  sweep(nowMs: number): void {
    for (const [socket, since] of this.idleSince) if (nowMs - since >= this.settings.idleTimeoutMs) socket.destroy()
  }

  private markIdle(socket: Socket): void {
    this.idleSince.set(socket, performance.now())
    if (this.idleSince.size === 1) this.sweeper.add(this)
  }

  private unmarkIdle(socket: Socket): void {
    if (this.idleSince.delete(socket) && this.idleSince.size === 0) this.sweeper.delete(this)
  }

  private entry(id: string): BackendConnections {
    let e = this.backends.get(id)
    if (e === undefined) this.backends.set(id, (e = { idle: [], open: 0, waiters: [] }))
    return e
  }

  /** Gets a connection to `backend`; `fresh` skips idle connections (a retry after a stale one). */
  acquire(backend: Backend, done: Acquired, fresh = false): void {
    const e = this.entry(backend.id)
    if (!fresh) {
      while (e.idle.length > 0) {
        const socket = e.idle.pop()!
        this.unmarkIdle(socket)
        if (socket.destroyed || socket.readyState !== 'open') continue
        done(undefined, { socket, reused: true })
        return
      }
    }
    const limit = this.settings.maxConnectionsPerBackend
    if (limit > 0 && e.open >= limit) {
      e.waiters.push(done)
      return
    }
    this.connect(backend, e, done)
  }

  private connect(backend: Backend, e: BackendConnections, done: Acquired): void {
    e.open++
    const t = this.settings.tls
    const socket: Socket = t
      ? tls.connect({ host: backend.host, port: backend.port, servername: t.serverName ?? (net.isIP(backend.host) ? undefined : backend.host), rejectUnauthorized: t.rejectUnauthorized, ...(t.ca === undefined ? {} : { ca: t.ca }), ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: backend.host, port: backend.port, noDelay: true })
    let settled = false
    const settle = (error: AcquireError | undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.off('error', onError)
      if (error !== undefined) {
        socket.destroy()
        done(error, undefined)
        return
      }
      socket.setNoDelay(true)
      this.reported.set(socket, { written: 0, read: 0 })
      this.settings.observer?.opened(backend.id)
      done(undefined, { socket, reused: false })
    }
    const onError = (err: NodeJS.ErrnoException) => settle({ kind: 'connect', detail: err.code ?? err.message })
    const timer = setTimeout(() => settle({ kind: 'timeout', detail: `no connection within ${this.settings.connectMs} ms` }), this.settings.connectMs)
    socket.once(t ? 'secureConnect' : 'connect', () => settle(undefined))
    socket.on('error', onError)
    socket.once('close', () => {
      if (this.reported.has(socket)) {
        this.report(backend.id, socket)
        this.settings.observer?.closed(backend.id)
      }
      e.open--
      this.unmarkIdle(socket)
      const i = e.idle.indexOf(socket)
      if (i >= 0) e.idle.splice(i, 1)
      this.serveWaiter(backend, e)
    })
  }

  private serveWaiter(backend: Backend, e: BackendConnections): void {
    const waiter = e.waiters.shift()
    if (waiter === undefined) return
    if (this.closed) {
      waiter({ kind: 'connect', detail: 'balancer stopping' }, undefined)
      return
    }
    this.acquire(backend, waiter)
  }

  /** Reports the bytes a connection moved since its last report. */
  private report(id: string, socket: Socket): void {
    const r = this.reported.get(socket)
    const o = this.settings.observer
    if (r === undefined || o === undefined) return
    const written = socket.bytesWritten
    const read = socket.bytesRead
    o.transferred(id, written - r.written, read - r.read)
    r.written = written
    r.read = read
  }

  /** Returns a connection whose exchange completed cleanly; it is kept for reuse or closed. */
  release(backend: Backend, socket: Socket): void {
    const e = this.entry(backend.id)
    // Kept-alive connections may live long: count their traffic per exchange, not only at close.
    this.report(backend.id, socket)
    socket.removeAllListeners('data')
    socket.removeAllListeners('end')
    socket.removeAllListeners('drain')
    socket.removeAllListeners('error')
    socket.on('error', () => socket.destroy())
    if (this.closed || socket.destroyed) return void socket.destroy()
    const waiter = e.waiters.shift()
    if (waiter !== undefined) {
      waiter(undefined, { socket, reused: true })
      return
    }
    if (e.idle.length >= this.settings.maxIdlePerBackend) return void socket.destroy()
    this.markIdle(socket)
    e.idle.push(socket)
  }

  /** Drops idle connections to backends no longer in the pool. */
  retain(ids: ReadonlySet<string>): void {
    for (const [id, e] of this.backends) {
      if (ids.has(id)) continue
      for (const s of e.idle) s.destroy()
      e.idle.length = 0
    }
  }

  /** Closes every idle connection and refuses waiting acquisitions. */
  close(): void {
    this.closed = true
    this.sweeper.stop()
    for (const e of this.backends.values()) {
      for (const s of e.idle) s.destroy()
      e.idle.length = 0
      for (const w of e.waiters.splice(0)) w({ kind: 'connect', detail: 'balancer stopping' }, undefined)
    }
  }

  /** Idle connections per backend, for tests and stats. */
  idleCount(id: string): number {
    return this.backends.get(id)?.idle.length ?? 0
  }
}
