import { fmix32 } from '../../engine/balancing/hash.js'
import type { ConfiguredAlgorithm } from '../../engine/balancing/create-picker.js'
import type { Backend, Deps } from '../../engine/balancing/types.js'

/** How one membership change moved a hash pool's keys. */
export interface Disruption {
  /** Ready backends before and after. */
  readonly before: number
  readonly after: number
  /** Share of the sampled keys whose backend changed. */
  readonly moved: number
  /**
   * Share that had to move: keys whose backend left, plus keys that a joining backend must take
   * for its fair share. Ideal consistent hashing moves exactly this (≈ 1/N for one backend of N).
   */
  readonly minimal: number
}

/** The fixed key sample: the same hashes for every pool, variant and run. */
function sampleHash(i: number): number {
  return fmix32(Math.imul(i + 1, 0x9e3779b1) ^ 0x2545f491)
}

/**
 * Measures key movement of a hash algorithm across membership changes, with the registry's own
 * picker: the owners of a fixed sample of key hashes are computed for each membership and compared
 * with the previous one. Only the owners of the sample are kept between changes.
 */
export class DisruptionTracker {
  private owners: string[] | undefined
  private ids = new Set<string>()
  private readonly deps: Deps = { random: () => 0.5, nowUs: () => 0 }

  constructor(
    private readonly algorithm: ConfiguredAlgorithm,
    private readonly sampleKeys: number,
  ) {}

  /** Whether the ready set differs from the last one seen. */
  changed(ids: readonly string[]): boolean {
    if (ids.length !== this.ids.size) return true
    for (const id of ids) if (!this.ids.has(id)) return true
    return false
  }

  /** Takes the new ready backends; returns the movement since the last set (undefined the first time). */
  update(backends: readonly Backend[]): Disruption | undefined {
    const picker = this.algorithm.build(backends, this.deps)
    const owners: string[] = new Array<string>(this.sampleKeys)
    const ctx = { hash: 0 }
    for (let i = 0; i < this.sampleKeys; i++) {
      ctx.hash = sampleHash(i)
      owners[i] = picker.pick(ctx)?.id ?? ''
    }
    const previous = this.owners
    const previousIds = this.ids
    this.owners = owners
    this.ids = new Set(backends.map((b) => b.id))
    if (previous === undefined) return undefined
    let moved = 0
    let minimal = 0
    for (let i = 0; i < this.sampleKeys; i++) {
      const was = previous[i]!
      const now = owners[i]!
      if (was !== now) moved++
      // Must move: its backend left, or it now belongs to a backend that just joined.
      if (!this.ids.has(was) || (was !== now && !previousIds.has(now))) minimal++
    }
    return { before: previousIds.size, after: this.ids.size, moved: moved / this.sampleKeys, minimal: minimal / this.sampleKeys }
  }
}
