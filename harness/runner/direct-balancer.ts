/**
 * The `direct` baseline: no balancer at all. Each listener of the configuration "is" the first
 * backend of the pool it would send to, so the load goes straight to that backend and the runner
 * measures what a balancer's costs are compared against — same backends, same load, nothing between.
 */
import { listenerLayer, type LbConfig } from '../../engine/config/lb-config.js'
import { directPool } from '../scenario/resolve-balancer.js'
import { Unsupported, type BoundListener, type RunningBalancer } from './balancer-process.js'

const NO_BALANCER = 'direct: there is no balancer to change'

/**
 * Where the load of each listener goes without a balancer: the first backend (not a backup) of
 * the listener's pool (`directPool`). A listener without one is left out (the runner then says
 * it did not report that listener). Pure.
 */
export function directTargets(config: LbConfig): Map<string, BoundListener> {
  const out = new Map<string, BoundListener>()
  for (const l of config.listeners) {
    const pool = directPool(l)
    const backends = pool === undefined ? [] : (config.pools[pool]?.backends ?? [])
    const b = backends.find((x) => !x.backup) ?? backends[0]
    if (b === undefined) continue
    out.set(l.name, { name: l.name, protocol: l.protocol, layer: listenerLayer(l.protocol), host: b.host, port: b.port })
  }
  return out
}

/**
 * A `RunningBalancer` that runs nothing: listeners point at backends, CPU is zero (no process is
 * in the path), there are no events or statistics, and runtime changes are `Unsupported`.
 */
export function directBalancer(config: LbConfig): RunningBalancer {
  const unsupported = async () => {
    throw new Unsupported(NO_BALANCER)
  }
  return {
    implementation: 'direct',
    version: '',
    pid: 0,
    listeners: directTargets(config),
    pollEvents: async () => [],
    stats: async () => undefined,
    cpuUs: () => 0,
    setWeight: unsupported,
    setDraining: unsupported,
    addBackend: unsupported,
    removeBackend: unsupported,
    stop: async () => {},
  }
}
