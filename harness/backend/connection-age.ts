/**
 * The maximum age of an HTTP/2 connection (gRFC A9's MAX_CONNECTION_AGE): after its jittered age
 * the session is closed gracefully — GOAWAY with the last stream id, streams in progress finish,
 * new ones go to a new connection — and destroyed `graceMs` later if streams are still open.
 */
import type { Http2Session } from 'node:http2'
import { jitteredAge } from './behaviour.js'

/** Arms the age of `session`; the timers go when the session closes. */
export function ageConnection(session: Http2Session, age: { readonly maxMs: number; readonly graceMs: number }, random: () => number): void {
  let grace: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    session.close()
    grace = setTimeout(() => session.destroy(), age.graceMs)
  }, jitteredAge(age.maxMs, random))
  session.once('close', () => {
    clearTimeout(timer)
    clearTimeout(grace)
  })
}
