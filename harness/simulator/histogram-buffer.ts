import * as hdr from 'hdr-histogram-js'
import { LatencyHistogram } from '../../engine/stats/latency-histogram.js'

/** The HdrHistogram every latency is kept in: 1 µs to 1 hour, 3 significant digits (as `LatencyHistogram`). */
const HIGHEST_US = 3_600_000_000

/** A fresh HdrHistogram of LatencyHistogram's shape, and the wrapper over it. */
export function latencyHdr(): { hdr: hdr.Histogram; histogram: LatencyHistogram } {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32, autoResize: false })
  return { hdr: h, histogram: new LatencyHistogram(h) }
}

/**
 * A front buffer for HdrHistograms: counts per HdrHistogram bucket, computed with integer bit
 * arithmetic (the JavaScript HdrHistogram computes each index with `log2` and `pow`, which at
 * millions of records a second is most of the simulator's time). `flush` adds the counts to real
 * HdrHistograms with one record per non-empty bucket, so percentiles, mean and encoding are
 * HdrHistogram's own; the exact minimum and maximum are carried over as recorded.
 */
export class HistogramBuffer {
  private readonly counts: Float64Array
  /** log2 of half the sub-bucket count (10 for 3 significant digits). */
  private readonly half: number
  private readonly halfCount: number
  private lo = Infinity
  private hi = -1
  private min = Infinity
  private max = -1
  private count = 0

  constructor(shape: hdr.Histogram = latencyHdr().hdr) {
    const h = shape as unknown as { subBucketHalfCountMagnitude: number; unitMagnitude: number; countsArrayLength: number }
    if (h.unitMagnitude !== 0) throw new Error('HistogramBuffer supports a lowest discernible value of 1')
    this.half = h.subBucketHalfCountMagnitude
    this.halfCount = 2 ** this.half
    this.counts = new Float64Array(h.countsArrayLength)
  }

  /** Records one latency, µs, rounded and clamped as LatencyHistogram does. */
  record(us: number): void {
    let v = Math.round(us)
    if (v < 0) v = 0
    else if (v > HIGHEST_US) v = HIGHEST_US
    const i = this.indexOf(v)
    this.counts[i]! += 1
    if (i < this.lo) this.lo = i
    if (i > this.hi) this.hi = i
    if (v > this.max) this.max = v
    if (v !== 0 && v < this.min) this.min = v
    this.count++
  }

  get size(): number {
    return this.count
  }

  /** Adds what this buffer holds to `other` (this one keeps it). */
  copyInto(other: HistogramBuffer): void {
    if (this.count === 0) return
    for (let i = this.lo; i <= this.hi; i++) other.counts[i]! += this.counts[i]!
    other.lo = Math.min(other.lo, this.lo)
    other.hi = Math.max(other.hi, this.hi)
    other.min = Math.min(other.min, this.min)
    other.max = Math.max(other.max, this.max)
    other.count += this.count
  }

  /** Adds what was recorded to every target, then empties the buffer. */
  flush(targets: readonly hdr.Histogram[]): void {
    if (this.count === 0) return
    const minIndex = this.min === Infinity ? -1 : this.indexOf(this.min)
    const maxIndex = this.indexOf(this.max)
    const add = (value: number, n: number) => {
      if (n > 0) for (const t of targets) t.recordValueWithCount(value, n)
    }
    for (let i = this.lo; i <= this.hi; i++) {
      let n = this.counts[i]!
      if (n === 0) continue
      this.counts[i] = 0
      // The extremes go in as recorded, so min and max stay exact.
      if (i === maxIndex) {
        add(this.max, 1)
        n--
      }
      if (i === minIndex && n > 0) {
        add(this.min, 1)
        n--
      }
      add(this.valueOf(i), n)
    }
    this.lo = Infinity
    this.hi = -1
    this.min = Infinity
    this.max = -1
    this.count = 0
  }

  /** HdrHistogram's countsArrayIndex for a whole value ≥ 0. */
  private indexOf(v: number): number {
    if (v < this.halfCount * 2) return v
    if (v < 0x80000000) {
      const b = 31 - Math.clz32(v) - this.half
      return (b + 1) * this.halfCount + (v >>> b) - this.halfCount
    }
    const b = Math.floor(Math.log2(v)) - this.half
    return (b + 1) * this.halfCount + Math.floor(v / 2 ** b) - this.halfCount
  }

  /** The lowest value of bucket `i` (HdrHistogram's valueFromIndex). */
  private valueOf(i: number): number {
    let bucket = Math.floor(i / this.halfCount) - 1
    let sub = (i % this.halfCount) + this.halfCount
    if (bucket < 0) {
      sub -= this.halfCount
      bucket = 0
    }
    return sub * 2 ** bucket
  }
}
