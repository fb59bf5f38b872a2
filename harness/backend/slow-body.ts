/**
 * A body sent at a byte rate (the `slowBody` behaviour), shared by HTTP/1.1, HTTP/2 and gRPC
 * server streaming: on each tick the bytes due by then are written, until all are sent.
 */

/** The handle of a paced body. */
export interface PacedBody {
  /** Stops writing (the connection or stream closed). */
  cancel(): void
}

/**
 * Writes `length` bytes at `bytesPerSecond`: `write(from, to)` is called with the range of bytes
 * due on each tick, `done` once the last has gone. Ticks are at least 10 ms apart (fewer timers at
 * high rates) and at most 100 ms (smooth at low ones); total time ≈ length / rate.
 */
export function paceBody(length: number, bytesPerSecond: number, write: (from: number, to: number) => void, done: () => void): PacedBody {
  const started = performance.now()
  const totalMs = (length / bytesPerSecond) * 1000
  const tickMs = Math.min(100, Math.max(10, 1000 / bytesPerSecond))
  let sent = 0
  let timer: NodeJS.Timeout | undefined
  const tick = () => {
    timer = undefined
    const elapsed = performance.now() - started
    const due = Math.min(length, Math.floor((elapsed / 1000) * bytesPerSecond))
    if (due > sent) {
      write(sent, due)
      sent = due
    }
    if (sent < length) {
      timer = setTimeout(tick, Math.max(1, Math.min(tickMs, totalMs - elapsed)))
      return
    }
    done()
  }
  timer = setTimeout(tick, Math.max(1, Math.min(tickMs, totalMs)))
  return { cancel: () => clearTimeout(timer) }
}
