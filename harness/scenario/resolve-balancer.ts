import { parseEndpoint, type LbConfig } from '../../engine/config/lb-config.js'
import { parseLbConfig } from '../../engine/config/load-lb-config.js'
import { EngineError } from '../../engine/errors.js'
import type { BalancerSection } from './scenario-schema.js'

/** A started backend as the balancer must reach it. */
export interface BackendEndpoint {
  readonly id: string
  readonly group: string
  readonly host: string
  readonly ports: Partial<Record<'http' | 'https' | 'grpc' | 'tcp' | 'udp' | 'control', number>>
  readonly weight: number
}

/** Which port of its backends a pool uses, given the listeners that send to it. */
export function poolPortKind(balancer: BalancerSection, pool: string): 'http' | 'https' | 'grpc' | 'tcp' | 'udp' {
  const spec = balancer.pools[pool]!.backends
  if (typeof spec === 'object' && !Array.isArray(spec) && 'port' in spec && spec.port !== undefined) return spec.port
  for (const l of balancer.listeners) {
    const uses = l.pool === pool || l.sni?.some((s) => s.pool === pool) || l.routes?.some((r) => r.pool === pool || r.split?.some((x) => x.pool === pool))
    if (!uses) continue
    if (l.protocol === 'udp') return 'udp'
    if (l.protocol === 'tls') return 'https'
    return 'http'
  }
  return 'http'
}

/** The groups a pool draws from, and which of them are backups (none for a pool that targets a listener). */
export function poolGroups(balancer: BalancerSection, pool: string): { groups: string[]; backup: Set<string> } {
  const spec = balancer.pools[pool]!.backends
  if (typeof spec === 'string') return { groups: [spec], backup: new Set() }
  if (Array.isArray(spec)) return { groups: [...spec], backup: new Set() }
  if ('listener' in spec) return { groups: [], backup: new Set() }
  return { groups: spec.groups, backup: new Set(spec.backup) }
}

/** What `directPool` reads of a listener (scenario and engine listeners alike). */
interface ListenerPools {
  readonly pool?: string | undefined
  readonly sni?: readonly { readonly pool: string }[] | undefined
  readonly routes?: readonly { readonly pool?: string | undefined; readonly split?: readonly { readonly pool: string }[] | undefined }[] | undefined
}

/**
 * The pool the `direct` baseline sends a listener's load to: a layer 4 listener's pool (tls: its
 * default pool), or the first pool a layer 7 listener's routes name.
 */
export function directPool(l: ListenerPools): string | undefined {
  return l.pool ?? l.routes?.map((r) => r.pool ?? r.split?.[0]?.pool).find((p) => p !== undefined) ?? l.sni?.[0]?.pool
}

/** The listener a pool sends to, when it targets one of the balancer's own listeners. */
export function poolListenerTarget(balancer: BalancerSection, pool: string): string | undefined {
  const spec = balancer.pools[pool]?.backends
  return typeof spec === 'object' && !Array.isArray(spec) && 'listener' in spec ? spec.listener : undefined
}

/** Names of the listeners some pool sends to (the inner tier of a tier-behind-a-tier balancer). */
export function targetedListeners(balancer: BalancerSection): Set<string> {
  const out = new Set<string>()
  for (const pool of Object.keys(balancer.pools)) {
    const l = poolListenerTarget(balancer, pool)
    if (l !== undefined) out.add(l)
  }
  return out
}

/**
 * The section with every targeted listener that binds port 0 bound at `portFor(name)` instead: a
 * pool must know the port it sends to before the balancer starts.
 */
export function withTargetPorts(balancer: BalancerSection, portFor: (listener: string, index: number) => number): BalancerSection {
  const targeted = [...targetedListeners(balancer)]
  return {
    ...balancer,
    listeners: balancer.listeners.map((l) => {
      const at = parseEndpoint(l.bind)
      if (!targeted.includes(l.name) || at === undefined || at.port !== 0) return l
      const host = at.host.includes(':') ? `[${at.host}]` : at.host
      return { ...l, bind: `${host}:${portFor(l.name, targeted.indexOf(l.name))}` }
    }),
  }
}

/** The one backend of a pool that targets `listener`: the listener's bound address. */
function listenerBackend(balancer: BalancerSection, listener: string): { id: string; host: string; port: number; weight: number; backup: boolean } {
  const l = balancer.listeners.find((x) => x.name === listener)
  const at = l === undefined ? undefined : parseEndpoint(l.bind)
  if (at === undefined) throw new EngineError('LB_ERR_INVALID_CONFIG', `no listener "${listener}" to send to`, [{ path: 'pools', message: `no listener "${listener}"` }])
  if (at.port === 0) throw new EngineError('LB_ERR_INVALID_CONFIG', `listener ${listener} is a pool's target but binds port 0`, [{ path: 'listeners', message: `give ${listener} a fixed port (withTargetPorts) before resolving` }])
  return { id: `listener-${listener}`, host: at.host, port: at.port, weight: 1, backup: false }
}

/**
 * Turns a scenario's balancer section into a concrete engine configuration: each pool gets the
 * started backends of its groups (the right port for its listeners) or, when it targets a listener,
 * that listener's address (which must be fixed: see `withTargetPorts`), listeners bind where the
 * section says (ephemeral by default), and an admin listener is added for stats, events and the
 * timeline. Validated by the engine's own schema; problems are reported under `balancer.`.
 */
export function resolveBalancer(balancer: BalancerSection, endpoints: readonly BackendEndpoint[], source: string): LbConfig {
  const pools = Object.fromEntries(
    Object.entries(balancer.pools).map(([name, pool]) => {
      const { groups, backup } = poolGroups(balancer, name)
      const kind = poolPortKind(balancer, name)
      const target = poolListenerTarget(balancer, name)
      const backends =
        target !== undefined
          ? [listenerBackend(balancer, target)]
          : endpoints.filter((e) => groups.includes(e.group)).map((e) => ({ id: e.id, host: e.host, port: e.ports[kind] ?? 1, weight: e.weight, backup: backup.has(e.group) }))
      const { backends: _groups, ...rest } = pool
      return [name, { ...rest, backends }]
    }),
  )
  return parseLbConfig({ admin: { listen: '127.0.0.1:0' }, listeners: balancer.listeners, pools }, source)
}
