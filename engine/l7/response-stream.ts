import type { Transform } from 'node:stream'
import { isTap, type BodyStage, type BodyTap } from './filters/filter.js'

/** Shows `chunk` to each tap; false (and `fail` called) when one threw. */
function observe(taps: readonly BodyTap[], chunk: Buffer, fail: (e: Error) => void): boolean {
  try {
    for (let i = 0; i < taps.length; i++) taps[i]!.observe(chunk)
    return true
  } catch (e) {
    fail(e instanceof Error ? e : new Error(String(e)))
    return false
  }
}

/** Where a transformed body goes: the client, through the codec's framing. */
export interface StreamSink {
  /** One piece of transformed content; false when the client is full (the stream waits for `resume`). */
  write(chunk: Buffer): boolean
  /** Every piece was written. */
  end(): void
  /** A transform failed; the stream is destroyed. */
  fail(error: Error): void
}

/**
 * A response body's content through the filters' stages, at least one of them a transform: taps
 * before the first transform read the content as it comes, each transform is piped into the next
 * (each tap reading the output of the transform before it), and the last one's output goes to the
 * sink. Backpressure runs end to end: a full client pauses the last transform, the pipes pause the
 * ones before, and `write` returning false tells the source (the backend's socket) to wait for
 * `onInputDrain`. Memory held is the streams' buffers, whatever the body's size.
 */
export class ResponseStream {
  private readonly leading: readonly BodyTap[]
  private readonly first: Transform
  private readonly last: Transform
  private readonly transforms: readonly Transform[]
  private failed = false

  constructor(stages: readonly BodyStage[], sink: StreamSink, onInputDrain: () => void) {
    const firstAt = stages.findIndex((s) => !isTap(s))
    this.leading = stages.slice(0, firstAt) as BodyTap[]
    const transforms: Transform[] = []
    const fail = (e: Error) => {
      if (this.failed) return
      this.failed = true
      this.destroy()
      sink.fail(e)
    }
    let trailing: BodyTap[] = []
    for (const stage of stages.slice(firstAt)) {
      if (isTap(stage)) {
        trailing.push(stage)
        continue
      }
      const before = transforms[transforms.length - 1]
      if (before !== undefined) {
        const taps = trailing
        if (taps.length > 0) before.on('data', (c: Buffer) => observe(taps, c, fail))
        before.pipe(stage)
      }
      trailing = []
      stage.on('error', fail)
      transforms.push(stage)
    }
    this.transforms = transforms
    this.first = transforms[0]!
    this.last = transforms[transforms.length - 1]!
    const taps = trailing
    const last = this.last
    last.on('data', (c: Buffer) => {
      if (taps.length > 0 && !observe(taps, c, fail)) return
      if (!sink.write(c)) last.pause()
    })
    last.once('end', () => {
      if (!this.failed) sink.end()
    })
    this.first.on('drain', onInputDrain)
  }

  /** The next piece of the body's content; false when the source should wait for `onInputDrain`. */
  write(chunk: Buffer): boolean {
    const taps = this.leading
    for (let i = 0; i < taps.length; i++) taps[i]!.observe(chunk)
    return this.first.write(chunk)
  }

  /** The content is complete: the transforms flush, then the sink ends. */
  end(): void {
    this.first.end()
  }

  /** The client can take more. */
  resume(): void {
    this.last.resume()
  }

  /** Drops everything (the client or the backend went away). */
  destroy(): void {
    for (const t of this.transforms) t.destroy()
  }
}
