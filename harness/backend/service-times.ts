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

/** The run-level figure: several backends' snapshots as one (histograms merged exactly); undefined when none held a request. */
export function mergeServiceTimes(snapshots: readonly ServiceTimeSnapshot[]): Omit<ServiceTimeSnapshot, 'histogram'> | undefined {
  const held = snapshots.filter((s) => s.holds > 0)
  if (held.length === 0) return undefined
  const merged = new LatencyHistogram()
  for (const s of held) merged.add(LatencyHistogram.decode(s.histogram))
  const holds = held.reduce((n, s) => n + s.holds, 0)
  const weighted = (f: (s: ServiceTimeSnapshot) => number) => held.reduce((sum, s) => sum + f(s) * s.holds, 0) / holds
  const h = merged.summary()
  return {
    holds,
    requestedMeanUs: weighted((s) => s.requestedMeanUs),
    actualMeanUs: weighted((s) => s.actualMeanUs),
    overshootUs: { min: Math.min(...held.map((s) => s.overshootUs.min)), mean: weighted((s) => s.overshootUs.mean), p50: h.p50, p99: h.p99, max: h.max },
  }
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

/** A median overshoot above this, µs, is worth saying: the backends waited visibly longer than asked. */
export const OVERSHOOT_WARNING_US = 100

/** What a run's merged service times deserve to be warned about. Pure. */
export function serviceWarnings(service: Omit<ServiceTimeSnapshot, 'histogram'> | undefined): string[] {
  if (service === undefined) return []
  const o = service.overshootUs
  const out: string[] = []
  if (o.min < 0) out.push(`a backend answered ${Math.round(-o.min)} µs before its injected latency was over`)
  if (o.p50 > OVERSHOOT_WARNING_US) out.push(`backends waited a median ${Math.round(o.p50)} µs (p99 ${Math.round(o.p99)} µs) longer than their injected latency: the latency measured includes that`)
  return out
}
