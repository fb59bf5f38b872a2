import net from 'node:net'
import tls from 'node:tls'
import { EngineError } from '../errors.js'
import { createResponseReader } from './http-response-reader.js'

/** Where a probe connects. */
export interface ProbeTarget {
  readonly host: string
  readonly port: number
}

/** The outcome of one active health check. */
export interface ProbeResult {
  readonly ok: boolean
  /** From the start of the probe until it settled. */
  readonly latencyUs: number
  /** Why it failed ('ECONNREFUSED', 'status 503', 'timeout', 'body mismatch', …) or what it saw. */
  readonly detail?: string
}

/** A probe bound to its options: what the health checker runs. */
export type Probe = (target: ProbeTarget, signal?: AbortSignal) => Promise<ProbeResult>

/** Options shared by every probe. */
export interface ProbeTimeout {
  /** The whole probe (connect, handshake, response) must finish within this; default 1000. */
  readonly timeoutMs?: number
}

/** TLS client settings of a probe. */
export interface ProbeTlsOptions {
  /** SNI name; defaults to the target host unless it is an IP address (RFC 6066 forbids those). */
  readonly serverName?: string
  /** Verify the backend's certificate chain and name; off by default, as health checks usually are. */
  readonly rejectUnauthorized?: boolean
}

/** Options of the TCP probe. */
export type TcpProbeOptions = ProbeTimeout

/** Options of the TLS probe. */
export type TlsProbeOptions = ProbeTimeout & ProbeTlsOptions

/** Options of the HTTP probe. */
export interface HttpProbeOptions extends ProbeTimeout {
  /** Default 'GET'. A 'HEAD' check never reads a body. */
  readonly method?: string
  /** Default '/health'. */
  readonly path?: string
  /** Host header; default `host:port` of the target. */
  readonly host?: string
  /** Inclusive status ranges that pass; default [[200, 399]]. */
  readonly expectStatus?: ReadonlyArray<readonly [number, number]>
  /** When set, the first 64 KiB of the body must contain this text. */
  readonly bodyContains?: string
  /** Speak HTTPS. */
  readonly tls?: ProbeTlsOptions
}

const defaultTimeoutMs = 1000
const bodyLimit = 64 * 1024

/** How a probe settles: once, with its verdict. */
export type Finish = (ok: boolean, detail?: string) => void

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  return e.code ?? e.message ?? String(error)
}

/**
 * Runs one probe on a fresh socket. Whatever happens — success, socket error, timeout or abort —
 * the promise resolves exactly once and the socket is destroyed.
 */
export function probeSocket(timeoutMs: number, signal: AbortSignal | undefined, open: () => net.Socket, attach: (socket: net.Socket, finish: Finish) => void): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now()
    let socket: net.Socket | undefined
    let timer: NodeJS.Timeout | undefined
    let settled = false
    const onAbort = () => finish(false, 'aborted')
    const finish: Finish = (ok, detail) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket?.destroy()
      const latencyUs = Math.round((performance.now() - started) * 1000)
      resolve(detail === undefined ? { ok, latencyUs } : { ok, latencyUs, detail })
    }
    if (signal?.aborted === true) return finish(false, 'aborted')
    timer = setTimeout(() => finish(false, 'timeout'), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      socket = open()
    } catch (e) {
      return finish(false, describe(e))
    }
    socket.on('error', (e) => finish(false, describe(e)))
    // A peer that closes without an error still fails the probe, unless it already passed.
    socket.on('close', () => finish(false, 'connection closed'))
    attach(socket, finish)
  })
}

/** A TLS connection for a probe (`ALPN` offered when given). */
export function tlsConnect(target: ProbeTarget, options: ProbeTlsOptions, alpn?: string[]): tls.TLSSocket {
  const serverName = options.serverName ?? (net.isIP(target.host) === 0 ? target.host : undefined)
  return tls.connect({
    host: target.host,
    port: target.port,
    rejectUnauthorized: options.rejectUnauthorized ?? false,
    ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
    ...(serverName === undefined ? {} : { servername: serverName }),
  })
}

