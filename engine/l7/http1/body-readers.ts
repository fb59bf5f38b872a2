import { ChunkedTracker } from '../../http/chunked.js'
import type { BodyFraming } from '../../http/http-head.js'
import type { HeadLimits } from '../../http/http-parser.js'
import type { BodyReader } from '../codec.js'

/** A body of a known length. */
class LengthReader implements BodyReader {
  constructor(private remaining: number) {}

  get done(): boolean {
    return this.remaining === 0
  }

  feed(chunk: Buffer, onContent?: (content: Buffer) => void): number {
    const n = Math.min(this.remaining, chunk.length)
    if (onContent !== undefined && n > 0) onContent(n === chunk.length ? chunk : chunk.subarray(0, n))
    this.remaining -= n
    return this.remaining === 0 ? n : -1
  }
}

/** A chunked body, followed by its framing. */
class ChunkedReader implements BodyReader {
  private end = -1
  private readonly tracker: ChunkedTracker

  constructor(maxTrailerBytes: number) {
    this.tracker = new ChunkedTracker({ maxTrailerBytes })
  }

  get done(): boolean {
    return this.end >= 0
  }

  feed(chunk: Buffer, onContent?: (content: Buffer) => void): number {
    this.end = this.tracker.feed(chunk, 0, chunk.length, onContent)
    return this.end
  }
}

/** A response body that ends when the connection closes: every byte belongs to it. */
const untilClose: BodyReader = {
  done: false,
  feed: (chunk, onContent) => {
    if (onContent !== undefined && chunk.length > 0) onContent(chunk)
    return -1
  },
}
/** No body at all. */
const empty: BodyReader = { done: true, feed: () => 0 }

/** The reader for a body of `framing` (a tunnel has no body: its bytes are not HTTP). */
export function bodyReaderFor(framing: BodyFraming, limits: HeadLimits): BodyReader {
  switch (framing.kind) {
    case 'length':
      return framing.length === 0 ? empty : new LengthReader(framing.length)
    case 'chunked':
      return new ChunkedReader(limits.maxHeadBytes)
    case 'close':
      return untilClose
    default:
      return empty
  }
}
