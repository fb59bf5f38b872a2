import type { ResponseInfo } from '../load/load-types.js'
import { StickinessTracker, type Stickiness } from './stickiness.js'

/**
 * Per-response bookkeeping for the checks only the generator's replies can answer: did each
 * request land in the group it should (routing), and did each client keep its backend (stickiness).
 * Fed from the load generator's `onResponse`; constant memory per client and per backend.
 */
export class TrafficChecks {
  private readonly stickiness = new StickinessTracker<string>()
  private checked = 0
  private misrouted = 0

  constructor(
    private readonly groupOf: (backend: string) => string | undefined,
    private readonly expectedGroups: ((index: number) => readonly string[] | undefined) | undefined,
  ) {}

  readonly onResponse = (r: ResponseInfo): void => {
    if (!r.ok || r.backend === undefined) return
    this.addAnswers(this.expectedGroups?.(r.index), r.backend, 1)
    this.stickiness.answer(r.client, r.backend)
  }

  /** Replies counted elsewhere (load agents): `n` replies from `backend` to requests that must reach `expected`. */
  addAnswers(expected: readonly string[] | undefined, backend: string, n: number): void {
    if (expected === undefined) return
    this.checked += n
    const group = this.groupOf(backend)
    if (group === undefined || !expected.includes(group)) this.misrouted += n
  }

  /** Requests checked against the expected group, and how many landed elsewhere. */
  routing(): { checked: number; misrouted: number } {
    return { checked: this.checked, misrouted: this.misrouted }
  }

  /** Stickiness over `backends` (see `StickinessTracker`). */
  sticky(backends: readonly string[]): Stickiness {
    return this.stickiness.result(backends, (id) => id)
  }
}
