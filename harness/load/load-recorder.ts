import { LatencyHistogram, type LatencySummary } from '../../engine/stats/latency-histogram.js'
import type { ClientAbortPoint, FailureKind, GeneratorCpu, IntervalSample, LoadGenerator, LoadProtocol, LoadSummary } from './load-types.js'

/** How one measured request ended. */
export interface Completion {
  readonly ok: boolean
  /** Set when not ok. */
  readonly kind?: FailureKind
  /** HTTP status, or `ERR` of the line protocol, when a reply arrived. */
  readonly status?: string
  readonly backend?: string
  /** From the actual send, when a reply arrived. */
  readonly latencyUs?: number
  /** From the intended send (open loop), when a reply arrived. */
  readonly correctedUs?: number
  /**
   * When no intended send times exist (a paced closed loop): the expected interval between sends
   * on one connection, for HdrHistogram's coordinated-omission correction of `latencyUs`.
   */
  readonly expectedIntervalUs?: number
}

/** Told of each interval as it closes, with its latency histogram (for merging across agents). */
export type IntervalListener = NonNullable<Parameters<LoadGenerator['run']>[2]>

/** What the summary needs beyond the recorded requests. */
export interface SummaryContext {
  readonly generator: string
  readonly protocol: LoadProtocol
  readonly mode: 'closed' | 'open'
  readonly requestedRate?: number
  readonly elapsedMs: number
  readonly generatorCpu: GeneratorCpu
  readonly warnings: string[]
}

class IntervalAccumulator {
  sent = 0
  ok = 0
  failed = 0
  latency: LatencyHistogram | undefined
  readonly byBackend: Record<string, number> = {}
  readonly byStatus: Record<string, number> = {}
  constructor(readonly index: number) {}

  sample(intervalMs: number): IntervalSample {
    return {
      startMs: this.index * intervalMs,
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      latencyUs: this.latency?.summary() ?? new LatencyHistogram().summary(),
      byBackend: this.byBackend,
      byStatus: this.byStatus,
    }
  }
}

/** Adds one to count `k` of `m` (counts by kind, status or backend, as the results keep them). */
export const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1
}

/**
 * Counts and distributions of the measured requests of one run, and its time series. Pure: the
 * caller passes every timestamp (ns on one monotonic clock) and decides which requests are measured.
 * Every recorded send must be matched by exactly one recorded completion or client abort.
 */
export class LoadRecorder {
  sent = 0
  ok = 0
  failed = 0
  /** Requests the clients abandoned on purpose: sent, neither ok nor failed. */
  clientAborted = 0
  private readonly abortsByPoint: Record<string, number> = {}
  private readonly byKind: Record<string, number> = {}
  private readonly failedByStatus: Record<string, number> = {}
  private readonly byBackend: Record<string, number> = {}
  private readonly byStatus: Record<string, number> = {}
  private readonly latency = new LatencyHistogram()
  private corrected: LatencyHistogram | undefined
  private handshake: LatencyHistogram | undefined
  private sendLag: LatencyHistogram | undefined
  private current = new IntervalAccumulator(0)
  private readonly series: IntervalSample[] = []
  private readonly intervalNs: number

  /**
   * @param originNs start of the measurement (end of the warm-up); interval 0 starts here.
   * @param onSample called as each interval closes.
   */
  constructor(
    private readonly originNs: bigint,
    private readonly intervalMs: number,
    private readonly onSample?: IntervalListener,
  ) {
    this.intervalNs = intervalMs * 1e6
  }

  recordSent(atNs: bigint): void {
    this.sent++
    this.at(atNs).sent++
  }

