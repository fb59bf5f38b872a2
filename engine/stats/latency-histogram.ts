import * as hdr from 'hdr-histogram-js'

/** Latency percentiles in microseconds. */
export interface LatencySummary {
  readonly count: number
  readonly min: number
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

/** An empty summary: no samples. */
export const EMPTY_SUMMARY: LatencySummary = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }

/**
 * An HdrHistogram of microsecond latencies (1 µs to 1 hour, 3 significant digits), in constant
 * memory whatever the number of samples. Values are rounded to whole microseconds.
 */
export class LatencyHistogram {
  private readonly h: hdr.Histogram

  constructor(source?: hdr.Histogram) {
    this.h = source ?? hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 32, autoResize: false })
  }

  /** Records one latency, µs. Values above an hour are clamped (and still counted). */
  record(us: number): void {
    this.h.recordValue(Math.min(Math.max(Math.round(us), 0), 3_600_000_000))
  }

  /**
   * Records a latency measured from an intended start time, adding the samples a stalled
   * constant-rate sender would have produced (HdrHistogram's coordinated-omission correction).
   */
  recordCorrected(us: number, expectedIntervalUs: number): void {
    this.h.recordValueWithExpectedInterval(Math.min(Math.max(Math.round(us), 0), 3_600_000_000), Math.max(1, Math.round(expectedIntervalUs)))
  }

  get count(): number {
    return this.h.totalCount
  }

  /** Value at a percentile (0–100), µs. */
  percentile(p: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(p)
  }

  summary(): LatencySummary {
    const h = this.h
    if (h.totalCount === 0) return EMPTY_SUMMARY
    return {
      count: h.totalCount,
      min: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue,
      mean: h.mean,
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
    }
  }

  /** Adds another histogram's samples into this one. */
  add(other: LatencyHistogram): void {
    this.h.add(other.h)
  }

  reset(): void {
    this.h.reset()
  }

  /** Compressed base64 encoding (HdrHistogram's standard), for saving with results. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h)
  }

  /** Decodes `encode()` output. */
  static decode(encoded: string): LatencyHistogram {
    return new LatencyHistogram(hdr.decodeFromCompressedBase64(encoded, 32, false))
  }
}
