import { engineDeps } from '../balancing/deps.js'
import { murmur3 } from '../balancing/hash.js'
import type { Deps } from '../balancing/types.js'
import type { PoolConfig } from '../config/lb-config.js'
import { createOutlierDetector } from '../health/outlier-detection.js'
import { createRetryBudget } from '../health/retry-budget.js'
import { startHealthChecks } from '../health/health-checker.js'
import { createBackendPool, type BackendPool } from '../pool/backend-pool.js'
import { newBackendCounters, newPoolCounters, type BackendCounters, type PoolCounters } from '../stats/counters.js'
import type { EventLog } from './event-log.js'

/** A pool as the data plane runs it: picking, health, ejection, retry budget, counters. */
export interface PoolRuntime {
  readonly name: string
  readonly config: PoolConfig
  readonly pool: BackendPool
  readonly counters: PoolCounters
  /** Counters of one backend (created on first use; kept while the process runs). */
  backend(id: string): BackendCounters
  /** The hash a layer 4 connection is placed by (source-ip / source-address keys); undefined otherwise. */
  sourceHash(ip: string, port: number): number | undefined
  /** Feeds passive outlier detection with a connect failure, 5xx or timeout (false) or a success. */
  recordOutcome(backendId: string, ok: boolean): void
  /** One original request or connection: grows the retry budget. */
  recordRequest(): void
  /** Whether a retry may go ahead now (takes it from the budget). */
  allowRetry(): boolean
  stop(): Promise<void>
}

/** Builds and starts a pool's runtime: active health checks begin at once. */
export function startPoolRuntime(name: string, config: PoolConfig, events: EventLog, deps: Deps = engineDeps): PoolRuntime {
  const hc = config.healthCheck
  const pool = createBackendPool(
    {
      algorithm: config.algorithm,
      algorithmOptions: config.algorithmOptions,
      backends: config.backends,
      health: { rise: hc?.rise ?? 2, fall: hc?.fall ?? 3, initial: hc?.initial ?? 'healthy' },
      ...(config.slowStart === undefined ? {} : { slowStart: config.slowStart }),
    },
    deps,
    (e) => {
      if (e.type === 'health') events.add({ atUs: e.atUs, type: e.healthy ? 'backend-up' : 'backend-down', pool: name, backend: e.id })
      else if (e.type === 'drained') events.add({ atUs: e.atUs, type: 'backend-drained', pool: name, backend: e.id })
    },
  )
  const counters = newPoolCounters()
  const backends = new Map<string, BackendCounters>()
  const backend = (id: string) => {
    let c = backends.get(id)
    if (c === undefined) backends.set(id, (c = newBackendCounters()))
    return c
  }

  const budget = createRetryBudget({ percent: config.retries.budgetPercent, minRetriesPerSecond: config.retries.minRetriesPerSecond, ttlMs: 10_000 })

  const od = config.outlierDetection
  const outliers = od === undefined ? undefined : createOutlierDetector(od)
  outliers?.setMembers(pool.status().map((s) => s.id))
  let returnTimer: NodeJS.Timeout | undefined
  const scheduleReturns = () => {
    if (outliers === undefined) return
    if (returnTimer !== undefined) clearTimeout(returnTimer)
    returnTimer = undefined
    const due = outliers.nextDueUs()
    if (due === undefined) return
    returnTimer = setTimeout(
      () => {
        const now = deps.nowUs()
        for (const id of outliers.due(now)) {
          if (pool.status().some((s) => s.id === id)) pool.setEjected(id, false)
          events.add({ atUs: now, type: 'backend-returned', pool: name, backend: id, detail: 'ejection ended' })
        }
        scheduleReturns()
      },
      Math.max(1, Math.ceil((due - deps.nowUs()) / 1000)),
    )
    returnTimer.unref()
  }

  const checks =
    hc === undefined
      ? undefined
      : startHealthChecks({
          pool,
          check: { type: hc.type, intervalMs: hc.intervalMs, timeoutMs: hc.timeoutMs, ...(hc.http === undefined ? {} : { http: hc.http }), ...(hc.tls === undefined ? {} : { tls: hc.tls }) },
          onResult: (id, result) => {
            const c = backend(id)
            if (result.ok) c.healthChecks.passed++
            else c.healthChecks.failed++
            if (result.detail !== undefined) c.healthChecks.lastDetail = result.detail
          },
        })

  const keyed = config.hashKey?.source
  return {
    name,
    config,
    pool,
    counters,
    backend,
    sourceHash(ip, port) {
      if (keyed === 'source-ip') return murmur3(ip)
      if (keyed === 'source-address') return murmur3(`${ip}:${port}`)
      return undefined
    },
    recordOutcome(id, ok) {
      if (outliers === undefined) return
      const now = deps.nowUs()
      const e = outliers.record(id, ok, now)
      if (e?.type === 'ejected') {
        backend(id).ejections++
        pool.setEjected(id, true)
        events.add({ atUs: now, type: 'backend-ejected', pool: name, backend: id, detail: `${od!.consecutiveFailures} consecutive failures` })
        scheduleReturns()
      }
    },
    recordRequest() {
      budget.deposit(deps.nowUs())
    },
    allowRetry() {
      if (budget.tryWithdraw(deps.nowUs())) {
        counters.retries++
        return true
      }
      counters.retriesRefusedByBudget++
      return false
    },
    async stop() {
      if (returnTimer !== undefined) clearTimeout(returnTimer)
      await checks?.stop()
    },
  }
}
