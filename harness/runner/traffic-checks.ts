import type { ResponseInfo } from '../load/load-types.js'

/**
 * Per-response bookkeeping for the checks only the generator's replies can answer: did each
 * request land in the group it should (routing), and did each client keep its backend (stickiness).
 * Fed from the load generator's `onResponse`; constant memory per client and per backend.
 */
export class TrafficChecks {
  private readonly lastBackend = new Map<number, string>()
  private stickyRequests = 0
  private violations = 0
  private checked = 0
  private misrouted = 0

  constructor(
    private readonly groupOf: (backend: string) => string | undefined,
    private readonly expectedGroups: ((index: number) => readonly string[] | undefined) | undefined,
  ) {}

  readonly onResponse = (r: ResponseInfo): void => {
    if (!r.ok || r.backend === undefined) return
    const expected = this.expectedGroups?.(r.index)
    if (expected !== undefined) {
      this.checked++
      const group = this.groupOf(r.backend)
      if (group === undefined || !expected.includes(group)) this.misrouted++
    }
    const previous = this.lastBackend.get(r.client)
    if (previous !== undefined) {
      this.stickyRequests++
      if (previous !== r.backend) this.violations++
    }
    this.lastBackend.set(r.client, r.backend)
  }

  /** Requests checked against the expected group, and how many landed elsewhere. */
  routing(): { checked: number; misrouted: number } {
    return { checked: this.checked, misrouted: this.misrouted }
  }

  /**
   * Stickiness: a violation is a client's request answered by a different backend than its
   * previous one. Imbalance: the busiest backend's share of clients over the mean.
   */
  sticky(backends: readonly string[]): Stickiness {
    return stickinessOf([...this.lastBackend.values()], backends, this.stickyRequests, this.violations)
  }
}

/** Session stickiness of a run, as results carry it. */
export interface Stickiness {
  readonly sessions: number
  readonly requests: number
  readonly violations: number
  readonly violationRate: number
  readonly imbalance: number
}

/**
 * Stickiness from each client's last backend (`lastBackends`, one per client that got an answer),
 * the answers that had a previous one (`requests`) and those from another backend than the
 * previous (`violations`). Imbalance: the busiest of `backends`' share of clients over the mean.
 */
export function stickinessOf(lastBackends: readonly string[], backends: readonly string[], requests: number, violations: number): Stickiness {
  const perBackend = new Map<string, number>(backends.map((b) => [b, 0]))
  for (const b of lastBackends) perBackend.set(b, (perBackend.get(b) ?? 0) + 1)
  const counts = [...perBackend.values()]
  const mean = counts.length === 0 ? 0 : counts.reduce((a, b) => a + b, 0) / counts.length
  return {
    sessions: lastBackends.length,
    requests,
    violations,
    violationRate: requests === 0 ? 0 : violations / requests,
    imbalance: mean === 0 ? 0 : Math.max(...counts) / mean,
  }
}
