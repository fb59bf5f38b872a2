import type { LbConfig } from '../../engine/config/lb-config.js'
import { parseLbConfig } from '../../engine/config/load-lb-config.js'
import type { BalancerSection } from './scenario-schema.js'

/** A started backend as the balancer must reach it. */
export interface BackendEndpoint {
  readonly id: string
  readonly group: string
  readonly host: string
  readonly ports: Partial<Record<'http' | 'https' | 'tcp' | 'udp' | 'control', number>>
  readonly weight: number
}

/** Which port of its backends a pool uses, given the listeners that send to it. */
export function poolPortKind(balancer: BalancerSection, pool: string): 'http' | 'https' | 'tcp' | 'udp' {
  const spec = balancer.pools[pool]!.backends
  if (typeof spec === 'object' && !Array.isArray(spec) && spec.port !== undefined) return spec.port
  for (const l of balancer.listeners) {
    const uses = l.pool === pool || l.sni?.some((s) => s.pool === pool) || l.routes?.some((r) => r.pool === pool || r.split?.some((x) => x.pool === pool))
    if (!uses) continue
    if (l.protocol === 'udp') return 'udp'
    if (l.protocol === 'tls') return 'https'
    return 'http'
  }
  return 'http'
}

/** The groups a pool draws from, and which of them are backups. */
export function poolGroups(balancer: BalancerSection, pool: string): { groups: string[]; backup: Set<string> } {
  const spec = balancer.pools[pool]!.backends
  if (typeof spec === 'string') return { groups: [spec], backup: new Set() }
  if (Array.isArray(spec)) return { groups: [...spec], backup: new Set() }
  return { groups: spec.groups, backup: new Set(spec.backup) }
}

/**
 * Turns a scenario's balancer section into a concrete engine configuration: each pool gets the
 * started backends of its groups (the right port for its listeners), listeners bind where the
 * section says (ephemeral by default), and an admin listener is added for stats, events and the
 * timeline. Validated by the engine's own schema; problems are reported under `balancer.`.
 */
export function resolveBalancer(balancer: BalancerSection, endpoints: readonly BackendEndpoint[], source: string): LbConfig {
  const pools = Object.fromEntries(
    Object.entries(balancer.pools).map(([name, pool]) => {
      const { groups, backup } = poolGroups(balancer, name)
      const kind = poolPortKind(balancer, name)
      const backends = endpoints
        .filter((e) => groups.includes(e.group))
        .map((e) => ({ id: e.id, host: e.host, port: e.ports[kind] ?? 1, weight: e.weight, backup: backup.has(e.group) }))
      const { backends: _groups, ...rest } = pool
      return [name, { ...rest, backends }]
    }),
  )
  return parseLbConfig({ admin: { listen: '127.0.0.1:0' }, listeners: balancer.listeners, pools }, source)
}
