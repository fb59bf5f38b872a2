import type * as hdr from 'hdr-histogram-js'
import { LatencyHistogram } from '../../engine/stats/latency-histogram.js'
import type { IntervalResult } from '../../reports/result/result-model.js'
import type { BackendStations } from './backend-stations.js'
import { ABSENT } from './backend-stations.js'
import { bump } from '../load/load-recorder.js'
import { HistogramBuffer, latencyHdr } from './histogram-buffer.js'

/** Mean and maximum of one station quantity over the backends, for one interval. */
export interface MeanMax {
  readonly mean: number
  readonly max: number
}

/** What the stations did during one interval. */
export interface StationInterval {
  readonly tMs: number
  readonly queue: MeanMax
  readonly inService: MeanMax
  /** Null when no backend has a server limit. */
  readonly utilisation: MeanMax | null
  /** Per backend (when there are few enough): time-average waiting and busy share of servers. */
  readonly byBackend?: Record<string, { queue: number; utilisation: number | null }>
}

/** What the recorder needs to know of the run. */
export interface RecorderOptions {
  /** Start of the measured phase (end of the warm-up), µs. */
  readonly originUs: number
  readonly intervalUs: number
  readonly stations: BackendStations
  readonly ids: readonly string[]
  /** Per-backend series are kept up to this many backends. */
  readonly perBackendLimit: number
  /** Whether successful answers carry an HTTP status (layer 7). */
  readonly statuses: boolean
  /** Open loop: every latency comes with its coordinated-omission-corrected one. */
  readonly corrected: boolean
}

/**
 * The measurements of a simulated run, streaming: latency in HdrHistograms, counts in typed
 * arrays indexed by backend, one interval open at a time. The same semantics as the live load
 * recorder — sends count where they were sent, completions where they completed, failures by kind
 * and status, latency from the actual send and (open loop) from the intended send.
 */
export class SimRecorder {
  sent = 0
  ok = 0
  failed = 0
  readonly byKind: Record<string, number> = {}
  readonly failedByStatus: Record<string, number> = {}
  /** Successful answers per backend (the generator's view). */
  readonly byBackend: Float64Array
  /** Latency from the actual send, and (open loop) from the intended send. */
  readonly latency: LatencyHistogram
  corrected: LatencyHistogram | undefined
  /** Connection set-ups of measured requests (TLS handshakes), when simulated. */
  handshake: LatencyHistogram | undefined
  readonly timeseries: IntervalResult[] = []
  readonly stationSeries: StationInterval[] = []
  /**
   * Per backend, over the measured phase up to the end of sending (`closeTotals`): time integrals
   * of requests waiting and in service, and the longest queue. The drain after the last send is
   * left out: its emptying queues would pull every average down.
   */
  readonly totalQueueArea: Float64Array
  readonly totalBusyArea: Float64Array
  readonly maxQueue: Float64Array
  /** End of the span the totals cover, µs (Infinity until `closeTotals`). */
  totalsEndUs = Infinity

  /** End of the open interval, µs: the main loop calls `advance` once time reaches it. */
  nextBoundary: number
  private index = -1
  private iSent = 0
  private iOk = 0
  private iFailed = 0
  private readonly latencyHdr: hdr.Histogram
  private correctedHdr: hdr.Histogram | undefined
  private readonly iLatency: LatencyHistogram
  private readonly iLatencyHdr: hdr.Histogram
  /** This interval's latencies and corrected latencies, not yet in the HdrHistograms. */
  private readonly buffer = new HistogramBuffer()
  private readonly correctedBuffer = new HistogramBuffer()
  /**
   * While every corrected latency equals its measured one (no open-loop request has waited for a
   * connection), the corrected histogram is the measured one: the measured buffer is flushed into
   * both and the second record per request is skipped. The first difference ends it for the run.
   */
  private mirrored: boolean
  private iStatus: Record<string, number> = {}
  private readonly iBackend: Float64Array | undefined
  private readonly perBackend: boolean

