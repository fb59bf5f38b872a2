/** Thresholds of the rise/fall state machine. */
export interface HealthThresholds {
  /** Consecutive successes that bring an unhealthy backend back. */
  readonly rise: number
  /** Consecutive failures that take a healthy backend out. */
  readonly fall: number
}

/** Health of one backend: its state and how many consecutive results have gone against it. */
export interface HealthState {
  readonly healthy: boolean
  readonly streak: number
}

/** What one check result did. */
export interface HealthStep {
  readonly state: HealthState
  /** 'up' or 'down' when this result flipped the state. */
  readonly changed?: 'up' | 'down'
}

/** A backend's health before any check has run. */
export function initialHealth(healthy: boolean): HealthState {
  return { healthy, streak: 0 }
}

/**
 * Applies one check result. A healthy backend goes down after `fall` consecutive failures, an
 * unhealthy one comes up after `rise` consecutive successes; a result that agrees with the current
 * state resets the streak (Envoy's and Pingora's consecutive semantics).
 */
export function observeHealth(state: HealthState, ok: boolean, t: HealthThresholds): HealthStep {
  if (ok === state.healthy) return { state: state.streak === 0 ? state : { healthy: state.healthy, streak: 0 } }
  const streak = state.streak + 1
  const threshold = state.healthy ? t.fall : t.rise
  if (streak >= threshold) return { state: { healthy: ok, streak: 0 }, changed: ok ? 'up' : 'down' }
  return { state: { healthy: state.healthy, streak } }
}
