/** One key's bucket: tokens left and when they were counted (ms). */
export interface BucketState {
  tokens: number
  atMs: number
}

/** A bucket's size and refill. */
export interface BucketShape {
  /** Tokens added per second. */
  readonly ratePerS: number
  /** Capacity: the burst admitted from idle. */
  readonly burst: number
}

/** What taking one token said. */
export interface TakeResult {
  readonly allowed: boolean
  /** Whole tokens left after this request. */
  readonly remaining: number
  /** Until one token is available again (0 when one is), ms. */
  readonly retryAfterMs: number
  /** Until the bucket is full again, ms. */
  readonly resetMs: number
}

/** A full bucket at `nowMs`. */
export function fullBucket(shape: BucketShape, nowMs: number): BucketState {
  return { tokens: shape.burst, atMs: nowMs }
}

/**
 * Takes one token from `state` at `nowMs` (refilled continuously at `ratePerS`, capped at `burst`),
 * updating it in place. Pure arithmetic on the state and the time given: no clock of its own.
 */
export function takeToken(state: BucketState, shape: BucketShape, nowMs: number): TakeResult {
  const elapsed = Math.max(0, nowMs - state.atMs)
  const perMs = shape.ratePerS / 1000
  state.tokens = Math.min(shape.burst, state.tokens + elapsed * perMs)
  state.atMs = Math.max(state.atMs, nowMs)
  const allowed = state.tokens >= 1
  if (allowed) state.tokens -= 1
  return {
    allowed,
    remaining: Math.floor(state.tokens),
    retryAfterMs: state.tokens >= 1 ? 0 : Math.ceil((1 - state.tokens) / perMs),
    resetMs: Math.ceil((shape.burst - state.tokens) / perMs),
  }
}
