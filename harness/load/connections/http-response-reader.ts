import { ChunkedTracker, ChunkedError, parseResponseHead, responseFraming, type ResponseHead } from '../../../engine/http/index.js'

/** Where the reading of one response stands after some bytes. */
export type ResponseProgress =
  | { readonly state: 'incomplete' }
  | {
      readonly state: 'complete'
      readonly status: number
      readonly backend: string | undefined
      /** `name=value` of each Set-Cookie the response carried. */
      readonly setCookies?: readonly string[] | undefined
      /** The connection may carry another request (keep-alive, message-delimited body, no stray bytes). */
      readonly reusable: boolean
    }
  | { readonly state: 'error'; readonly reason: string }

const INCOMPLETE: ResponseProgress = Object.freeze({ state: 'incomplete' })

const enum Phase {
  Head,
  Length,
  Chunked,
  UntilClose,
  Done,
}

/**
 * Reads one HTTP/1.1 response to a request with `method`, with any framing (Content-Length,
 * chunked, close-delimited, none), using the engine's strict codec. The body is counted, not kept.
 * Pure: bytes in, progress out.
 */
export class HttpResponseReader {
  private phase = Phase.Head
  private pending: Buffer | undefined
  private head: ResponseHead | undefined
  private remaining = 0
  private chunked: ChunkedTracker | undefined

  constructor(private readonly method: string) {}

  /** Feeds the next bytes from the connection. */
  feed(chunk: Buffer): ResponseProgress {
    let buf = chunk
    let pos = 0
    if (this.phase === Phase.Head) {
      buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
      for (;;) {
        const r = parseResponseHead(buf, pos, buf.length)
        if (r.status === 'incomplete') {
          this.pending = pos === 0 ? buf : buf.subarray(pos)
          return INCOMPLETE
        }
        if (r.status === 'error') return { state: 'error', reason: `${r.code}: ${r.reason}` }
        pos += r.head.headBytes
        // Interim responses (100 Continue, 103 Early Hints) precede the final one.
        if (r.head.status >= 100 && r.head.status < 200 && r.head.status !== 101) continue
        this.head = r.head
        break
      }
      this.pending = undefined
      const framing = responseFraming(this.method, this.head)
      switch (framing.kind) {
        case 'none':
          return this.complete(pos < buf.length)
        case 'length':
          this.remaining = framing.length
          this.phase = Phase.Length
          break
        case 'chunked':
          this.chunked = new ChunkedTracker()
          this.phase = Phase.Chunked
          break
        case 'close':
          this.phase = Phase.UntilClose
          break
        case 'tunnel':
          return { state: 'error', reason: `unexpected ${this.head.status} (tunnel) response` }
      }
    }
    switch (this.phase) {
      case Phase.Length: {
        const take = Math.min(this.remaining, buf.length - pos)
        this.remaining -= take
        pos += take
        return this.remaining === 0 ? this.complete(pos < buf.length) : INCOMPLETE
      }
      case Phase.Chunked: {
        let end: number
        try {
          end = this.chunked!.feed(buf, pos, buf.length)
        } catch (e) {
          return { state: 'error', reason: e instanceof ChunkedError ? e.message : String(e) }
        }
        return end < 0 ? INCOMPLETE : this.complete(end < buf.length)
      }
      case Phase.UntilClose:
        return INCOMPLETE
      default:
        return { state: 'error', reason: 'bytes after the response' }
    }
  }

  /** The peer closed the connection: completes a close-delimited body, fails anything else. */
  end(): ResponseProgress {
    if (this.phase === Phase.UntilClose) return this.complete(true)
    return { state: 'error', reason: this.phase === Phase.Head && this.pending === undefined ? 'closed before a response' : 'closed mid-response' }
  }

  /** True once the head of the final response is read and its body has not ended. */
  get inBody(): boolean {
    return this.phase === Phase.Length || this.phase === Phase.Chunked || this.phase === Phase.UntilClose
  }

  /** True before any byte of the response arrived. */
  get untouched(): boolean {
    return this.phase === Phase.Head && this.pending === undefined
  }

  private complete(stray: boolean): ResponseProgress {
    const head = this.head!
    this.phase = Phase.Done
    return {
      state: 'complete',
      status: head.status,
      backend: head.get('x-backend'),
      setCookies: setCookiePairs(head),
      reusable: head.keepAlive && !stray && responseFraming(this.method, head).kind !== 'close',
    }
  }
}

/** The `name=value` part of each Set-Cookie header; undefined when there is none. */
function setCookiePairs(head: ResponseHead): string[] | undefined {
  let out: string[] | undefined
  for (const h of head.headers) {
    if (h.name.length !== 10 || h.name.toLowerCase() !== 'set-cookie') continue
    const semi = h.value.indexOf(';')
    ;(out ??= []).push((semi < 0 ? h.value : h.value.slice(0, semi)).trim())
  }
  return out
}
