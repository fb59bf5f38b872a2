/** What the warnings of a run are judged from. */
export interface WarningInputs {
  /** Generator CPU time / wall time (1 = one core). */
  readonly cpuUtilisation: number
  readonly requestedRate?: number
  readonly achievedRate: number
  /** Open loop: requests due by the end that never left because every connection was busy. */
  readonly unsent?: number
  /** Open loop: requests that waited for a free connection. */
  readonly queued?: number
  readonly sent: number
  /** Open loop: due time → send, µs, and the measured latency it compares with. */
  readonly sendLagUs?: { readonly p50: number; readonly p99: number }
  readonly latencyP50Us?: number
}

/** Above this share of a core the generator may be what limits the run. */
export const CPU_WARNING_UTILISATION = 0.9
/** Below this share of the requested rate the run did not do what was asked. */
export const RATE_WARNING_SHARE = 0.95

/**
 * A median send lag above this, µs, and above {@link SEND_LAG_WARNING_SHARE} of the median latency,
 * is charged visibly to the system under test by the corrected figures: below it the lag sits in
 * the noise of a loopback round trip, and against a slow system it is a small share of what is measured.
 */
export const SEND_LAG_WARNING_US = 100
export const SEND_LAG_WARNING_SHARE = 0.05

/** The warnings a run deserves, in a stable order. Pure. */
export function loadWarnings(i: WarningInputs): string[] {
  const out: string[] = []
  if (i.cpuUtilisation > CPU_WARNING_UTILISATION) {
    out.push(`generator CPU at ${Math.round(i.cpuUtilisation * 100)}% of a core: it may be the bottleneck`)
  }
  if (i.requestedRate !== undefined && i.achievedRate < RATE_WARNING_SHARE * i.requestedRate) {
    out.push(`achieved ${Math.round(i.achievedRate)} req/s of ${i.requestedRate} requested`)
  }
  if (i.unsent !== undefined && i.unsent > 0) {
    out.push(`${i.unsent} scheduled requests were never sent: every connection was busy (raise connections)`)
  }
  if (i.queued !== undefined && i.sent > 0 && i.queued / i.sent > 0.01) {
    out.push(`${i.queued} of ${i.sent} requests waited for a free connection: corrected latency includes that queueing`)
  }
  const lag = i.sendLagUs
  if (lag !== undefined && lag.p50 > SEND_LAG_WARNING_US && lag.p50 > SEND_LAG_WARNING_SHARE * (i.latencyP50Us ?? 0)) {
    out.push(`requests left a median ${Math.round(lag.p50)} µs (p99 ${Math.round(lag.p99)} µs) after their due time: corrected latency charges that to the system under test`)
  }
  return out
}
