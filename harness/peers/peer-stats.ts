import type { StatusClass } from '../../engine/stats/counters.js'

/**
 * What a listener saw, counted by the balancer itself (warm-up included): connections accepted,
 * requests it parsed (0 for a layer 4 relay, which sees none), responses by status class. The
 * engine's `/stats` and a peer's own statistics fill the same shape, so reports and claims compare them.
 */
export interface ObservedCounts {
  readonly connections: number
  readonly requests: number
  readonly responses: Readonly<Partial<Record<StatusClass, number>>>
}

/** A peer's own statistics, read from its runtime interface at the end of a run. */
export interface PeerStats {
  /** Where the figures came from (`haproxy show stat`, `caddy admin API`). */
  readonly source: string
  /** Per listener (by the engine's listener name), when the peer counts per listener. */
  readonly listeners: Readonly<Record<string, ObservedCounts>>
  /** Every other figure it reported, flat, in the peer's own words (`pool/backend lbtot`). */
  readonly counters: Readonly<Record<string, number>>
}
