import { seededRandom } from './random.js'
import type { Deps } from './types.js'

/** Wall-clock dependencies for the data plane: `Math.random` and a monotonic microsecond clock. */
export const systemDeps: Deps = {
  random: Math.random,
  nowUs: () => performance.now() * 1000,
}

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
