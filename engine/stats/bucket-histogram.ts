/**
 * Upper bounds (µs) of the engine's time buckets: 5 µs to 10 s in 1-2.5-5 steps, below Prometheus'
 * default buckets (5 ms to 10 s) because the engine's own time is microseconds.
 */
export const ENGINE_TIME_BOUNDS_US: readonly number[] = [
  5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
]

/** A histogram in fixed buckets: cumulative counts per upper bound, the count and the exact sum. */
export interface BucketSnapshot {
  /** Cumulative: `counts[i]` samples were ≤ `boundsUs[i]`; samples above the last bound are only in `count`. */
  readonly boundsUs: readonly number[]
  readonly counts: readonly number[]
  readonly count: number
  /** Sum of every sample, µs. */
  readonly sumUs: number
}

/**
 * Counts samples in fixed buckets, as a Prometheus histogram does. Unlike quantiles, bucket counts
 * add up across instances (workers, engines), so the whole fleet's p99 can be computed where the
 * samples were not. Recording is one binary search over the bounds.
 */
export class BucketHistogram {
  private readonly perBucket: Float64Array
  private total = 0
  private sum = 0

  constructor(private readonly boundsUs: readonly number[] = ENGINE_TIME_BOUNDS_US) {
    for (let i = 1; i < boundsUs.length; i++) if (!(boundsUs[i]! > boundsUs[i - 1]!)) throw new Error('bucket bounds must increase')
    this.perBucket = new Float64Array(boundsUs.length + 1)
  }

  /** Records one sample, µs. */
  record(us: number): void {
    const b = this.boundsUs
    let lo = 0
    let hi = b.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (us <= b[mid]!) hi = mid
      else lo = mid + 1
    }
    this.perBucket[lo]!++
    this.total++
    this.sum += us
  }

  snapshot(): BucketSnapshot {
    const counts: number[] = []
    let running = 0
    for (let i = 0; i < this.boundsUs.length; i++) counts.push((running += this.perBucket[i]!))
    return { boundsUs: this.boundsUs, counts, count: this.total, sumUs: this.sum }
  }
}
