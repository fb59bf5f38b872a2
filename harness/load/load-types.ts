/**
 * The common model of every load generator: one plan in, one summary out. Generators differ in how
 * they put requests on the wire; what they measure and how it is reported is the same, so a run at
 * L4 and a run at L7 (or one by our generator and one by autocannon) compare field by field.
 */
import type { LatencyHistogram, LatencySummary } from '../../engine/stats/latency-histogram.js'

export type { LatencySummary } from '../../engine/stats/latency-histogram.js'

/**
 * Wire protocol of a run; `tls` is the TCP line protocol inside TLS; `h2` is HTTP/2 in cleartext
 * (prior knowledge); `grpc` is unary gRPC over h2c; `websocket` echoes messages after an HTTP/1.1 upgrade.
 */
export type LoadProtocol = 'http' | 'https' | 'h2' | 'grpc' | 'tcp' | 'tls' | 'udp' | 'websocket'

/** Every protocol, in a stable order. */
export const LOAD_PROTOCOLS: readonly LoadProtocol[] = ['http', 'https', 'h2', 'grpc', 'tcp', 'tls', 'udp', 'websocket']

/** The unary gRPC call every exchange of a `grpc` run makes. */
export interface GrpcCallShape {
  /** `/package.Service/Method`; default the backend's `/layerbench.echo.Echo/Unary`. */
  readonly path?: string
  /** The request message as protobuf bytes (framed once before the run); default an EchoRequest of `ping`. */
  readonly message?: Uint8Array
}

/** Where the load goes. */
export interface LoadTarget {
  readonly host: string
  readonly port: number
  /** TLS SNI; default the host when it is a name. */
  readonly serverName?: string
  /** PEM certificate(s) to trust for TLS. */
  readonly ca?: string
  /** Verify the server certificate; Node's default (true) when unset. */
  readonly rejectUnauthorized?: boolean
}

/** The HTTP request every exchange sends. */
export interface HttpRequestShape {
  /** Default GET. */
  readonly method?: string
  /** Request target; default `/`. */
  readonly path?: string
  readonly headers?: Readonly<Record<string, string>>
  /** A body of this many bytes, with Content-Length. */
  readonly bodyBytes?: number
  /** Host header; default `host:port` of the target. */
  readonly hostHeader?: string
}

/**
 * Where a client abandons a request on purpose (a client-abort fault): after part of its head,
 * after the whole request but before any of the response, or once the response head has arrived
 * and before its body has ended.
 */
export type ClientAbortPoint = 'head' | 'before-response' | 'body'

/** Every abort point, in the order a request passes them. */
export const CLIENT_ABORT_POINTS: readonly ClientAbortPoint[] = ['head', 'before-response', 'body']

/** What to send, how hard, and for how long. */
export interface LoadPlan {
  readonly protocol: LoadProtocol
  readonly target: LoadTarget
  /** closed: each connection sends, waits, sends again; open: a constant-rate schedule. */
  readonly mode: 'closed' | 'open'
  /** Concurrent connections; in the open loop the pool size (requests beyond it wait, and the wait counts in corrected latency). */
  readonly connections: number
  /** Open loop: requests per second in total (required there). */
  readonly rate?: number
  /** Measured time, after the warm-up. */
  readonly durationMs: number
  /** Requests sent during the warm-up are sent but not recorded. */
  readonly warmupMs?: number
  /** Hard cap on measured requests. */
  readonly maxRequests?: number
  /** Connect, send one request, close: measures handshakes. */
  readonly newConnectionPerRequest?: boolean
  readonly http?: HttpRequestShape
  /**
   * h2 and grpc: streams each connection carries at once (default 1). The pool is then
   * `connections × streamsPerConnection` clients, each one stream at a time on its connection.
   */
  readonly streamsPerConnection?: number
  readonly grpc?: GrpcCallShape
  /** TCP/TLS line payload, without the newline; default `ping`. */
  readonly tcpPayload?: string
  /** UDP datagram size; default 64. */
  readonly udpPayloadBytes?: number
  /** Per request, default 10000; an expired request fails with kind `timeout`. */
  readonly timeoutMs?: number
  /** Time-series interval, default 1000. */
  readonly intervalMs?: number
  /** Kept with the plan for reproducibility; both generators are deterministic apart from the network. */
  readonly seed?: number
  /** Extra headers for request `i` (e.g. distinct cookies or keys). */
  readonly headersPerRequest?: (i: number) => Record<string, string>
  /** The HTTP request of index `i` (a weighted mix); its fields override `http`. */
  readonly requestFor?: (i: number) => HttpRequestShape
  /** The mix `requestFor` draws from, as data: what lets the plan cross to load agents, which rebuild it. */
  readonly mix?: RequestMix
  /** Called for every measured reply or failure, with the client that sent it (routing and stickiness checks). */
  readonly onResponse?: (r: ResponseInfo) => void
  /** Each client keeps the cookies its responses set and sends them back (HTTP). */
  readonly cookies?: boolean
  /** Source addresses (within 127.0.0.0/8): client `c` connects from `localAddresses[c % length]`. */
  readonly localAddresses?: readonly string[]
  /**
   * HTTP: where client `client` abandons request `index`, or undefined to let it run (a client-abort
   * fault). Asked as each request is written; the client then closes its connection at that point.
   */
  readonly clientAbort?: (client: number, index: number) => ClientAbortPoint | undefined
}

