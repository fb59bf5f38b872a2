import net from 'node:net'
import { LatencyHistogram, type LatencySummary } from '../../../engine/stats/latency-histogram.js'
import { ConstantRateSchedule } from '../../load/constant-rate-schedule.js'
import { connectTo, KEEP_ALIVE, requestHead, responseReader, type ClosedLoopResult } from './closed-loop-client.js'

/** What a fixed-rate run measured: latency from each write, and how late the writes left. */
export interface FixedRateResult extends ClosedLoopResult {
  /** Intended send time → write, µs: the pacer's own lateness, the same for every subject. */
  readonly sendLagUs: LatencySummary
}

/** The load of a fixed-rate run. */
export interface FixedRateOptions {
  /** Requests per second. */
  readonly rate: number
  readonly requests: number
  /** Keep-alive connections, opened before the first request; requests take turns on them. */
  readonly connections: number
  /** Speak TLS (handshakes done before the first request). */
  readonly tls?: boolean
  readonly timeoutMs?: number
  /** Header lines added to every request, each ending in CRLF. */
  readonly headers?: string
  /**
   * Called once every connection is open, just before the first request: what is measured from
   * here leaves out the connections' set-up.
   */
  readonly onStart?: () => void
}

/**
 * An open-loop HTTP/1.1 client at a low fixed rate, the regime where a proxy's cost is its
 * wake-ups and timers rather than its per-byte work: request `i` is due at `t0 + i / rate`; due
 * requests go out on the connection idle longest (so every connection sees traffic, as many quiet
 * clients do), and wait for one when all are busy. Latency is timed from the write, as the
 * closed-loop client times it, so proxy and direct runs compare on the same clock.
 */
export function fixedRate(port: number, options: FixedRateOptions): Promise<FixedRateResult> {
  const request = options.headers === undefined ? KEEP_ALIVE : requestHead('keep-alive', options.headers)
  return new Promise((resolve) => {
    const histogram = new LatencyHistogram()
    const lag = new LatencyHistogram()
    const idle: net.Socket[] = []
    const sockets = new Set<net.Socket>()
    const sentAt = new Map<net.Socket, bigint>()
    let schedule: ConstantRateSchedule | undefined
    let due = 0
    let sent = 0
    let done = 0
    let errors = 0
    /** Requests whose connection was lost before the answer: errors without a response. */
    let lost = 0
    let connected = 0
    let finished = false
    let pacer: NodeJS.Timeout | undefined
    let started = process.hrtime.bigint()
    const finish = () => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      clearTimeout(pacer)
      for (const s of sockets) s.destroy()
      resolve({ requests: done, errors, elapsedMs: Number(process.hrtime.bigint() - started) / 1e6, latencyUs: histogram.summary(), sendLagUs: lag.summary() })
    }
    const timer = setTimeout(finish, options.timeoutMs ?? 60_000)
    const settle = () => {
      if (done + lost >= options.requests) finish()
    }
    /** Writes every due request an idle connection can take, then sleeps until the next is due. */
    const pace = () => {
      pacer = undefined
      if (finished || schedule === undefined) return
      const now = process.hrtime.bigint()
      due = schedule.dueBy(now)
      while (sent < due && idle.length > 0) {
        const socket = idle.shift()!
        const at = process.hrtime.bigint()
        lag.record(Number(at - schedule.dueAt(sent)) / 1000)
        sent++
        sentAt.set(socket, at)
        socket.write(request)
      }
      if (sent < schedule.length && sent >= due) pacer = setTimeout(pace, Math.max(0, Number(schedule.dueAt(sent) - process.hrtime.bigint()) / 1e6))
    }
    const begin = () => {
      options.onStart?.()
      started = process.hrtime.bigint()
      schedule = new ConstantRateSchedule(started, options.rate, started + BigInt(Math.ceil((options.requests * 1e9) / options.rate)))
      pace()
    }
    for (let c = 0; c < options.connections; c++) {
      const { socket, ready } = connectTo(port, options.tls === true)
      sockets.add(socket)
      socket.on(ready, () => {
        idle.push(socket)
        if (++connected === sockets.size) begin()
      })
      socket.on(
        'data',
        responseReader((ok) => {
          const at = sentAt.get(socket)
          if (at === undefined) return false
          sentAt.delete(socket)
          if (!ok) errors++
          histogram.record(Number(process.hrtime.bigint() - at) / 1000)
          done++
          idle.push(socket)
          settle()
          // A request that waited for a connection leaves now rather than at the next tick.
          if (!finished && sent < due) pace()
          return true
        }),
      )
      socket.on('error', () => {})
      socket.on('close', () => {
        sockets.delete(socket)
        if (finished) return
        // A connection lost with a request on it fails that request; the run goes on with the
        // connections left (one that never connected just leaves fewer).
        if (sentAt.delete(socket)) {
          errors++
          lost++
        }
        const i = idle.indexOf(socket)
        if (i >= 0) idle.splice(i, 1)
        if (sockets.size === 0) return finish()
        if (schedule === undefined && connected === sockets.size) begin()
        settle()
      })
    }
  })
}
