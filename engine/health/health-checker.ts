import { EngineError } from '../errors.js'
import type { BackendPool } from '../pool/backend-pool.js'
import { parseHealthCheckConfig, probeFor, type HealthCheckConfig } from './health-check-config.js'
import type { Probe, ProbeResult } from './probes.js'

/** The timer functions the checker schedules with; inject fakes to drive it deterministically. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** What `startHealthChecks` needs. */
export interface HealthCheckOptions {
  readonly pool: BackendPool
  readonly check: HealthCheckConfig
  /**
   * Called after every completed probe, with the health transition it caused, if any. It must not
   * throw: a throw from a scheduled check surfaces as an unhandled rejection.
   */
  readonly onResult?: (id: string, result: ProbeResult, transition?: 'up' | 'down') => void
  /** Schedules checks; default the global timers. Probe timeouts use the probe's own timer. */
  readonly timers?: Timers
  /** Uniform in [0, 1), for the interval jitter; default `Math.random`. */
  readonly random?: () => number
  /** Replaces the probe that `check.type` selects (a simulator's synthetic backends, tests). */
  readonly probe?: Probe
}

/** A running set of probe loops. */
export interface HealthChecker {
  /** Cancels every timer and aborts probes in flight; resolves once all of them have settled. */
  stop(): Promise<void>
  /**
   * Checks one backend (or every backend) now, and resolves when those checks are done. A backend
   * whose probe is already in flight is not probed twice: its current probe is awaited instead.
   * Rejects with EngineError LB_ERR_UNKNOWN_BACKEND for an id that is not in the pool.
   */
  checkNow(id?: string): Promise<void>
}

export type { HealthCheckConfig } from './health-check-config.js'

const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

interface Loop {
  timer: unknown
  controller: AbortController | undefined
  inFlight: Promise<void> | undefined
}

const done = Promise.resolve()

/**
 * Starts active health checks over a pool: one probe loop per backend, the first check at once,
 * then every `intervalMs` ±10 % (jitter keeps many checkers from probing in lockstep), counted
 * from the end of the previous probe so that one backend never has two probes in flight. Every
 * result feeds `pool.reportHealth`, whose rise/fall thresholds decide the transitions. Disabled
 * backends are skipped. Membership is re-read from `pool.status()` every interval, so backends
 * added to or removed from the pool are picked up or dropped.
 *
 * Throws EngineError LB_ERR_INVALID_OPTIONS when `check` is invalid.
 */
export function startHealthChecks(options: HealthCheckOptions): HealthChecker {
  const check = parseHealthCheckConfig(options.check)
  const { pool, onResult } = options
  const probe = options.probe ?? probeFor(check)
  const timers = options.timers ?? systemTimers
  const random = options.random ?? Math.random
  const loops = new Map<string, Loop>()
  /** Every probe not yet settled, including those of loops already dropped: `stop` awaits them all. */
  const unsettled = new Set<Promise<void>>()
  let sweepTimer: unknown
  let stopped = false

  const jittered = () => check.intervalMs * (0.9 + 0.2 * random())

  function halt(loop: Loop) {
    if (loop.timer !== undefined) timers.clearTimeout(loop.timer)
    loop.timer = undefined
    loop.controller?.abort()
  }

  function schedule(id: string, loop: Loop) {
    loop.timer = timers.setTimeout(() => {
      loop.timer = undefined
      void run(id)
    }, jittered())
  }

  function run(id: string): Promise<void> {
    const loop = loops.get(id)
    if (loop === undefined || stopped) return done
    if (loop.inFlight !== undefined) return loop.inFlight
    if (loop.timer !== undefined) timers.clearTimeout(loop.timer)
    loop.timer = undefined
    const member = pool.status().find((m) => m.id === id)
    if (member === undefined) {
      loops.delete(id)
      return done
    }
    if (!member.enabled) {
      schedule(id, loop)
      return done
    }
    const controller = new AbortController()
    loop.controller = controller
    const settled = probe({ host: member.host, port: member.port }, controller.signal)
      // A probe that throws instead of resolving is a failed check, not a dead loop.
      .catch((e: unknown): ProbeResult => ({ ok: false, latencyUs: 0, detail: e instanceof Error ? e.message : String(e) }))
      .then((result) => {
        loop.inFlight = undefined
        loop.controller = undefined
        if (stopped || loops.get(id) !== loop) return
        let transition: 'up' | 'down' | undefined
        try {
          transition = pool.reportHealth(id, result.ok)
        } catch (e) {
          // Removed from the pool while the probe ran: the next sweep would drop it anyway.
          if (e instanceof EngineError && e.code === 'LB_ERR_UNKNOWN_BACKEND') {
            loops.delete(id)
            return
          }
          throw e
        }
        schedule(id, loop)
        onResult?.(id, result, transition)
      })
    loop.inFlight = settled
    unsettled.add(settled)
    void settled.finally(() => unsettled.delete(settled)).catch(() => {})
    return settled
  }

  /** Starts loops for new members (their first check runs now) and drops loops of removed ones. */
  function sweep() {
    const ids = new Set(pool.status().map((m) => m.id))
    for (const [id, loop] of loops) {
      if (ids.has(id)) continue
      halt(loop)
      loops.delete(id)
    }
    for (const id of ids) {
      if (loops.has(id)) continue
      loops.set(id, { timer: undefined, controller: undefined, inFlight: undefined })
      void run(id)
    }
  }

  function scheduleSweep() {
    sweepTimer = timers.setTimeout(() => {
      sweepTimer = undefined
      sweep()
      scheduleSweep()
    }, jittered())
  }

  sweep()
  scheduleSweep()

  return {
    async stop() {
      if (!stopped) {
        stopped = true
        if (sweepTimer !== undefined) timers.clearTimeout(sweepTimer)
        sweepTimer = undefined
        for (const loop of loops.values()) halt(loop)
        loops.clear()
      }
      await Promise.allSettled([...unsettled])
    },

    async checkNow(id?: string) {
      if (stopped) return
      sweep()
      if (id === undefined) {
        await Promise.all([...loops.keys()].map(run))
        return
      }
      if (!loops.has(id)) throw new EngineError('LB_ERR_UNKNOWN_BACKEND', `no backend "${id}" in the pool`)
      await run(id)
    },
  }
}
