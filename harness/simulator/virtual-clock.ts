import { seededDeps } from '../../engine/balancing/deps.js'
import { seededRandom } from '../../engine/balancing/random.js'
import type { Deps } from '../../engine/balancing/types.js'

/**
 * The simulation's time and randomness. `deps` is what the engine's pickers and pool read: its
 * clock is the virtual clock, so time-aware algorithms (peak EWMA's decay, slow start) see
 * simulated time, never the wall clock. Separate seeded streams serve the arrivals, the service
 * times, the balancer and the network, so a change in one part (an algorithm that draws more) does
 * not shift the draws of another: variants of one seed see the same traffic (common random numbers).
 */
export interface VirtualClock {
  /** The pickers' and pool's view: seeded random, virtual microseconds. */
  readonly deps: Deps
  /** Virtual time, µs. */
  nowUs(): number
  /** Moves the clock to `us` (never backwards). */
  setUs(us: number): void
  /** The clock's one cell, for the event loop to set without a call (`time[0] = us`). */
  readonly time: Float64Array
  /** Independent stream for arrivals and keys. */
  readonly arrivals: () => number
  /** Independent stream for service times and backend outcomes. */
  readonly service: () => number
  /** Independent stream for network delays and health-check jitter. */
  readonly network: () => number
  /** Independent stream for the balancer's CPU time per request. */
  readonly balancer: () => number
}

/** Mixes a seed and a stream number into an unrelated seed (splitmix-style). */
export function streamSeed(seed: number, stream: number): number {
  let z = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** A virtual clock at `startUs` with streams derived from `seed`. */
export function createVirtualClock(seed: number, startUs = 0): VirtualClock {
  // seededDeps' random stream, with its manual clock replaced by one set to absolute times: moving
  // it by differences would let rounding drift the pickers' clock away from the event times.
  const seeded = seededDeps(streamSeed(seed, 0))
  const time = Float64Array.of(startUs)
  const nowUs = () => time[0]!
  return {
    deps: { random: seeded.random, nowUs },
    nowUs,
    setUs(us: number) {
      if (us > time[0]!) time[0] = us
    },
    time,
    arrivals: seededRandom(streamSeed(seed, 1)),
    service: seededRandom(streamSeed(seed, 2)),
    network: seededRandom(streamSeed(seed, 3)),
    balancer: seededRandom(streamSeed(seed, 4)),
  }
}
