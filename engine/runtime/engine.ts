import { startAdminServer } from '../admin/admin-server.js'
import { engineDeps } from '../balancing/deps.js'
import type { Deps } from '../balancing/types.js'
import { listenerLayer, parseEndpoint, type LbConfig } from '../config/lb-config.js'
import type { Filter } from '../l7/filters/filter.js'
import { startHttpListener } from '../l7/http-listener.js'
import { startTcpListener } from '../l4/tcp-listener.js'
import { startUdpListener } from '../l4/udp-listener.js'
import { listenerStats, poolStats, type EngineStats } from '../stats/engine-stats.js'
import { EventLog, type EngineEvent } from './event-log.js'
import type { ListenerContext, RunningListener } from './listener.js'
import { isLoopback } from './address.js'
import { startPoolRuntime, type PoolRuntime } from './pool-runtime.js'

/** A running reference balancer. */
export interface Engine {
  readonly config: LbConfig
  readonly pools: ReadonlyMap<string, PoolRuntime>
  readonly listeners: readonly RunningListener[]
  /** The admin listener's bound address, when configured. */
  readonly admin?: { readonly host: string; readonly port: number }
  readonly events: EventLog
  stats(): EngineStats
  /**
   * Graceful shutdown: stop accepting, let requests in flight finish (layer 7 closes kept-alive
   * connections as they go idle), then after `drainMs` end whatever is left.
   */
  stop(options?: { drainMs?: number }): Promise<void>
}

/** Options of `startEngine`. */
export interface EngineOptions {
  readonly version?: string
  readonly deps?: Deps
  /** Called for every engine event as it happens (logging). */
  readonly onEvent?: (e: EngineEvent) => void
  /**
   * Layer 7 filters supplied in code (an embedder's own, or a test's), run after the configured
   * ones on every route of every L7 listener, and on the listeners' own answers.
   */
  readonly filters?: readonly Filter[]
}

/** Starts every pool, listener and the admin server of a validated configuration. */
export async function startEngine(config: LbConfig, options: EngineOptions = {}): Promise<Engine> {
  const deps = options.deps ?? engineDeps
  const events = new EventLog(10_000, options.onEvent)
  const startedAt = performance.now()
  const cpuAtStart = process.cpuUsage()
  let draining = false
  const pools = new Map<string, PoolRuntime>()
  const listeners: RunningListener[] = []
  let admin: Awaited<ReturnType<typeof startAdminServer>> | undefined

  // Also closes the listening sockets: after a partial start (one listener could not bind) nothing
  // that was bound may keep serving or hold the process alive.
  const stopAll = async () => {
    for (const l of listeners) {
      l.stopAccepting()
      l.destroyAll()
    }
    await Promise.all(listeners.map((l) => l.closeFilters?.()))
    await admin?.close()
    await Promise.all([...pools.values()].map((p) => p.stop()))
  }

  try {
    for (const [name, poolConfig] of Object.entries(config.pools)) pools.set(name, startPoolRuntime(name, poolConfig, events, deps))
    const ctx: ListenerContext = { pools, events, deps, draining: () => draining, ...(options.filters === undefined ? {} : { filters: options.filters }) }
    for (const l of config.listeners) {
      const start = l.protocol === 'udp' ? startUdpListener : listenerLayer(l.protocol) === 7 ? startHttpListener : startTcpListener
      listeners.push(await start(l, ctx))
    }
  } catch (e) {
    await stopAll()
    throw e
  }

  const stats = (): EngineStats => {
    const cpu = process.cpuUsage(cpuAtStart)
    return {
      schema: 'layerbench/engine-stats@1',
      version: options.version ?? 'dev',
      pid: process.pid,
      atUs: deps.nowUs(),
      uptimeS: (performance.now() - startedAt) / 1000,
      draining,
      cpuUs: { user: cpu.user, system: cpu.system },
      listeners: listeners.map((l) => listenerStats(l.name, l.protocol, l.layer, `${l.address.host}:${l.address.port}`, l.counters)),
      pools: [...pools.values()].map((p) => poolStats(p.name, p.pool.algorithm.name, p.pool.status(), p.counters, p.backend)),
    }
  }

  if (config.admin !== undefined) {
    const { host, port } = parseEndpoint(config.admin.listen)!
    const token = config.admin.token
    try {
      admin = await startAdminServer(host, port, {
        stats,
        events: (since) => events.since(since),
        pools,
        draining: () => draining,
        record: (type, pool, backend, detail) =>
          events.add({ atUs: deps.nowUs(), type, pool, ...(backend === undefined ? {} : { backend }), ...(detail === undefined ? {} : { detail }) }),
        // The effective configuration is shown to anyone who can read the admin API: never the token.
        config: token === undefined ? config : { ...config, admin: { ...config.admin, token: '(set)' } },
        listeners: new Map(listeners.map((l) => [l.name, l])),
        ...(token === undefined ? {} : { token }),
      })
    } catch (e) {
      await stopAll()
      throw e
    }
  }
  if (admin !== undefined && !isLoopback(admin.address.host)) {
    events.add({
      atUs: deps.nowUs(),
      type: 'admin-exposed',
      detail: `admin API on ${admin.address.host}:${admin.address.port} is reachable beyond loopback, without TLS${config.admin?.token === undefined ? ' and without a token: anyone who reaches it can change pools' : ''}`,
    })
  }
  events.add({ atUs: deps.nowUs(), type: 'engine-started', detail: listeners.map((l) => `${l.name}=${l.protocol}://${l.address.host}:${l.address.port}`).join(' ') })

  let stopping: Promise<void> | undefined
  return {
    config,
    pools,
    listeners,
    ...(admin === undefined ? {} : { admin: admin.address }),
    events,
    stats,
    stop(opts = {}) {
      stopping ??= (async () => {
        draining = true
        events.add({ atUs: deps.nowUs(), type: 'engine-draining' })
        for (const l of listeners) l.stopAccepting()
        const deadline = performance.now() + (opts.drainMs ?? 5000)
        while (listeners.some((l) => l.activeConnections() > 0) && performance.now() < deadline) {
          for (const l of listeners) l.closeIdle()
          await new Promise((r) => setTimeout(r, 20))
        }
        events.add({ atUs: deps.nowUs(), type: 'engine-stopped', detail: `${listeners.reduce((n, l) => n + l.activeConnections(), 0)} connections cut at the deadline` })
        await stopAll()
      })()
      return stopping
    },
  }
}