/** One measured exchange, as `onResponse` sees it. A client is one connection slot: its address and cookies persist across reconnections. */
export interface ResponseInfo {
  readonly index: number
  readonly client: number
  readonly ok: boolean
  readonly kind?: FailureKind
  readonly status?: string
  readonly backend?: string
}

/** Why a request failed. `aborted`: still in flight when the run was aborted. */
export type FailureKind = 'connect' | 'reset' | 'timeout' | 'status' | 'protocol' | 'aborted'

/** One interval of the time series. Sends count where they were sent, completions where they completed. */
export interface IntervalSample {
  /** Start of the interval, ms after the end of the warm-up. */
  readonly startMs: number
  readonly sent: number
  readonly ok: number
  readonly failed: number
  readonly latencyUs: LatencySummary
  readonly byBackend: Record<string, number>
  readonly byStatus: Record<string, number>
}

/** CPU time the generating process used. */
export interface GeneratorCpu {
  readonly userUs: number
  readonly systemUs: number
  /** CPU time per request sent (warm-up included). */
  readonly perRequestUs: number
  /** CPU time / wall time: 1 is one core fully busy. */
  readonly utilisation: number
}

/** The one result object of a run; renderers only render it. */
export interface LoadSummary {
  readonly generator: string
  readonly protocol: LoadProtocol
  readonly mode: 'closed' | 'open'
  /**
   * Always `ok + failed + clientAborts.total`: requests in flight at the end are waited for, then
   * counted as failed; requests the clients abandoned on purpose are neither.
   */
  readonly sent: number
  readonly ok: number
  readonly failed: number
  /**
   * Requests the clients abandoned on purpose (`clientAbort`), by the point they reached; present
   * when there were any. Not failures of the system under test: the abort was ours.
   */
  readonly clientAborts?: { readonly total: number; readonly byPoint: Readonly<Record<string, number>> }
  readonly failures: {
    readonly byKind: Record<string, number>
    /** HTTP status (or `ERR` of the line protocol) of failed responses. */
    readonly byStatus: Record<string, number>
  }
  /** Successful replies by backend id, from `x-backend` or the reply prefix: sums to `ok`. */
  readonly byBackend: Record<string, number>
  /** gRPC: every measured call that got a status, by status name (`OK`, `UNAVAILABLE`…). */
  readonly grpcStatus?: Record<string, number>
  /** From the actual send time. */
  readonly latencyUs: LatencySummary
  /** Open loop: from the intended send time (coordinated omission corrected). */
  readonly correctedLatencyUs?: LatencySummary
  /** TCP connect plus TLS handshake, per connection opened. */
  readonly handshakeUs?: LatencySummary
  /**
   * Open loop: due time → send, per measured request (the pacer's lateness, plus any wait for a
   * free connection). Per request, corrected latency is latency plus this (and the connect, with a
   * connection per request).
   */
  readonly sendLagUs?: LatencySummary
  /** `LatencyHistogram.encode()` of each distribution, for saving. */
  readonly histograms: { readonly latency: string; readonly corrected?: string; readonly handshake?: string }
  readonly requestedRate?: number
  /** Measured requests sent per second of the measured window. */
  readonly achievedRate: number
  /** The measured window: end of warm-up to when sending stopped. */
  readonly elapsedMs: number
  readonly timeseries: IntervalSample[]
  readonly generatorCpu: GeneratorCpu
  readonly warnings: string[]
}

/** A load generator: runs a plan and reports one summary. */
export interface LoadGenerator {
  readonly name: string
  /**
   * Resolves when the run ends (time, request cap or `signal`); rejects only on an invalid plan.
   * `onSample` gets each interval as it closes, with its latency histogram when the generator keeps one.
   */
  run(plan: LoadPlan, signal?: AbortSignal, onSample?: (s: IntervalSample, latency?: LatencyHistogram) => void): Promise<LoadSummary>
}

/**
 * A weighted mix of requests as data: request `i` takes entry `pick(i)`, a seeded hash of `i`, so
 * any generator — one in this process or a load agent elsewhere — sends exactly the same
 * sequence for the same indexes.
 */
export interface RequestMix {
  readonly seed: number
  /** Relative weights, one per entry. */
  readonly weights: readonly number[]
  readonly shapes: readonly HttpRequestShape[]
}
