import { seededRandom } from './random.js'
import type { Deps } from './types.js'

/** Wall-clock dependencies for the data plane: `Math.random` and a monotonic microsecond clock. */
export const systemDeps: Deps = {
  random: Math.random,
  nowUs: () => performance.now() * 1000,
}

/**
 * Microseconds since the Unix epoch from the monotonic clock (`timeOrigin + now()`): never goes
 * backwards within a process, and lines up across processes on one machine, so the engine's
 * event times can be set beside the harness's.
 */
export function epochUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000
}

/** The data plane's dependencies: `Math.random` and the epoch microsecond clock. */
export const engineDeps: Deps = { random: Math.random, nowUs: epochUs }

/** Deterministic dependencies with a virtual clock that only moves when told to. */
export interface ManualDeps extends Deps {
  advanceUs(us: number): void
}

/** Seeded randomness and a virtual clock starting at 0 µs: every run with the same seed replays. */
export function seededDeps(seed: number): ManualDeps {
  let t = 0
  return {
    random: seededRandom(seed),
    nowUs: () => t,
    advanceUs(us: number) {
      t += us
    },
  }
}
