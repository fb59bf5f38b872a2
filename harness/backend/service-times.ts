/**
 * The backend's own account of its injected latency: for every request it held, the wait the
 * behaviour asked for against the wait it actually made, from the request's arrival to its answer.
 */
import { LatencyHistogram } from '../../engine/stats/latency-histogram.js'

/** Actual minus requested wait, µs. */
export interface OvershootSummary {
  /** Exact: negative would mean an answer left before its time. */
  readonly min: number
  readonly mean: number
  /** From a µs histogram. */
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** What `GET /state` reports under `service`. */
export interface ServiceTimeSnapshot {
  /** Requests held for a latency (a draw of 0 is answered at once and not counted). */
  readonly holds: number
  readonly requestedMeanUs: number
  readonly actualMeanUs: number
  readonly overshootUs: OvershootSummary
  /** `LatencyHistogram.encode()` of the overshoot (negative values count as 0), so backends merge exactly. */
  readonly histogram: string
}

/** Accumulates held waits. Pure: the caller measures. */
export class ServiceTimes {
  private holds = 0
  private requestedSumUs = 0
  private actualSumUs = 0
  private minOvershootUs = Number.POSITIVE_INFINITY
  private readonly overshoot = new LatencyHistogram()

  /** One held request: the wait asked for and the one made, µs. */
  record(requestedUs: number, actualUs: number): void {
    this.holds++
    this.requestedSumUs += requestedUs
    this.actualSumUs += actualUs
    const over = actualUs - requestedUs
    if (over < this.minOvershootUs) this.minOvershootUs = over
    this.overshoot.record(over)
  }

  snapshot(): ServiceTimeSnapshot {
    const n = this.holds
    const h = this.overshoot.summary()
    return {
      holds: n,
      requestedMeanUs: n === 0 ? 0 : this.requestedSumUs / n,
      actualMeanUs: n === 0 ? 0 : this.actualSumUs / n,
      overshootUs: { min: n === 0 ? 0 : this.minOvershootUs, mean: n === 0 ? 0 : (this.actualSumUs - this.requestedSumUs) / n, p50: h.p50, p99: h.p99, max: h.max },
      histogram: this.overshoot.encode(),
    }
  }
}
