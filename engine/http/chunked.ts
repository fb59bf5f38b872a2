import { BACKSLASH, COLON, CR, DQUOTE, EQUALS, FIELD, HEX, HTAB, LF, QDTEXT, SEMICOLON, SP, TCHAR } from './char-classes.js'
import { ChunkedError, type HttpErrorCode } from './http-errors.js'

/** Bounds on the parts of a chunked body that are framing rather than payload. */
export interface ChunkedLimits {
  /** Bytes of one chunk-size line including extensions and CRLF; default 4096. */
  readonly maxChunkSizeLine?: number
  /** Bytes of the trailer section including the final CRLF; default 16384. */
  readonly maxTrailerBytes?: number
}

// Positions in RFC 9112 §7.1:
//   chunk-size [ chunk-ext ] CRLF chunk-data CRLF ... last-chunk trailer-section CRLF
//   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS ( token / quoted-string ) ] )
const enum State {
  SizeStart, // first hex digit
  Size, // more hex digits, ext, or CR
  SizeBws, // whitespace after the size: only a ";" may follow
  ExtNameStart, // after ";" (and BWS): the extension name
  ExtName,
  ExtNameBws, // whitespace after a name: "=" or ";" must follow
  ExtValueStart, // after "=" (and BWS): token or quoted-string
  ExtToken,
  ExtQuoted,
  ExtQuotedPair,
  ExtValueEnd, // just after a closing quote: ";", whitespace then ";", or CR
  ExtValueBws, // whitespace after a value: only a ";" may follow
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerLineStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  FinalLf,
  Done,
}

const MAX_SIZE_BEFORE_DIGIT = Math.floor(Number.MAX_SAFE_INTEGER / 16)

/**
 * Follows a chunked body as it passes through, to find where the message ends and to refuse framing
 * a downstream parser could read differently. The bytes are not decoded or copied: a proxy forwards
 * them verbatim. Strict per RFC 9112 §7.1: hex sizes without sign or leading whitespace and at most
 * 2^53−1, extensions per their grammar, CRLF everywhere (a bare LF or CR is an error), trailer
 * fields shaped like header lines, and bounded size lines and trailers. One instance per message.
 */
export class ChunkedTracker {
  private state: State = State.SizeStart
  private remaining = 0
  private lineBytes = 0
  private trailerBytes = 0
  private bytes = 0
  private error: ChunkedError | undefined
  private readonly maxLine: number
  private readonly maxTrailer: number

  constructor(limits?: ChunkedLimits) {
    this.maxLine = limits?.maxChunkSizeLine ?? 4096
    this.maxTrailer = limits?.maxTrailerBytes ?? 16384
  }

  /** True once the final CRLF after the last chunk and trailers has been seen. */
  get done(): boolean {
    return this.state === State.Done
  }

  /** Payload bytes (chunk data, without framing) seen so far. */
  get bodyBytes(): number {
    return this.bytes
  }

  /**
   * Scans `buf[start, end)`, the next bytes of the body. Returns the index just past the end of the
   * message if it ends in this region (later bytes belong to the next message), or -1 if more bytes
   * are needed. Once done, returns `start`. Throws a {@link ChunkedError} on malformed framing, and
   * the same error on every later call. `onData`, when given, receives each run of chunk data
   * (the content, framing removed) as a view of `buf`: for a filter reading the body, or a client
   * that does not speak chunked (HTTP/2).
   */
  feed(buf: Buffer, start: number, end: number, onData?: (data: Buffer) => void): number {
    if (this.error !== undefined) throw this.error
    if (this.state === State.Done) return start
    let state: State = this.state
    let pos = start
    while (pos < end) {
      if (state === State.Data) {
        const n = Math.min(this.remaining, end - pos)
        if (onData !== undefined && n > 0) onData(buf.subarray(pos, pos + n))
        pos += n
        this.bytes += n
        this.remaining -= n
        if (this.remaining === 0) state = State.DataCr
        continue
      }
      const b = buf[pos++]!
      if (state < State.Data) {
        if (++this.lineBytes > this.maxLine) this.fail('HTTP_ERR_CHUNK_LINE_TOO_LONG')
      } else if (state >= State.TrailerLineStart) {
        if (++this.trailerBytes > this.maxTrailer) this.fail('HTTP_ERR_TRAILERS_TOO_LARGE')
      }
      state = this.step(state, b)
      if (state === State.Done) {
        this.state = state
        return pos
      }
    }
    this.state = state
    return -1
  }

