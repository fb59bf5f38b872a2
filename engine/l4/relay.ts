import type { Socket } from 'node:net'
import { IdleWatch, type Sweeper } from '../runtime/sweeper.js'

/**
 * Relays bytes both ways between two connected sockets, as an L4 proxy must: backpressure in each
 * direction (a full write buffer pauses the other side's reads until 'drain'), half-close (one
 * side's FIN is passed on as a FIN while the other direction keeps flowing — both sockets need
 * `allowHalfOpen`), an idle timeout with no bytes either way, and teardown of both when either
 * fails. `onClose` runs once, after both sockets are closed.
 */
export function relay(a: Socket, b: Socket, idle: { readonly sweeper: Sweeper; readonly idleMs: number }, onClose?: () => void): void {
  // Idle detection counts chunks on a shared sweep instead of re-arming a timer per socket on
  // every read and write, which would cost more than relaying a small request.
  const watch = new IdleWatch(idle.idleMs, () => {
    a.destroy()
    b.destroy()
  })
  const pipeOneWay = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      watch.activity++
      if (!to.write(chunk)) from.pause()
    })
    to.on('drain', () => from.resume())
    // A socket whose read buffer is empty when the FIN arrives emits 'end' even while paused, so
    // a client that half-closed before the relay started has already ended.
    if (from.readableEnded) to.end()
    else from.on('end', () => to.end())
  }
  pipeOneWay(a, b)
  pipeOneWay(b, a)
  let closed = 0
  const onSocketClose = (self: Socket, other: Socket) => (hadError: boolean) => {
    // A socket that closed cleanly has passed both FINs on: the other one may still hold bytes
    // queued for its peer, and closes by itself once they are written (or at the idle timeout).
    // Destroying it here would drop that tail.
    if (hadError || !self.readableEnded || !self.writableFinished) other.destroy()
    if (++closed === 2) {
      idle.sweeper.delete(watch)
      onClose?.()
    }
  }
  a.once('close', onSocketClose(a, b))
  b.once('close', onSocketClose(b, a))
  // Errors surface as 'close'; without a listener an error would crash the process.
  a.on('error', () => {})
  b.on('error', () => {})
  idle.sweeper.add(watch)
  a.resume()
  b.resume()
}