  constructor(private readonly o: RecorderOptions) {
    const n = o.ids.length
    this.byBackend = new Float64Array(n)
    this.totalQueueArea = new Float64Array(n)
    this.totalBusyArea = new Float64Array(n)
    this.maxQueue = new Float64Array(n)
    const total = latencyHdr()
    this.latency = total.histogram
    this.latencyHdr = total.hdr
    const interval = latencyHdr()
    this.iLatency = interval.histogram
    this.iLatencyHdr = interval.hdr
    this.perBackend = n <= o.perBackendLimit
    this.iBackend = this.perBackend ? new Float64Array(n) : undefined
    // The first boundary is the end of the warm-up: the stations' areas start there.
    this.nextBoundary = o.originUs
    this.mirrored = o.corrected
  }

  /** A measured request's connection set up (TCP connect and TLS handshake), µs. */
  recordHandshake(us: number): void {
    ;(this.handshake ??= new LatencyHistogram()).record(us)
  }

  recordSent(): void {
    this.sent++
    this.iSent++
  }

  recordOk(b: number, latencyUs: number, correctedUs: number | undefined): void {
    this.ok++
    this.iOk++
    this.byBackend[b]! += 1
    if (this.iBackend !== undefined) this.iBackend[b]! += 1
    this.recordLatency(latencyUs, correctedUs)
  }

  /** A failure; `latencyUs` when a reply arrived (a status), as the live recorder counts it. */
  recordFailure(kind: string, status: string | undefined, latencyUs: number | undefined, correctedUs: number | undefined): void {
    this.failed++
    this.iFailed++
    bump(this.byKind, kind)
    if (status !== undefined) {
      bump(this.failedByStatus, status)
      bump(this.iStatus, status)
    }
    if (latencyUs !== undefined) this.recordLatency(latencyUs, correctedUs)
  }

  private recordLatency(latencyUs: number, correctedUs: number | undefined): void {
    if (this.mirrored) {
      if (correctedUs === latencyUs) return this.buffer.record(latencyUs)
      // The corrected histogram parts from the measured one: it takes this interval's records so far.
      this.mirrored = false
      this.buffer.copyInto(this.correctedBuffer)
    }
    this.buffer.record(latencyUs)
    if (correctedUs !== undefined) this.correctedBuffer.record(correctedUs)
  }

  /** Closes every interval that ended at or before `t`. */
  advance(t: number): void {
    while (t >= this.nextBoundary) {
      const end = this.nextBoundary
      if (this.index >= 0) this.close(end)
      else this.o.stations.resetAreas(end)
      this.index++
      this.nextBoundary = this.o.originUs + (this.index + 1) * this.o.intervalUs
    }
  }

  /**
   * Ends the totals at `t` (the end of sending): closed intervals are in them already, the open
   * one is added up to `t`, and later intervals are left out of them.
   */
  closeTotals(t: number): void {
    if (this.totalsEndUs !== Infinity) return
    this.advance(t)
    this.totalsEndUs = t
    const stations = this.o.stations
    for (let b = 0; b < stations.n; b++) {
      stations.account(b, t)
      this.totalQueueArea[b]! += stations.areaQueueOf(b)
      this.totalBusyArea[b]! += stations.areaBusyOf(b)
      if (stations.maxQueueOf(b) > this.maxQueue[b]!) this.maxQueue[b] = stations.maxQueueOf(b)
    }
  }

  /** Closes the last, partial interval at `t` (if anything happened in it) and the accounting. */
  finish(t: number): void {
    this.advance(t)
    if (this.index < 0) return
    const start = this.o.originUs + this.index * this.o.intervalUs
    if (this.iSent + this.iOk + this.iFailed > 0 || this.timeseries.length === 0) this.close(Math.max(t, start), t - start)
  }

