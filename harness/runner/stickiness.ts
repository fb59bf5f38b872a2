/** Session stickiness of a run, as results carry it. */
export interface Stickiness {
  readonly sessions: number
  readonly requests: number
  readonly violations: number
  readonly violationRate: number
  readonly imbalance: number
}

/**
 * Did each client keep its backend? A violation is a client's answer from another backend than
 * its previous answer. Fed one answer at a time by a live run (backends by id) and by the
 * simulator (backends by station index); constant memory per client.
 */
export class StickinessTracker<B> {
  private readonly last = new Map<number, B>()
  private requests = 0
  private violations = 0

  /** Client `client` got an answer from `backend`. */
  answer(client: number, backend: B): void {
    const previous = this.last.get(client)
    if (previous !== undefined) {
      this.requests++
      if (previous !== backend) this.violations++
    }
    this.last.set(client, backend)
  }

  /**
   * The run's stickiness over `backends` (ids; `idOf` names a tracked backend). Imbalance: the
   * busiest backend's share of clients, by their last answer, over the mean.
   */
  result(backends: readonly string[], idOf: (b: B) => string): Stickiness {
    const perBackend = new Map<string, number>(backends.map((b) => [b, 0]))
    for (const b of this.last.values()) {
      const id = idOf(b)
      perBackend.set(id, (perBackend.get(id) ?? 0) + 1)
    }
    const counts = [...perBackend.values()]
    const mean = counts.length === 0 ? 0 : counts.reduce((a, b) => a + b, 0) / counts.length
    return {
      sessions: this.last.size,
      requests: this.requests,
      violations: this.violations,
      violationRate: this.requests === 0 ? 0 : this.violations / this.requests,
      imbalance: mean === 0 ? 0 : Math.max(...counts) / mean,
    }
  }
}