  /** The state after byte `b` in `state` (never Data's bulk path). */
  private step(state: State, b: number): State {
    switch (state) {
      case State.SizeStart:
        if (HEX[b]! < 0) this.fail(b === LF ? 'HTTP_ERR_BARE_LF' : 'HTTP_ERR_BAD_CHUNK_SIZE')
        this.remaining = HEX[b]!
        return State.Size
      case State.Size: {
        const d = HEX[b]!
        if (d >= 0) {
          if (this.remaining > MAX_SIZE_BEFORE_DIGIT) this.fail('HTTP_ERR_CHUNK_SIZE_OVERFLOW')
          this.remaining = this.remaining * 16 + d
          return State.Size
        }
        if (b === CR) return State.SizeLf
        if (b === SEMICOLON) return State.ExtNameStart
        if (b === SP || b === HTAB) return State.SizeBws
        return this.fail(b === LF ? 'HTTP_ERR_BARE_LF' : 'HTTP_ERR_BAD_CHUNK_SIZE')
      }
      case State.SizeBws:
        if (b === SP || b === HTAB) return State.SizeBws
        if (b === SEMICOLON) return State.ExtNameStart
        return this.badExtension(b)
      case State.ExtNameStart:
        if (b === SP || b === HTAB) return State.ExtNameStart
        if (TCHAR[b] === 1) return State.ExtName
        return this.badExtension(b)
      case State.ExtName:
        if (TCHAR[b] === 1) return State.ExtName
        return this.afterExtension(b, true)
      case State.ExtNameBws:
        if (b === SP || b === HTAB) return State.ExtNameBws
        if (b === EQUALS) return State.ExtValueStart
        if (b === SEMICOLON) return State.ExtNameStart
        return this.badExtension(b)
      case State.ExtValueStart:
        if (b === SP || b === HTAB) return State.ExtValueStart
        if (b === DQUOTE) return State.ExtQuoted
        if (TCHAR[b] === 1) return State.ExtToken
        return this.badExtension(b)
      case State.ExtToken:
        if (TCHAR[b] === 1) return State.ExtToken
        return this.afterExtension(b, false)
      case State.ExtQuoted:
        if (b === DQUOTE) return State.ExtValueEnd
        if (b === BACKSLASH) return State.ExtQuotedPair
        if (QDTEXT[b] === 1) return State.ExtQuoted
        return this.badExtension(b)
      case State.ExtQuotedPair:
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): exactly the field-value bytes.
        if (FIELD[b] !== 0) return State.ExtQuoted
        return this.badExtension(b)
      case State.ExtValueEnd:
        return this.afterExtension(b, false)
      case State.ExtValueBws:
        if (b === SP || b === HTAB) return State.ExtValueBws
        if (b === SEMICOLON) return State.ExtNameStart
        return this.badExtension(b)
      case State.SizeLf:
        if (b !== LF) this.fail('HTTP_ERR_BARE_CR')
        this.lineBytes = 0
        return this.remaining === 0 ? State.TrailerLineStart : State.Data
      case State.DataCr:
        if (b !== CR) this.fail(b === LF ? 'HTTP_ERR_BARE_LF' : 'HTTP_ERR_BAD_CHUNK_END')
        return State.DataLf
      case State.DataLf:
        if (b !== LF) this.fail('HTTP_ERR_BARE_CR')
        return State.SizeStart
      case State.TrailerLineStart:
        if (b === CR) return State.FinalLf
        if (TCHAR[b] === 1) return State.TrailerName
        if (b === SP || b === HTAB) this.fail('HTTP_ERR_OBS_FOLD')
        return this.fail(b === LF ? 'HTTP_ERR_BARE_LF' : 'HTTP_ERR_BAD_TRAILER')
      case State.TrailerName:
        if (TCHAR[b] === 1) return State.TrailerName
        if (b === COLON) return State.TrailerValue
        return this.fail(b === LF ? 'HTTP_ERR_BARE_LF' : 'HTTP_ERR_BAD_TRAILER')
      case State.TrailerValue:
        if (FIELD[b] !== 0) return State.TrailerValue
        if (b === CR) return State.TrailerLf
        return this.fail(b === LF ? 'HTTP_ERR_BARE_LF' : 'HTTP_ERR_BAD_TRAILER')
      case State.TrailerLf:
        if (b !== LF) this.fail('HTTP_ERR_BARE_CR')
        return State.TrailerLineStart
      case State.FinalLf:
        if (b !== LF) this.fail('HTTP_ERR_BARE_CR')
        return State.Done
      case State.Data:
      case State.Done:
        return state
    }
  }

  /** After an extension name or value: another extension, BWS, or the end of the size line. */
  private afterExtension(b: number, afterName: boolean): State {
    if (b === SEMICOLON) return State.ExtNameStart
    if (b === CR) return State.SizeLf
    if (b === SP || b === HTAB) return afterName ? State.ExtNameBws : State.ExtValueBws
    if (afterName && b === EQUALS) return State.ExtValueStart
    return this.badExtension(b)
  }

  private badExtension(b: number): never {
    return this.fail(b === LF ? 'HTTP_ERR_BARE_LF' : 'HTTP_ERR_BAD_CHUNK_EXTENSION')
  }

  private fail(code: HttpErrorCode): never {
    this.error = new ChunkedError(code)
    throw this.error
  }
}
