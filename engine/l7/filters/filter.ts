import type { Transform } from 'node:stream'
import type { Backend } from '../../balancing/types.js'
import type { HttpHeader, RequestHead } from '../../http/http-head.js'
import type { PoolRuntime } from '../../runtime/pool-runtime.js'
import type { ClientOrigin } from '../../runtime/proxy-header.js'

/**
 * What a filter sees of one request. The lifecycle itself implements it, so running a chain
 * allocates nothing of its own.
 */
export interface FilterContext {
  readonly request: RequestHead
  readonly client: ClientOrigin
  /** The scheme the client used: `https` when TLS was terminated here. */
  readonly proto: 'http' | 'https'
  /** Name of the route the request matched (`route-N` when unnamed); undefined before routing. */
  readonly routeName: string | undefined
  /** The pool the request goes to. */
  readonly pool: PoolRuntime
  /** The backend picked, once picked. */
  readonly backend: Backend | undefined
  /** A backend to prefer when picking (a sticky pin), set by a request filter. */
  pinned: string | undefined
  /** Set once per request by filters that decide something (cache: hit, limit: allowed, …), for the access log. */
  decisions: Record<string, string> | undefined
  /**
   * Who the request comes from, as an auth filter earlier in the chain established it: `sub:<subject>`
   * of a verified token, `key:<digest>` of a valid API key (never the key itself). Undefined when no
   * auth filter let the request in by an identity (a token without `sub`, or no auth filter at all).
   */
  identity: string | undefined
  /**
   * When this request's head began (performance.now() ms): the accept, for a connection's first
   * request (PROXY header and TLS handshake included); its first byte, for a kept-alive connection's later ones.
   */
  readonly headStartedAt: number
  /** When the request head was parsed (performance.now() ms). */
  readonly headParsedAt: number
  /** When an upstream connection was ready for the request (new or kept-alive), performance.now() ms; 0 before. */
  readonly connectedAt: number
}

/** A response a filter answers a request with, without any backend. */
export interface FilterAnswer {
  readonly status: number
  readonly headers?: readonly HttpHeader[]
  /** Body text, latin1 (one character a byte: a stored body costs a byte a byte, and is written without re-encoding). */
  readonly body?: string
  /** A stable code for the decision, counted like the engine's own errors (`LB_ERR_RATE_LIMITED`). */
  readonly code?: string
}

/** How a request ended, for `onDone`. */
export interface FilterOutcome {
  /** Status sent to the client, or 0 when it got none (cut, aborted, tunnelled). */
  readonly status: number
  /** The response was complete. */
  readonly ok: boolean
  /**
   * Body bytes sent to the client, after any transform: the content when the balancer framed it (a
   * transformed body, its own answers), the bytes as relayed otherwise (chunk framing included).
   */
  readonly bodyBytes: number
}

/**
 * One filter of the L7 chain: each hook is one stage of a request and every hook is optional; a
 * chain precomputes which filters have which hooks, so an absent hook costs nothing. Hooks run in
 * chain order. A hook that throws answers the request with a coded 500 (`LB_ERR_FILTER`) when
 * nothing was sent yet, and is counted either way.
 */
export interface Filter {
  readonly name: string
  /**
   * The request head has arrived and is routed. Return an answer to respond without a backend
   * (cache hit, 401, 429); undefined to go on. May be asynchronous (a JWKS lookup); the request
   * body waits meanwhile.
   */
  onRequest?(ctx: FilterContext): FilterAnswer | undefined | Promise<FilterAnswer | undefined>
  /** The head about to go upstream: `headers` may be changed in place. */
  onUpstreamRequest?(ctx: FilterContext, headers: HttpHeader[]): void
  /**
   * The response head about to go to the client, from a backend or the balancer itself (`own`):
   * `headers` may be changed in place.
   */
  onResponseHead?(ctx: FilterContext, status: number, headers: HttpHeader[], own: boolean): void
  /**
   * A piece of the response body on its way to the client, as relayed (in its transfer framing).
   * Writes to the client go on with the connection's own backpressure.
   */
  onResponseBody?(ctx: FilterContext, chunk: Buffer): void
  /**
   * The response head is settled (every `onResponseHead` ran) and a body follows, from a backend or
   * the balancer itself (`own`): the filter may take the body's content, transfer framing removed.
   * A `Transform` replaces it (compression): the response is then re-framed by the codec
   * (Content-Length dropped; chunked in HTTP/1.1), with backpressure from the client back to the
   * backend. A `BodyTap` only reads it (a cache filling), and the bytes are relayed as received
   * unless another filter transforms them. Stages run in chain order, each seeing the content as
   * the stages before it left it; `headers` may be changed in place (Content-Encoding, Vary).
   * Not called for bodiless responses (HEAD, 204, 304) or bodies with a transfer coding besides
   * the framing.
   */
  onResponseStream?(ctx: FilterContext, status: number, headers: HttpHeader[], own: boolean): BodyStage | undefined
  /**
   * The backend failed before anything reached the client: it answered 500, 502, 503 or 504 (RFC
   * 5861's errors), or it did not answer and the balancer is about to send its own 502, 503 or 504.
   * An answer returned goes to the client instead (a stale cached response); the failure is still
   * counted against the backend. The first filter answering wins.
   */
  onUpstreamError?(ctx: FilterContext, status: number): FilterAnswer | undefined
  /** The request is over, however it ended. */
  onDone?(ctx: FilterContext, outcome: FilterOutcome): void
  /**
   * The balancer answers bytes it could not take as a request (400 on a malformed head, 408 when it
   * did not arrive in time, 431, 501, 505), on a listener's own chain: there is no request, route
   * or backend to see, only the listener's scheme. `headers` may be changed in place.
   */
  onRejectHead?(proto: 'http' | 'https', status: number, headers: HttpHeader[]): void
  /** The filter's own counters (monotonic) and gauges, shown in /stats and /metrics. */
  stats?(): FilterStats
  /** The listener stops: whatever the filter holds is written out (an access log's buffered lines). */
  close?(): Promise<void>
}

/** Reads a response body's content as it passes, without changing it. */
export interface BodyTap {
  /** One piece of content (a view: copy what is kept). */
  observe(chunk: Buffer): void
}

/** What `onResponseStream` may return: a transform of the content, or a tap reading it. */
export type BodyStage = Transform | BodyTap

/** True when the stage only reads the content. */
export function isTap(stage: BodyStage): stage is BodyTap {
  return typeof (stage as Partial<BodyTap>).observe === 'function'
}

/** What configurable filters are built with (the clock injected, so tests replay exactly). */
export interface FilterEnv {
  /** Monotonic time, ms, on the clock of `FilterContext.headParsedAt` (performance.now()). */
  readonly nowMs: () => number
  /** Wall-clock time, ms since the epoch (token expiry). */
  readonly wallMs: () => number
  /** A fresh request id. */
  readonly requestId: () => string
}

/** A filter's numbers for /stats: counters only grow; gauges are levels (keys tracked, bytes held). */
export interface FilterStats {
  readonly counters: Readonly<Record<string, number>>
  readonly gauges?: Readonly<Record<string, number>>
}
