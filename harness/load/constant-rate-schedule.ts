/**
 * The send times of an open loop: request `i` is due at `startNs + i / rate`. Pure arithmetic on
 * one monotonic ns clock, so the pacer and the tests agree on every due time.
 */
export class ConstantRateSchedule {
  private readonly periodNs: number

  /**
   * @param startNs when request 0 is due.
   * @param rate requests per second.
   * @param endNs requests due at or after this are not part of the schedule.
   */
  constructor(
    readonly startNs: bigint,
    readonly rate: number,
    readonly endNs: bigint,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be positive, got ${rate}`)
    this.periodNs = 1e9 / rate
  }

  /** Intended send time of request `i`. */
  dueAt(i: number): bigint {
    return this.startNs + BigInt(Math.round(i * this.periodNs))
  }

  /** Requests in the schedule: those due before `endNs`. */
  get length(): number {
    const span = Number(this.endNs - this.startNs)
    return span <= 0 ? 0 : Math.ceil(span / this.periodNs - 1e-9)
  }

  /** How many requests are due by `nowNs` (indices below this are due), capped at `length`. */
  dueBy(nowNs: bigint): number {
    if (nowNs < this.startNs) return 0
    return Math.min(Math.floor(Number(nowNs - this.startNs) / this.periodNs) + 1, this.length)
  }
}
