import { configureAlgorithm } from '../../engine/balancing/create-picker.js'
import type { Backend } from '../../engine/balancing/types.js'
import { createVirtualClock } from './virtual-clock.js'

type Bin = Backend & { readonly bin: number }

/** What throwing the balls produced. */
export interface BinLoads {
  /** The most balls in one bin. */
  readonly max: number
  /** How many bins hold each number of balls (index = load). */
  readonly histogram: readonly number[]
}

/**
 * Balls into bins with a registry algorithm as the thrower: `balls` requests that never finish are
 * placed on `bins` backends by the engine's own picker (`onStart` feedback only, so a feedback
 * algorithm sees each bin's load). weighted-random with equal weights is one uniform choice; p2c
 * with `choiceCount: d` is the d-choice process.
 */
export function throwBalls(algorithm: string, options: Record<string, unknown>, bins: number, balls: number, seed: number): BinLoads {
  const configured = configureAlgorithm(algorithm, options)
  // Pickers return the snapshot's own objects: each carries its bin number.
  const backends: Bin[] = Array.from({ length: bins }, (_, i) => ({ id: `bin-${i}`, host: '127.0.0.1', port: 1, weight: 1, bin: i }))
  const picker = configured.build(backends, createVirtualClock(seed).deps)
  const load = new Int32Array(bins)
  for (let i = 0; i < balls; i++) {
    const b = picker.pick()!
    picker.onStart?.(b)
    load[(b as Bin).bin]! += 1
  }
  let max = 0
  for (const l of load) if (l > max) max = l
  const histogram = new Array<number>(max + 1).fill(0)
  for (const l of load) histogram[l]!++
  return { max, histogram }
}
