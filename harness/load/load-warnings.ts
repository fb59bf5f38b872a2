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
}

/** Above this share of a core the generator may be what limits the run. */
export const CPU_WARNING_UTILISATION = 0.9
/** Below this share of the requested rate the run did not do what was asked. */
export const RATE_WARNING_SHARE = 0.95

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
  return out
}
