/** Findings of a support check and the hooks a peer's driver adds to it. */
import { parseCidr, type LbConfig, type ListenerConfig, type PoolConfig, type RouteSettings } from '../../engine/config/lb-config.js'
import type { FilterConfig } from '../../engine/l7/filters/filter-config.js'
import type { PoolUsage } from './pool-usage.js'

/** Findings of a support check, each with the configuration path it applies to. */
export class Findings {
  readonly unsupported: string[] = []
  readonly approximations: string[] = []
  no(what: string, path: string) {
    this.unsupported.push(`${what}: ${path}`)
  }
  approx(what: string, path: string) {
    if (!this.approximations.includes(`${what}: ${path}`)) this.approximations.push(`${what}: ${path}`)
  }
}

type ValueMatch = NonNullable<RouteSettings['match']['headers']>[number]

/** A peer's own checks, called where the walk over the configuration reaches each part. */
export interface PeerChecks {
  listener?(config: LbConfig, l: ListenerConfig, at: string, f: Findings): void
  route?(r: RouteSettings, at: string, f: Findings): void
  valueMatch?(kind: 'headers' | 'cookies' | 'query', v: ValueMatch, at: string, f: Findings): void
  /** A keyed pool's hash key (`key` undefined: the engine picks at random). */
  hashKey?(pool: PoolConfig, at: string, f: Findings): void
  pool?(pool: PoolConfig, u: PoolUsage, at: string, f: Findings): void
  /** One entry of a listener's or route's `filters` (`l`: its listener). Without this hook a peer expresses no filter. */
  filter?(c: FilterConfig, l: ListenerConfig, at: string, f: Findings): void
}

/** Limits every listener has unless the configuration says otherwise. */
export const DEFAULT_LIMITS = { maxConnections: 10_000, maxHeadBytes: 16_384, maxHeaders: 100 }


/** Whether a trusted-source CIDR holds all of 127.0.0.0/8. */
export function coversLoopback(cidr: string): boolean {
  const c = parseCidr(cidr)
  if (c === undefined || c.family !== 4 || c.bits > 8) return false
  const first = Number(c.address.split('.')[0])
  return c.bits === 0 || first >> (8 - c.bits) === 127 >> (8 - c.bits)
}