  recordCompletion(atNs: bigint, c: Completion): void {
    const interval = this.at(atNs)
    if (c.ok) {
      this.ok++
      interval.ok++
    } else {
      this.failed++
      interval.failed++
      bump(this.byKind, c.kind ?? 'protocol')
      if (c.status !== undefined) bump(this.failedByStatus, c.status)
    }
    if (c.ok && c.backend !== undefined) {
      bump(this.byBackend, c.backend)
      bump(interval.byBackend, c.backend)
    }
    if (c.status !== undefined) {
      bump(interval.byStatus, c.status)
      bump(this.byStatus, c.status)
    }
    if (c.latencyUs !== undefined) {
      this.latency.record(c.latencyUs)
      ;(interval.latency ??= new LatencyHistogram()).record(c.latencyUs)
      if (c.expectedIntervalUs !== undefined) (this.corrected ??= new LatencyHistogram()).recordCorrected(c.latencyUs, c.expectedIntervalUs)
    }
    if (c.correctedUs !== undefined) (this.corrected ??= new LatencyHistogram()).record(c.correctedUs)
  }

  /** A measured request its client abandoned on purpose at `point` (a client-abort fault). */
  recordClientAbort(atNs: bigint, point: ClientAbortPoint): void {
    this.advance(atNs)
    this.clientAborted++
    bump(this.abortsByPoint, point)
  }

  /** Open loop: how long after its due time a measured request was sent, µs. */
  recordSendLag(us: number): void {
    ;(this.sendLag ??= new LatencyHistogram()).record(us)
  }

  /** A connection opened: TCP connect plus any TLS handshake. */
  recordHandshake(us: number): void {
    ;(this.handshake ??= new LatencyHistogram()).record(us)
  }

  /** Closes the intervals that ended by `nowNs` (call periodically so samples flow while idle). */
  advance(nowNs: bigint): void {
    this.at(nowNs)
  }

  /** Requests sent and not yet completed. */
  get inFlight(): number {
    return this.sent - this.ok - this.failed - this.clientAborted
  }

  /** Closes the last interval and builds the summary. */
  summary(ctx: SummaryContext): LoadSummary {
    const last = this.current
    if (last.sent + last.ok + last.failed > 0 || this.series.length === 0) this.close(last)
    this.current = new IntervalAccumulator(last.index + 1)
    const seconds = ctx.elapsedMs / 1000
    const summarise = (h: LatencyHistogram | undefined): LatencySummary | undefined => h?.summary()
    return {
      generator: ctx.generator,
      protocol: ctx.protocol,
      mode: ctx.mode,
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      failures: { byKind: { ...this.byKind }, byStatus: { ...this.failedByStatus } },
      ...(this.clientAborted === 0 ? {} : { clientAborts: { total: this.clientAborted, byPoint: { ...this.abortsByPoint } } }),
      byBackend: { ...this.byBackend },
      ...(ctx.protocol === 'grpc' ? { grpcStatus: { ...this.byStatus } } : {}),
      latencyUs: this.latency.summary(),
      ...(this.corrected === undefined ? {} : { correctedLatencyUs: summarise(this.corrected)! }),
      ...(this.handshake === undefined ? {} : { handshakeUs: summarise(this.handshake)! }),
      ...(this.sendLag === undefined ? {} : { sendLagUs: summarise(this.sendLag)! }),
      histograms: {
        latency: this.latency.encode(),
        ...(this.corrected === undefined ? {} : { corrected: this.corrected.encode() }),
        ...(this.handshake === undefined ? {} : { handshake: this.handshake.encode() }),
      },
      ...(ctx.requestedRate === undefined ? {} : { requestedRate: ctx.requestedRate }),
      achievedRate: seconds > 0 ? this.sent / seconds : 0,
      elapsedMs: ctx.elapsedMs,
      timeseries: [...this.series],
      generatorCpu: ctx.generatorCpu,
      warnings: ctx.warnings,
    }
  }

  /** The accumulator of the interval holding `atNs`, closing (and emitting) earlier ones. */
  private at(atNs: bigint): IntervalAccumulator {
    const index = atNs <= this.originNs ? 0 : Math.floor(Number(atNs - this.originNs) / this.intervalNs)
    while (this.current.index < index) {
      this.close(this.current)
      this.current = new IntervalAccumulator(this.current.index + 1)
    }
    return this.current
  }

  private close(acc: IntervalAccumulator): void {
    const s = acc.sample(this.intervalMs)
    this.series.push(s)
    this.onSample?.(s, acc.latency)
  }
}
