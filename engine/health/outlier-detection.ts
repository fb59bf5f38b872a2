import { z } from 'zod'
import { parseConfig } from './parse-config.js'

/**
 * Passive outlier ejection on consecutive failures, with Envoy's semantics (`consecutive_5xx`,
 * `base_ejection_time`, `max_ejection_time`, `max_ejection_percent`, `always_eject_one_host`).
 * Every default is Envoy's.
 */
export const outlierConfigSchema = z
  .strictObject({
    /** Consecutive failed requests that eject a host (Envoy `consecutive_5xx`). */
    consecutiveFailures: z.number().int().min(1).max(1_000_000).default(5),
    /** An ejection lasts this long times the host's ejection count (Envoy `base_ejection_time`). */
    baseEjectionMs: z.number().positive().max(86_400_000).default(30_000),
    /** Ejections never last longer than this (Envoy `max_ejection_time`). */
    maxEjectionMs: z.number().positive().max(86_400_000).default(300_000),
    /** At most this percentage of the members may be ejected at once (Envoy `max_ejection_percent`). */
    maxEjectionPercent: z.number().min(0).max(100).default(10),
    /**
     * Allow one ejection even when the percentage cap rounds down to zero hosts (Envoy
     * `always_eject_one_host`, off by default as in Envoy).
     */
    alwaysEjectOneHost: z.boolean().default(false),
    /** A returned host's ejection count drops by one per interval it stays in service (Envoy `interval`). */
    intervalMs: z.number().positive().max(86_400_000).default(10_000),
  })
  .refine((c) => c.maxEjectionMs >= c.baseEjectionMs, { path: ['maxEjectionMs'], message: 'must be at least baseEjectionMs' })

/** Outlier detection settings (input form: defaults may be omitted). */
export type OutlierConfig = z.input<typeof outlierConfigSchema>

/** A host left or rejoined the set of candidates. */
export interface OutlierEvent {
  readonly type: 'ejected' | 'returned'
  readonly id: string
  readonly atUs: number
  /** For 'ejected': when the ejection ends. */
  readonly untilUs?: number
}

/** One member's outlier state, for admin stats. */
export interface OutlierStatus {
  readonly id: string
  readonly ejected: boolean
  /** The ejection multiplier: grows by one per ejection, decays while the host is in service. */
  readonly ejections: number
  readonly consecutiveFailures: number
  /** When the current ejection ends; undefined while in service. */
  readonly ejectedUntilUs: number | undefined
}

/** Tracks request outcomes per host and decides ejections. Pure: every time is passed in. */
export interface OutlierDetector {
  /**
   * Records one request outcome. Returns the 'ejected' event when this failure ejects the host.
   * Outcomes for ejected hosts (late responses) and for ids that are not members are ignored.
   */
  record(id: string, ok: boolean, nowUs: number): OutlierEvent | undefined
  /** Returns to service every host whose ejection ended at or before `nowUs`, in order of expiry. */
  due(nowUs: number): string[]
  /** When the earliest current ejection ends: the time the owner should next call `due`. */
  nextDueUs(): number | undefined
  isEjected(id: string): boolean
  /** Replaces the membership: new ids start clean, state of removed ids is dropped. */
  setMembers(ids: Iterable<string>): void
  /** Per-member state; with `nowUs`, ejection counts are first decayed up to that time. */
  status(nowUs?: number): OutlierStatus[]
}

interface HostState {
  consecutiveFailures: number
  ejections: number
  ejectedUntilUs: number | undefined
  /** Start of the current decay interval; meaningful while in service with ejections > 0. */
  decayFromUs: number
}

/**
 * Creates an outlier detector.
 *
 * - A host is ejected on its `consecutiveFailures`-th failure in a row; a success resets the count.
 *   As in Envoy, the count is also reset when the ejection is refused by the cap, so a refused host
 *   needs a fresh run of failures.
 * - An ejection lasts `baseEjectionMs × ejections`, capped at `maxEjectionMs`.
 * - Decay: once returned, the host's ejection count drops by one for every full `intervalMs` it
 *   stays in service, counted from the moment its ejection ended. The count itself is capped at
 *   ⌈max / base⌉, so (as Envoy documents) a host that stays healthy is back to the base ejection
 *   time after about max / base intervals.
 * - Cap: a host is ejected only if `(ejected + 1) / members ≤ maxEjectionPercent %` — Envoy's rule,
 *   so with the default 10 % no host of a pool smaller than 10 is ever ejected, a pool of 10–19
 *   loses at most one, of 20–29 at most two. `alwaysEjectOneHost` allows one ejection regardless.
 *
 * Throws EngineError LB_ERR_INVALID_OPTIONS on an invalid configuration.
 */
