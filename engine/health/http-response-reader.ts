/** What has been read of an HTTP/1.x response so far. */
export interface ResponseHead {
  readonly status: number
  /** Header names in lower case; repeated headers joined with ', '. */
  readonly headers: ReadonlyMap<string, string>
}

/** The reader's verdict after a chunk: keep reading, or what went wrong. */
export type ReadState = 'head' | 'body' | 'done' | { readonly error: string }

/** Incremental reader of one HTTP/1.x response, enough for a health check. */
export interface ResponseReader {
  /** Feeds bytes from the socket; returns where the reader now stands. */
  push(chunk: Uint8Array): ReadState
  /** The connection closed: a close-delimited body is complete, anything else is cut short. */
  end(): ReadState
  readonly head: ResponseHead | undefined
  /** The decoded body read so far, at most `bodyLimit` bytes. */
  body(): Buffer
  /** Whether the body was longer than the limit (and so cut). */
  readonly truncated: boolean
}

const maxHead = 16 * 1024
const crlf = Buffer.from('\r\n')

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked'; inChunk: number; trailer: boolean } | { kind: 'close' }

/**
 * Creates a reader for one response to a non-HEAD request. It understands Content-Length,
 * chunked and close-delimited bodies, keeps the first `bodyLimit` bytes of the decoded body and
 * reports 'done' once the body is complete or the limit is reached. Pure: no sockets, no clock.
 */
export function createResponseReader(bodyLimit = 64 * 1024): ResponseReader {
  let pending: Buffer = Buffer.alloc(0)
  let head: ResponseHead | undefined
  let framing: Framing = { kind: 'close' }
  const kept: Buffer[] = []
  let keptBytes = 0
  let truncated = false
  let state: ReadState = 'head'

  function keep(bytes: Buffer): boolean {
    const room = bodyLimit - keptBytes
    if (bytes.length > room) truncated = true
    const slice = bytes.subarray(0, Math.max(0, room))
    if (slice.length > 0) {
      kept.push(slice)
      keptBytes += slice.length
    }
    return keptBytes >= bodyLimit && truncated
  }

  function parseHead(): ReadState {
    const end = pending.indexOf('\r\n\r\n')
    if (end < 0) return pending.length > maxHead ? { error: 'response head too large' } : 'head'
    const lines = pending.subarray(0, end).toString('latin1').split('\r\n')
    pending = pending.subarray(end + 4)
    const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '')
    if (match === null) return { error: 'malformed status line' }
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon <= 0) return { error: 'malformed header' }
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      const previous = headers.get(name)
      headers.set(name, previous === undefined ? value : `${previous}, ${value}`)
    }
    const status = Number(match[1])
    // Interim responses (100 Continue, 103 Early Hints) precede the real one.
    if (status >= 100 && status < 200 && status !== 101) return parseHead()
    head = { status, headers }
    const encoding = headers.get('transfer-encoding')
    const length = headers.get('content-length')
    if (status === 101 || status === 204 || status === 304) return 'done'
    if (encoding !== undefined && /(^|,)\s*chunked\s*$/i.test(encoding)) framing = { kind: 'chunked', inChunk: 0, trailer: false }
    else if (length !== undefined) {
      if (!/^\d+$/.test(length)) return { error: 'malformed content-length' }
      framing = { kind: 'length', remaining: Number(length) }
      if (framing.remaining === 0) return 'done'
    }
    return 'body'
  }

  function readBody(): ReadState {
    if (framing.kind === 'close') {
      const full = keep(pending)
      pending = Buffer.alloc(0)
      return full ? 'done' : 'body'
    }
    if (framing.kind === 'length') {
      const take = pending.subarray(0, framing.remaining)
      pending = pending.subarray(take.length)
      framing.remaining -= take.length
      const full = keep(take)
      return full || framing.remaining === 0 ? 'done' : 'body'
    }
    const chunked = framing
    for (;;) {
      if (chunked.trailer) {
        // Trailer fields end with an empty line; their content does not matter here.
        const eol = pending.indexOf(crlf)
        if (eol < 0) return 'body'
        pending = pending.subarray(eol + 2)
        if (eol === 0) return 'done'
        continue
      }
      if (chunked.inChunk > 0) {
        if (pending.length === 0) return 'body'
        const take = pending.subarray(0, chunked.inChunk)
        pending = pending.subarray(take.length)
        chunked.inChunk -= take.length
        if (keep(take)) return 'done'
        if (chunked.inChunk > 0) return 'body'
        // Each chunk's data is followed by CRLF.
        chunked.inChunk = -1
      }
      if (chunked.inChunk === -1) {
        if (pending.length < 2) return 'body'
        if (pending[0] !== 0x0d || pending[1] !== 0x0a) return { error: 'malformed chunk' }
        pending = pending.subarray(2)
        chunked.inChunk = 0
      }
      const eol = pending.indexOf(crlf)
      if (eol < 0) return pending.length > 1024 ? { error: 'malformed chunk size' } : 'body'
      const sizeText = pending.subarray(0, eol).toString('latin1').split(';')[0]?.trim() ?? ''
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return { error: 'malformed chunk size' }
      pending = pending.subarray(eol + 2)
      const size = parseInt(sizeText, 16)
      if (size === 0) chunked.trailer = true
      else chunked.inChunk = size
    }
  }

  function advance(): ReadState {
    if (state === 'head') state = parseHead()
    if (state === 'body') state = readBody()
    return state
  }

  return {
    push(chunk) {
      if (state !== 'head' && state !== 'body') return state
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk])
      return advance()
    },
    end() {
      if (state === 'body' && framing.kind === 'close') state = 'done'
      else if (state === 'head' || state === 'body') state = { error: head === undefined ? 'connection closed before the response' : 'response cut short' }
      return state
    },
    get head() {
      return head
    },
    body() {
      return Buffer.concat(kept, keptBytes)
    },
    get truncated() {
      return truncated
    },
  }
}
