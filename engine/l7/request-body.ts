import type { Duplex } from 'node:stream'
import type { BodyReader } from './codec.js'

function concat(a: Buffer | undefined, b: Buffer): Buffer {
  return a === undefined || a.length === 0 ? b : Buffer.concat([a, b])
}

/** Where the body goes: a backend connection, or an HTTP/2 stream's body writer. False: wait for 'drain'. */
export interface BodySink {
  write(chunk: Buffer): boolean
}

/** Bytes queued before a backend is connected, beyond which client reads pause. */
const MAX_QUEUED = 1 << 20

/**
 * A request body on its way upstream: client bytes are split into this body and what follows (the
 * next request, kept as `leftover`), queued until a backend is connected, then written with
 * backpressure — the client is paused while the upstream cannot take more, and resumed after.
 */
export class RequestBody {
  done: boolean
  /** Some of the body reached a backend: the request can no longer be replayed elsewhere. */
  sent = false
  /** Client bytes received beyond this request. */
  leftover: Buffer | undefined
  private queue: Buffer[] = []
  private queued = 0
  /** Client reads were paused here and a resume is owed. */
  private paused = false

  constructor(
    private readonly reader: BodyReader,
    private readonly client: Duplex,
    /** Told how many bytes wait behind the request (the session pauses reading past its limit). */
    private readonly holdBack: (buffered: number) => void,
  ) {
    this.done = reader.done
  }

  /**
   * Takes client bytes; `upstream` is the backend connection when there is one. Throws an error with
   * a stable `code` when the body's framing is malformed.
   */
  take(chunk: Buffer, upstream: BodySink | undefined): void {
    if (this.done) {
      this.leftover = concat(this.leftover, chunk)
      this.holdBack(this.leftover.length)
      return
    }
    let body = chunk
    const end = this.reader.feed(chunk)
    if (end >= 0) {
      this.done = true
      if (end < chunk.length) {
        body = chunk.subarray(0, end)
        this.leftover = concat(this.leftover, chunk.subarray(end))
      }
    }
    if (body.length === 0) return
    if (upstream === undefined) {
      // Not connected yet: queue, and stop reading if the queue grows large.
      this.queue.push(body)
      this.queued += body.length
      if (this.queued > MAX_QUEUED) this.pause()
      return
    }
    this.sent = true
    if (!upstream.write(body)) this.pause()
  }

  /** Writes what was queued before the backend was connected. */
  flush(upstream: BodySink): void {
    for (const b of this.queue) upstream.write(b)
    if (this.queue.length > 0) this.sent = true
    this.queue = []
    this.queued = 0
  }

  private pause(): void {
    this.paused = true
    this.client.pause()
  }

  /**
   * Undoes this body's own pause, whether or not it is complete: a pause left in place after the
   * last chunk would stop the connection from ever reading its next request. A pause the session
   * made (too many pipelined bytes) is the session's to undo.
   */
  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.client.resume()
  }
}