  private close(end: number, spanUs = this.o.intervalUs): void {
    const ids = this.o.ids
    const intervalMs = this.o.intervalUs / 1000
    const byStatus: Record<string, number> = this.o.statuses && this.iOk > 0 ? { '200': this.iOk, ...this.iStatus } : { ...this.iStatus }
    const byBackend: Record<string, number> = {}
    if (this.iBackend !== undefined) {
      for (let b = 0; b < ids.length; b++) {
        if (this.iBackend[b]! > 0) byBackend[ids[b]!] = this.iBackend[b]!
        this.iBackend[b] = 0
      }
    }
    const correctedHdr = (this.mirrored ? this.buffer : this.correctedBuffer).size > 0 ? this.correctedTarget() : undefined
    this.buffer.flush(this.mirrored && correctedHdr !== undefined ? [this.latencyHdr, this.iLatencyHdr, correctedHdr] : [this.latencyHdr, this.iLatencyHdr])
    if (!this.mirrored && correctedHdr !== undefined) this.correctedBuffer.flush([correctedHdr])
    this.timeseries.push({
      tMs: this.index * intervalMs,
      durationMs: intervalMs,
      rps: this.iSent / (intervalMs / 1000),
      sent: this.iSent,
      ok: this.iOk,
      failed: this.iFailed,
      latencyUs: this.iLatency.summary(),
      byBackend,
      byStatus,
    })
    this.stationSeries.push(this.stationInterval(end, spanUs))
    this.iSent = this.iOk = this.iFailed = 0
    this.iLatency.reset()
    this.iStatus = {}
  }

  /** The corrected HdrHistogram, made when the first corrected latency is flushed. */
  private correctedTarget(): hdr.Histogram | undefined {
    if (!this.o.corrected) return undefined
    if (this.correctedHdr === undefined) {
      const c = latencyHdr()
      this.correctedHdr = c.hdr
      this.corrected = c.histogram
    }
    return this.correctedHdr
  }

  /** Time averages of every present backend over the interval ending at `end`, then fresh areas. */
  private stationInterval(end: number, spanUs: number): StationInterval {
    const { stations, ids } = this.o
    const span = Math.max(spanUs, 1e-9)
    let count = 0
    let qSum = 0
    let qMax = 0
    let sSum = 0
    let sMax = 0
    let uSum = 0
    let uMax = 0
    let limited = 0
    const byBackend: Record<string, { queue: number; utilisation: number | null }> | undefined = this.perBackend ? {} : undefined
    for (let b = 0; b < stations.n; b++) {
      stations.account(b, end)
      const qa = stations.areaQueueOf(b)
      const ba = stations.areaBusyOf(b)
      if (end <= this.totalsEndUs) {
        this.totalQueueArea[b]! += qa
        this.totalBusyArea[b]! += ba
        if (stations.maxQueueOf(b) > this.maxQueue[b]!) this.maxQueue[b] = stations.maxQueueOf(b)
      }
      if (stations.stateOf(b) === ABSENT && qa === 0 && ba === 0) continue
      count++
      const q = qa / span
      const s = ba / span
      qSum += q
      sSum += s
      if (q > qMax) qMax = q
      if (s > sMax) sMax = s
      const servers = stations.serversOf(b)
      const u = Number.isFinite(servers) ? s / servers : null
      if (u !== null) {
        limited++
        uSum += u
        if (u > uMax) uMax = u
      }
      if (byBackend !== undefined) byBackend[ids[b]!] = { queue: q, utilisation: u }
    }
    stations.resetAreas(end)
    const mean = (sum: number, k: number) => (k === 0 ? 0 : sum / k)
    return {
      tMs: this.index * (this.o.intervalUs / 1000),
      queue: { mean: mean(qSum, count), max: qMax },
      inService: { mean: mean(sSum, count), max: sMax },
      utilisation: limited === 0 ? null : { mean: mean(uSum, limited), max: uMax },
      ...(byBackend === undefined ? {} : { byBackend }),
    }
  }
}
