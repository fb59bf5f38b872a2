import type { BodyFraming, HttpHeader, RequestHead, ResponseHead } from '../http/http-head.js'
import type { HeadLimits, ParseResult } from '../http/http-parser.js'

/**
 * Follows one message body as its bytes pass through, to find where it ends. The bytes are not
 * copied or decoded: a proxy forwards them as received.
 */
export interface BodyReader {
  /** True once the whole body has been seen (at once for an empty body). */
  readonly done: boolean
  /**
   * Takes the next bytes: the offset in `chunk` where the body ended, or -1 when every byte belongs
   * to it and more is to come. Throws an error with a stable `code` on malformed framing.
   * `onContent`, when given, receives the body's content in these bytes, transfer framing removed
   * (views of `chunk`, not copies): what a filter transforming the body reads.
   */
  feed(chunk: Buffer, onContent?: (content: Buffer) => void): number
}

/** How the response head leaves for the client: framing and connection handling, decided by the lifecycle. */
export interface ResponseHeadOptions {
  /**
   * The upstream response head, whose framing fields are carried over as the body is relayed as
   * received; absent when the balancer frames the body itself (a transformed body, in `streamFraming`).
   */
  readonly upstream?: ResponseHead
  readonly framing: BodyFraming
  /** The client connection stays open after this response. */
  readonly keepAlive: boolean
}

/**
 * The wire protocol below the request lifecycle: how heads are read and written and bodies framed.
 * The lifecycle speaks headers, statuses and body chunks; the codec turns them into bytes. HTTP/1.1
 * is the first; HTTP/2 plugs in beside it.
 */
export interface Codec {
  readonly protocol: 'http/1.1'
  /** The request's headers as the backend may see them: hop-by-hop fields dropped, a fresh array. */
  forwardRequestHeaders(head: RequestHead): HttpHeader[]
  /** Bytes (latin1) of the request head sent upstream, framing fields added to `headers`. */
  encodeRequestHead(head: RequestHead, headers: HttpHeader[]): string
  parseResponseHead(buf: Buffer, limits: HeadLimits): ParseResult<ResponseHead>
  /** The response body's framing given the request method. */
  responseFraming(request: RequestHead, head: ResponseHead): BodyFraming
  /** The response's headers as the client may see them: hop-by-hop fields dropped (upgrade fields kept for a 101). */
  forwardResponseHeaders(head: ResponseHead): HttpHeader[]
  /** Bytes (latin1) of an interim (1xx) response for the client, or undefined when the client cannot take one. */
  encodeInterim(request: RequestHead, head: ResponseHead): string | undefined
  /** Bytes (latin1) of the response head for the client, framing and connection fields added to `headers`. */
  encodeResponseHead(request: RequestHead, status: number, reason: string, headers: HttpHeader[], options: ResponseHeadOptions): string
  /** Bytes (latin1) of a complete response the balancer answers itself (`body` latin1 as well). */
  encodeAnswer(status: number, headers: HttpHeader[], body: string, keepAlive: boolean): string
  /** A reader for a body of this framing. */
  bodyReader(framing: BodyFraming, limits: HeadLimits): BodyReader
  /**
   * The body carries a coding of the transfer beyond its framing (HTTP/1.1 `Transfer-Encoding:
   * gzip, chunked`), so its content cannot be read as it passes and it is relayed untransformed.
   */
  transferCoded(head: ResponseHead): boolean
  /** Framing of a response body the balancer produces as a stream of unknown length (a transformed body). */
  streamFraming(request: RequestHead): BodyFraming
  /** Bytes carrying one piece of a body in `streamFraming`. */
  encodeBodyChunk(framing: BodyFraming, chunk: Buffer): Buffer
  /** Bytes (latin1) ending a body in `streamFraming` ('' when the end is the connection's close). */
  encodeBodyEnd(framing: BodyFraming): string
}
