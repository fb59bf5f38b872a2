import { BucketHistogram, type BucketSnapshot } from './bucket-histogram.js'
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js'

/**
 * A time measured on the data plane and kept two ways: an HdrHistogram for the exact percentiles
 * of `/stats`, and fixed buckets for `/metrics`, where a histogram must add up across workers.
 */
export class TimingHistogram {
  private readonly hdr = new LatencyHistogram()
  private readonly fixed: BucketHistogram

  constructor(boundsUs?: readonly number[]) {
    this.fixed = new BucketHistogram(boundsUs)
  }

  /** Records one time, µs. */
  record(us: number): void {
    this.hdr.record(us)
    this.fixed.record(us)
  }

  /** Percentiles, µs. */
  summary(): LatencySummary {
    return this.hdr.summary()
  }

  /** Cumulative bucket counts. */
  buckets(): BucketSnapshot {
    return this.fixed.snapshot()
  }
}