export function createOutlierDetector(config: OutlierConfig = {}): OutlierDetector {
  const cfg = parseConfig(outlierConfigSchema, config, 'outlierDetection')
  const baseUs = cfg.baseEjectionMs * 1000
  const maxUs = cfg.maxEjectionMs * 1000
  const intervalUs = cfg.intervalMs * 1000
  // Beyond this the multiplier no longer lengthens ejections, only delays the decay.
  const maxMultiplier = Math.ceil(cfg.maxEjectionMs / cfg.baseEjectionMs)
  const hosts = new Map<string, HostState>()
  let ejectedCount = 0

  function decay(h: HostState, nowUs: number) {
    if (h.ejectedUntilUs !== undefined || h.ejections === 0 || nowUs < h.decayFromUs + intervalUs) return
    const steps = Math.floor((nowUs - h.decayFromUs) / intervalUs)
    h.ejections = Math.max(0, h.ejections - steps)
    h.decayFromUs += steps * intervalUs
  }

  function mayEject(): boolean {
    if (cfg.alwaysEjectOneHost && ejectedCount === 0) return true
    // Integer form of (ejected + 1) / members × 100 ≤ percent, free of rounding surprises.
    return (ejectedCount + 1) * 100 <= cfg.maxEjectionPercent * hosts.size
  }

  return {
    record(id, ok, nowUs) {
      const h = hosts.get(id)
      if (h === undefined || h.ejectedUntilUs !== undefined) return undefined
      if (ok) {
        h.consecutiveFailures = 0
        return undefined
      }
      h.consecutiveFailures++
      if (h.consecutiveFailures < cfg.consecutiveFailures) return undefined
      h.consecutiveFailures = 0
      if (!mayEject()) return undefined
      decay(h, nowUs)
      h.ejections = Math.min(h.ejections + 1, maxMultiplier)
      const untilUs = nowUs + Math.min(baseUs * h.ejections, maxUs)
      h.ejectedUntilUs = untilUs
      ejectedCount++
      return { type: 'ejected', id, atUs: nowUs, untilUs }
    },

    due(nowUs) {
      const expired: [string, number][] = []
      for (const [id, h] of hosts) if (h.ejectedUntilUs !== undefined && h.ejectedUntilUs <= nowUs) expired.push([id, h.ejectedUntilUs])
      expired.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      for (const [id, untilUs] of expired) {
        const h = hosts.get(id) as HostState
        h.ejectedUntilUs = undefined
        // Decay counts from when the ejection ended, not from when the owner got round to asking.
        h.decayFromUs = untilUs
        ejectedCount--
      }
      return expired.map(([id]) => id)
    },

    nextDueUs() {
      let next: number | undefined
      for (const h of hosts.values()) if (h.ejectedUntilUs !== undefined && (next === undefined || h.ejectedUntilUs < next)) next = h.ejectedUntilUs
      return next
    },

    isEjected(id) {
      return hosts.get(id)?.ejectedUntilUs !== undefined
    },

    setMembers(ids) {
      const keep = new Set(ids)
      for (const [id, h] of hosts) {
        if (keep.has(id)) continue
        if (h.ejectedUntilUs !== undefined) ejectedCount--
        hosts.delete(id)
      }
      for (const id of keep) if (!hosts.has(id)) hosts.set(id, { consecutiveFailures: 0, ejections: 0, ejectedUntilUs: undefined, decayFromUs: 0 })
    },

    status(nowUs) {
      return [...hosts].map(([id, h]) => {
        if (nowUs !== undefined) decay(h, nowUs)
        return { id, ejected: h.ejectedUntilUs !== undefined, ejections: h.ejections, consecutiveFailures: h.consecutiveFailures, ejectedUntilUs: h.ejectedUntilUs }
      })
    },
  }
}
