import net from 'node:net'
import tls from 'node:tls'
import { LatencyHistogram } from '../../../engine/stats/latency-histogram.js'

/** What a closed-loop run measured. */
export interface ClosedLoopResult {
  readonly requests: number
  readonly errors: number
  readonly elapsedMs: number
  readonly latencyUs: ReturnType<LatencyHistogram['summary']>
}

/** How the client uses its connections. */
export interface ClosedLoopOptions {
  /**
   * One request per connection: connect, send with `Connection: close`, read the response, close,
   * connect again — what a client without keep-alive costs a proxy (accept, upstream connect,
   * teardown). Latency then runs from the connect to the end of the response.
   */
  readonly newConnections?: boolean
  /** Speak TLS (any certificate accepted, no session reuse: a new connection is a full handshake). */
  readonly tls?: boolean
  readonly timeoutMs?: number
  /** Header lines added to every request, each ending in CRLF (a bearer token for an auth filter). */
  readonly headers?: string
}

/**
 * A client connection to the subject and the event that says it can carry a request: the TCP
 * connect, or with TLS the end of the handshake.
 */
export function connectTo(port: number, useTls: boolean): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if (!useTls) return { socket: net.connect({ host: '127.0.0.1', port, noDelay: true }), ready: 'connect' }
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'bench.local', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
  socket.setNoDelay(true)
  return { socket, ready: 'secureConnect' }
}

/** The request every data-plane client sends, with `headers` (CRLF-ended lines) added. */
export const requestHead = (connection: 'keep-alive' | 'close', headers = '') =>
  Buffer.from(`GET /bench HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: layerbench\r\nAccept: */*\r\n${headers}Connection: ${connection}\r\n\r\n`)
/** The request every data-plane client sends on a kept-alive connection. */
export const KEEP_ALIVE = requestHead('keep-alive')
const CLOSE = requestHead('close')

/**
 * Splits a byte stream into HTTP/1.1 responses framed by Content-Length; `onResponse` hears each
 * one's status (whether it was a 200). Returns the socket's 'data' handler.
 */
export function responseReader(onResponse: (ok: boolean) => boolean): (chunk: Buffer) => void {
  let buffered: Buffer | undefined
  return (chunk) => {
    buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk])
    for (;;) {
      const headEnd: number = buffered.indexOf('\r\n\r\n')
      if (headEnd < 0) return
      const text = buffered.toString('latin1', 0, headEnd)
      const m = /content-length:\s*(\d+)/i.exec(text)
      const total: number = headEnd + 4 + (m === null ? 0 : Number(m[1]))
      if (buffered.length < total) return
      buffered = buffered.length === total ? undefined : buffered.subarray(total)
      // The handler says whether to go on reading this connection.
      if (!onResponse(text.startsWith('HTTP/1.1 200')) || buffered === undefined) return
    }
  }
}

/**
 * A minimal closed-loop HTTP/1.1 client: `connections` workers each send a request, wait for the
 * whole response (Content-Length framing) and send the next — over one keep-alive connection each,
 * or over a new connection per request — until `requests` responses have come back in total.
 * Latency per response in µs from `process.hrtime`.
 */
export function closedLoop(port: number, connections: number, requests: number, options: ClosedLoopOptions = {}): Promise<ClosedLoopResult> {
  const perRequest = options.newConnections === true
  const keepAlive = options.headers === undefined ? KEEP_ALIVE : requestHead('keep-alive', options.headers)
  const close = options.headers === undefined ? CLOSE : requestHead('close', options.headers)
  return new Promise((resolve) => {
    const histogram = new LatencyHistogram()
    let sent = 0
    let done = 0
    let errors = 0
    let workers = connections
    let finished = false
    const started = process.hrtime.bigint()
    const sockets = new Set<net.Socket>()
    const finish = () => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      for (const s of sockets) s.destroy()
      resolve({ requests: done, errors, elapsedMs: Number(process.hrtime.bigint() - started) / 1e6, latencyUs: histogram.summary() })
    }
    const timer = setTimeout(finish, options.timeoutMs ?? 60_000)
    const workerDone = () => {
      if (--workers === 0) finish()
    }

    /** One connection; with keep-alive it carries every request of its worker. */
    const open = () => {
      if (finished || sent >= requests) return workerDone()
      // A connection per request counts as sent when it is opened: one that fails is a failed request.
      if (perRequest) sent++
      const { socket, ready } = connectTo(port, options.tls === true)
      sockets.add(socket)
      let sentAt = process.hrtime.bigint()
      let answered = false
      const send = () => {
        if (perRequest) return void socket.write(close)
        sent++
        sentAt = process.hrtime.bigint()
        socket.write(keepAlive)
      }
      socket.on(ready, send)
      socket.on(
        'data',
        responseReader((ok) => {
          if (!ok) errors++
          histogram.record(Number(process.hrtime.bigint() - sentAt) / 1000)
          done++
          if (done >= requests) {
            finish()
            return false
          }
          if (perRequest) {
            answered = true
            socket.end()
            return false
          }
          if (sent >= requests) {
            socket.end()
            return false
          }
          send()
          return true
        }),
      )
      socket.on('error', () => {
        if (!perRequest) errors++
      })
      socket.on('close', () => {
        sockets.delete(socket)
        if (finished) return
        if (!perRequest) return workerDone()
        // The next request on a new connection.
        if (!answered) errors++
        open()
      })
    }
    for (let c = 0; c < connections; c++) open()
  })
}
