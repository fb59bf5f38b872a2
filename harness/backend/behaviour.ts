/**
 * The backend's behaviour as pure functions: merging a runtime change into the current behaviour,
 * and deciding, from the random source, how one request is answered.
 */
import type { Behaviour, BehaviourPatch } from './backend-config.js'
import { grpcCodeOfHttpStatus } from './grpc-status.js'
import { drawLatencyMs } from './latency-distribution.js'

/** What happens to one request once its latency has passed. */
export type Outcome = 'answer' | 'error' | 'reset'

/** The fate of one request: how long to wait, then what to do. */
export interface Decision {
  readonly delayMs: number
  readonly outcome: Outcome
}

const ANSWER_NOW: Decision = Object.freeze({ delayMs: 0, outcome: 'answer' })

/**
 * Draws the fate of one request. Draws happen only for the features that are on, in a fixed order
 * (latency, then reset, then error), so a seeded source replays the same sequence. Reset wins over
 * error when both are drawn.
 */
export function decide(behaviour: Behaviour, random: () => number): Decision {
  const { latency, resetRate, errorRate } = behaviour
  if (latency === undefined && !resetRate && !errorRate) return ANSWER_NOW
  const delayMs = latency === undefined ? 0 : drawLatencyMs(latency, random)
  let outcome: Outcome = 'answer'
  if (resetRate && random() < resetRate) outcome = 'reset'
  else if (errorRate && random() < errorRate) outcome = 'error'
  return { delayMs, outcome }
}

/** `current` with `patch` applied: absent fields are kept, `null` removes a field. */
export function mergeBehaviour(current: Behaviour, patch: BehaviourPatch): Behaviour {
  const next: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key]
    else if (value !== undefined) next[key] = value
  }
  return next as Behaviour
}

/** `/health` answers 200 unless the behaviour says otherwise. */
export function isHealthy(behaviour: Behaviour): boolean {
  return behaviour.healthy ?? true
}

/** The status of an error answer. */
export function errorStatusOf(behaviour: Behaviour): number {
  return behaviour.errorStatus ?? 500
}

/**
 * The gRPC status of an error answer: `grpcStatus` when set, else `errorStatus` mapped as gRPC maps
 * an HTTP status (400 → INTERNAL, 401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED, 404 →
 * UNIMPLEMENTED, 429/502/503/504 → UNAVAILABLE, any other → UNKNOWN).
 */
export function grpcStatusOf(behaviour: Behaviour): number {
  return behaviour.grpcStatus ?? grpcCodeOfHttpStatus(errorStatusOf(behaviour))
}

/** The share of the configured age by which a connection's age is jittered either way (gRFC A9). */
export const CONNECTION_AGE_JITTER = 0.1

/** One connection's maximum age: `max` ±10% (in the unit of `max`), drawn from `random`. */
export function jitteredAge(max: number, random: () => number): number {
  return max * (1 - CONNECTION_AGE_JITTER + 2 * CONNECTION_AGE_JITTER * random())
}
