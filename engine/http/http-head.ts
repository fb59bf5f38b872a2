/** One header line: the name as received, the value with surrounding OWS trimmed. */
export interface HttpHeader {
  readonly name: string
  readonly value: string
}

/** How a message body is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Response only: the body ends when the connection closes. */
  | { readonly kind: 'close' }
  /** 101 Switching Protocols or 2xx to CONNECT: raw bytes both ways from here on. */
  | { readonly kind: 'tunnel' }

/** A parsed, validated request head. */
export interface RequestHead {
  readonly method: string
  readonly target: string
  readonly version: '1.0' | '1.1'
  readonly headers: readonly HttpHeader[]
  /** Request framing per RFC 9112 §6.3: none, length (possibly 0) or chunked. */
  readonly framing: BodyFraming
  /** HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`. */
  readonly keepAlive: boolean
  /** The Upgrade value (e.g. `websocket`) when Connection lists `upgrade`. */
  readonly upgrade?: string
  /** `Expect: 100-continue` on an HTTP/1.1 request (HTTP/1.0 expectations are ignored, RFC 9110 §10.1.1). */
  readonly expectContinue: boolean
  /** The Host header value as sent. */
  readonly host?: string
  /** Bytes of the head including any skipped leading CRLFs and the final CRLFCRLF. */
  readonly headBytes: number
  /** First value of a header, case-insensitively; pass the name in lower case. */
  get(name: string): string | undefined
}

/** A parsed, validated response head. */
export interface ResponseHead {
  readonly version: '1.0' | '1.1'
  readonly status: number
  readonly reason: string
  readonly headers: readonly HttpHeader[]
  /** From Connection alone; a close-delimited body still ends the connection. */
  readonly keepAlive: boolean
  /**
   * Framing implied by the head alone, as if the request were neither HEAD nor CONNECT;
   * `responseFraming` refines it with the request method.
   */
  readonly framing: BodyFraming
  /** Bytes of the head including any skipped leading CRLFs and the final CRLFCRLF. */
  readonly headBytes: number
  /** First value of a header, case-insensitively; pass the name in lower case. */
  get(name: string): string | undefined
}

/** Shared framing values: only `length` carries data, so the others need no allocation per message. */
export const NO_BODY: BodyFraming = Object.freeze({ kind: 'none' })
/** See {@link NO_BODY}. */
export const CHUNKED: BodyFraming = Object.freeze({ kind: 'chunked' })
/** See {@link NO_BODY}. */
export const UNTIL_CLOSE: BodyFraming = Object.freeze({ kind: 'close' })
/** See {@link NO_BODY}. */
export const TUNNEL: BodyFraming = Object.freeze({ kind: 'tunnel' })

/** First value of header `name` (lower case) in `headers`, compared case-insensitively. */
export function headerValue(headers: readonly HttpHeader[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!
    if (h.name.length === name.length && (h.name === name || h.name.toLowerCase() === name)) return h.value
  }
  return undefined
}

/** Index of the first header named `name` (lower case) in `headers`, compared case-insensitively; -1 when absent. */
export function headerIndex(headers: readonly HttpHeader[], name: string): number {
  for (let i = 0; i < headers.length; i++) {
    const n = headers[i]!.name
    if (n.length === name.length && n.toLowerCase() === name) return i
  }
  return -1
}

/**
 * The `get` method of parsed heads. One shared function instead of a closure per head keeps a parse
 * down to a single object allocation for the head itself.
 */
export function getHeader(this: { readonly headers: readonly HttpHeader[] }, name: string): string | undefined {
  return headerValue(this.headers, name)
}
