import { listenerLayer, type LbConfig, type PoolConfig } from '../../engine/config/lb-config.js'
import { algorithms, resolveAlgorithmName, type AlgorithmName } from '../../engine/balancing/registry.js'

/** How the listeners of a configuration use one pool. */
export interface PoolUsage {
  /** Reached from http/https routes. */
  readonly l7: boolean
  /** Reached from tcp or tls listeners. */
  readonly stream: boolean
  /** Reached from udp listeners. */
  readonly udp: boolean
}

/** Every pool's usage, in the configuration's pool order; pools no listener reaches are marked unused. */
export function poolUsage(config: LbConfig): Map<string, PoolUsage> {
  const usage = new Map<string, { l7: boolean; stream: boolean; udp: boolean }>()
  for (const name of Object.keys(config.pools)) usage.set(name, { l7: false, stream: false, udp: false })
  for (const l of config.listeners) {
    const mark = (pool: string | undefined) => {
      const u = pool === undefined ? undefined : usage.get(pool)
      if (u === undefined) return
      if (listenerLayer(l.protocol) === 7) u.l7 = true
      else if (l.protocol === 'udp') u.udp = true
      else u.stream = true
    }
    mark(l.pool)
    l.sni?.forEach((s) => mark(s.pool))
    l.routes?.forEach((r) => {
      mark(r.pool)
      r.split?.forEach((s) => mark(s.pool))
    })
  }
  return usage
}

/** Pools a listener can send to, in first-mention order. */
export function listenerPools(l: LbConfig['listeners'][number]): string[] {
  const out: string[] = []
  const add = (p: string | undefined) => p !== undefined && !out.includes(p) && out.push(p)
  add(l.pool)
  l.sni?.forEach((s) => add(s.pool))
  l.routes?.forEach((r) => {
    add(r.pool)
    r.split?.forEach((s) => add(s.pool))
  })
  return out
}

/** A backend's identity, as the engine names it. */
export function backendId(b: PoolConfig['backends'][number]): string {
  return b.id ?? `${b.host}:${b.port}`
}

/** The pool's algorithm by its canonical name (configurations are validated, so it resolves). */
export function algorithmOf(pool: PoolConfig): AlgorithmName {
  const name = resolveAlgorithmName(pool.algorithm)
  if (name === undefined) throw new Error(`unknown algorithm "${pool.algorithm}"`)
  return name
}

/** Whether the algorithm places requests by a key (picking at random when the key is absent). */
export function isKeyed(name: AlgorithmName): boolean {
  return algorithms[name].needs === 'key'
}

/** Whether weights shape the algorithm's distribution (0 still takes a backend out). */
export function isWeighted(name: AlgorithmName): boolean {
  return algorithms[name].weighted
}