/** Passes when a TCP connection is accepted; the connection is closed at once. */
export function tcpProbe(target: ProbeTarget, options: TcpProbeOptions = {}, signal?: AbortSignal): Promise<ProbeResult> {
  return probeSocket(
    options.timeoutMs ?? defaultTimeoutMs,
    signal,
    () => net.connect({ host: target.host, port: target.port }),
    (socket, finish) => socket.once('connect', () => finish(true)),
  )
}

/** Passes when a full TLS handshake completes; detail is the negotiated protocol ('TLSv1.3'). */
export function tlsProbe(target: ProbeTarget, options: TlsProbeOptions = {}, signal?: AbortSignal): Promise<ProbeResult> {
  return probeSocket(
    options.timeoutMs ?? defaultTimeoutMs,
    signal,
    () => tlsConnect(target, options),
    (socket, finish) => socket.once('secureConnect', () => finish(true, (socket as tls.TLSSocket).getProtocol() ?? undefined)),
  )
}

const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const visible = /^[\x21-\x7e]+$/

/** Throws on values that would let a configuration inject bytes into the request. */
function checkRequest(method: string, path: string, host: string) {
  const issues = [
    ...(token.test(method) ? [] : [{ path: 'method', message: 'expected an HTTP method token' }]),
    ...(visible.test(path) ? [] : [{ path: 'path', message: 'expected a request target without spaces or control characters' }]),
    ...(visible.test(host) ? [] : [{ path: 'host', message: 'expected a host without spaces or control characters' }]),
  ]
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_OPTIONS', 'invalid HTTP probe', issues)
}

/** The default Host header: `host:port`, with IPv6 literals bracketed. */
export function hostHeader(target: ProbeTarget): string {
  return net.isIPv6(target.host) ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`
}

/**
 * Sends one HTTP/1.1 request with `Connection: close` on a raw socket and passes when the status is
 * in `expectStatus` and, if `bodyContains` is set, the body (chunked, Content-Length or
 * close-delimited; first 64 KiB) contains it. Settles as soon as the verdict is known.
 * Rejects with EngineError LB_ERR_INVALID_OPTIONS if method, path or host would corrupt the request.
 */
export function httpProbe(target: ProbeTarget, options: HttpProbeOptions = {}, signal?: AbortSignal): Promise<ProbeResult> {
  const method = options.method ?? 'GET'
  const path = options.path ?? '/health'
  const host = options.host ?? hostHeader(target)
  try {
    checkRequest(method, path, host)
  } catch (e) {
    return Promise.reject(e)
  }
  const expect = options.expectStatus ?? [[200, 399]]
  const needle = options.bodyContains === undefined ? undefined : Buffer.from(options.bodyContains)
  const request = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: layerbench-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n`
  const tlsOptions = options.tls

  return probeSocket(
    options.timeoutMs ?? defaultTimeoutMs,
    signal,
    () => (tlsOptions === undefined ? net.connect({ host: target.host, port: target.port }) : tlsConnect(target, tlsOptions)),
    (socket, finish) => {
      const reader = createResponseReader(bodyLimit)
      // Only the newly read part of the body (plus an overlap for a needle split across reads) is searched.
      let searchedTo = 0
      const found = () => {
        if (needle === undefined) return true
        const body = reader.body()
        const hit = body.indexOf(needle, Math.max(0, searchedTo - needle.length + 1)) >= 0
        searchedTo = body.length
        return hit
      }
      const judge = (state: ReturnType<typeof reader.push>) => {
        if (typeof state === 'object') return finish(false, state.error)
        const head = reader.head
        if (head === undefined) return
        const status = `status ${head.status}`
        if (!expect.some(([lo, hi]) => head.status >= lo && head.status <= hi)) return finish(false, status)
        if (needle === undefined || method === 'HEAD') return finish(true, status)
        if (found()) return finish(true, status)
        if (state === 'done') return finish(false, 'body mismatch')
      }
      socket.once(tlsOptions === undefined ? 'connect' : 'secureConnect', () => socket.write(request))
      socket.on('data', (chunk: Buffer) => judge(reader.push(chunk)))
      socket.on('end', () => judge(reader.end()))
    },
  )
}
