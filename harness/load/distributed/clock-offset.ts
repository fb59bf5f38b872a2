/**
 * How far an agent's monotonic clock is from the coordinator's, from a handful of ping exchanges
 * (NTP's on-wire calculation): for each exchange the coordinator notes when it sent (t0) and
 * received (t3) on its clock, the agent when it received (t1) and answered (t2) on its own.
 * The exchange with the shortest round trip bounds the error best, so it alone gives the offset.
 */

/** One ping exchange, all in ns: t0/t3 on the coordinator's clock, t1/t2 on the agent's. */
export interface ClockSample {
  readonly t0: bigint
  readonly t1: bigint
  readonly t2: bigint
  readonly t3: bigint
}

/** An agent's clock against the coordinator's. */
export interface ClockOffset {
  /** Agent clock minus coordinator clock, ns: agent time = coordinator time + offset. */
  readonly offsetNs: bigint
  /** Round trip of the exchange used, ns; the offset is right within ± half of it. */
  readonly rttNs: bigint
}

/** The offset from the exchange with the shortest round trip; throws without any exchange. */
export function estimateOffset(samples: readonly ClockSample[]): ClockOffset {
  let best: ClockOffset | undefined
  for (const s of samples) {
    const rttNs = s.t3 - s.t0 - (s.t2 - s.t1)
    if (rttNs < 0n) continue // a clock went backwards: not a usable exchange
    const offsetNs = (s.t1 - s.t0 + (s.t2 - s.t3)) / 2n
    if (best === undefined || rttNs < best.rttNs) best = { offsetNs, rttNs }
  }
  if (best === undefined) throw new Error('no usable clock exchange with the agent')
  return best
}

/** The instant `coordinatorNs` (coordinator clock) on the clock of an agent with `offset`. */
export function onAgentClock(coordinatorNs: bigint, offset: ClockOffset): bigint {
  return coordinatorNs + offset.offsetNs
}
