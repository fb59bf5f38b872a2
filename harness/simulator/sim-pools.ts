import { configureAlgorithm } from '../../engine/balancing/create-picker.js'
import type { Backend, Deps } from '../../engine/balancing/types.js'
import { createOutlierDetector, type OutlierDetector } from '../../engine/health/outlier-detection.js'
import { createRetryBudget, type RetryBudget } from '../../engine/health/retry-budget.js'
import { createBackendPool, type BackendPool } from '../../engine/pool/backend-pool.js'
import { DeadlineQueue } from './deadline-queue.js'
import { DisruptionTracker } from './hash-disruption.js'
import type { SimModel, SimPool } from './sim-model.js'

/** Something a pool did or noticed, as the engine's event log names it. */
export interface PoolNotice {
  readonly atUs: number
  readonly type: 'backend-up' | 'backend-down' | 'backend-drained' | 'backend-ejected' | 'backend-returned'
  readonly pool: string
  readonly backend: string
  readonly detail?: string
}

/**
 * One pool as the engine runs it, on virtual time: the engine's own backend pool (pickers from the
 * registry, health rise/fall, drain, ejection, slow start, backups), Envoy-style outlier detection
 * and a Finagle retry budget — the same pure parts the data plane's pool runtime is made of.
 */
export interface SimPoolState {
  readonly index: number
  readonly model: SimPool
  readonly pool: BackendPool
  readonly outliers: OutlierDetector | undefined
  readonly budget: RetryBudget
  /** Whether each backend (by station index) is a member now. */
  readonly member: Uint8Array
  /** Response timeouts of attempts (layer 7): one duration, so a FIFO. */
  readonly responseTimeouts: DeadlineQueue
  /** Key movement on membership changes (hash algorithms only). */
  readonly disruption: DisruptionTracker | undefined
  /** Set when the pool rebuilt its picker since the last disruption check. */
  rebuilt: boolean
  // Retry and timeout settings, copied out of the model for the event loop.
  readonly attempts: number
  readonly retryConnectFailure: boolean
  readonly retryGatewayError: boolean
  readonly responseTimeoutUs: number
  /** Cookie stickiness (see `SimPool.sticky`). */
  readonly sticky: boolean
}

/** Highest backend index a member's port can carry (ports run 1–65535). */
export const PORT_INDEX_MAX = 65_534

/**
 * Member spec of backend `index` in a pool. The simulator has no addresses, so the port carries
 * the backend's index (+1): the backend a picker returns is found without a lookup by id. Beyond
 * 65,534 backends the port is 1 and the simulator looks the id up instead.
 */
export function memberSpec(id: string, index: number, weight: number, backup: boolean) {
  return { id, host: '127.0.0.1', port: index <= PORT_INDEX_MAX ? index + 1 : 1, weight, backup }
}

/**
 * Builds every pool of the model over virtual time `deps`; `notify` receives what pools notice,
 * `rebuilt` hears when a pool rebuilds its picker (membership or weights changed).
 */
export function createSimPools(model: SimModel, deps: Deps, notify: (n: PoolNotice) => void, rebuilt: () => void): SimPoolState[] {
  return model.pools.map((p, index) => {
    const hc = p.healthCheck
    // The pool builds its first picker while being created, before `s` exists.
    let s: SimPoolState | undefined
    let builtEarly = false
    const pool = createBackendPool(
      {
        algorithm: p.algorithm,
        algorithmOptions: p.algorithmOptions,
        backends: p.members.map((m) => memberSpec(model.backends[m.index]!.id, m.index, model.backends[m.index]!.weight, m.backup)),
        health: { rise: hc?.rise ?? 2, fall: hc?.fall ?? 3, initial: hc?.initial ?? 'healthy' },
        ...(p.slowStart === undefined ? {} : { slowStart: p.slowStart }),
      },
      deps,
      (e) => {
        if (e.type === 'health') notify({ atUs: e.atUs, type: e.healthy ? 'backend-up' : 'backend-down', pool: p.name, backend: e.id })
        else if (e.type === 'drained') notify({ atUs: e.atUs, type: 'backend-drained', pool: p.name, backend: e.id })
        else if (s === undefined) builtEarly = true
        else {
          s.rebuilt = true
          rebuilt()
        }
      },
    )
    const outliers = p.outlierDetection === undefined ? undefined : createOutlierDetector(p.outlierDetection)
    outliers?.setMembers(p.members.map((m) => model.backends[m.index]!.id))
    const member = new Uint8Array(model.backends.length)
    for (const m of p.members) member[m.index] = 1
    const algorithm = configureAlgorithm(p.algorithm, p.algorithmOptions)
    s = {
      index,
      model: p,
      pool,
      outliers,
      budget: createRetryBudget({ percent: p.retries.budgetPercent, minRetriesPerSecond: p.retries.minRetriesPerSecond, ttlMs: 10_000 }),
      member,
      responseTimeouts: new DeadlineQueue(1024),
      disruption: algorithm.algorithm.needs === 'key' ? new DisruptionTracker(algorithm, model.disruptionKeys) : undefined,
      rebuilt: builtEarly,
      attempts: p.retries.attempts,
      retryConnectFailure: p.retries.onConnectFailure,
      retryGatewayError: p.retries.onGatewayError,
      responseTimeoutUs: p.responseTimeoutUs,
      sticky: p.sticky,
    }
    return s
  })
}

/** The ready primary backends of a pool, in snapshot order, with the weights the picker sees. */
export function readyPrimaries(pool: BackendPool): Backend[] {
  return pool
    .status()
    .filter((m) => m.ready && !m.backup)
    .map((m) => ({ id: m.id, host: m.host, port: m.port, weight: m.effectiveWeight }))
}
