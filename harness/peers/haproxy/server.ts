import type { PoolConfig } from '../../../engine/config/lb-config.js'
import { stickyToken } from '../../../engine/routing/sticky-cookie.js'
import { integerWeights, toInteger } from '../integer-weights.js'
import { HAPROXY_MAX_WEIGHT } from './support.js'
import { algorithmOf, isWeighted } from '../pool-usage.js'
import { ms } from '../quoting.js'
import { haproxyWord } from './quoting.js'

/** How a pool's engine weights become HAProxy weights (fixed at configuration time, reused at runtime). */
export interface HaproxyWeights {
  /** HAProxy weight for an engine weight. */
  of(weight: number): number
}

/** The weight mapping of a pool: unweighted algorithms give every serving backend 1, as the engine ignores weights. */
export function haproxyWeights(pool: PoolConfig): HaproxyWeights {
  if (!isWeighted(algorithmOf(pool))) return { of: (w) => (w > 0 ? 1 : 0) }
  const { scale } = integerWeights(
    pool.backends.map((b) => b.weight),
    HAPROXY_MAX_WEIGHT,
  )
  return { of: (w) => toInteger(w, scale, HAPROXY_MAX_WEIGHT) }
}

/** A backend to declare, or to add at runtime. */
export interface HaproxyServerSpec {
  readonly id: string
  readonly host: string
  readonly port: number
  readonly weight: number
  readonly backup?: boolean
}

/**
 * The options after `server <name> <address>` for a backend of `pool`: the same text in the
 * configuration and in `add server`, so a backend added at runtime behaves as a declared one.
 */
export function haproxyServerOptions(pool: PoolConfig, mode: 'http' | 'tcp', b: HaproxyServerSpec, weights: HaproxyWeights): string[] {
  const o = [`weight ${weights.of(b.weight)}`]
  if (b.backup === true) o.push('backup')
  const hc = pool.healthCheck
  // The checks' TLS settings when they speak TLS: a tls probe, or an HTTPS check.
  const checkTls = hc === undefined ? undefined : hc.type === 'tls' ? (hc.tls ?? {}) : hc.http?.tls
  if (hc !== undefined) o.push(`check inter ${ms(hc.intervalMs)} rise ${hc.rise} fall ${hc.fall}`)
  if (checkTls !== undefined) {
    o.push('check-ssl')
    if (checkTls.serverName !== undefined) o.push(`check-sni ${haproxyWord(checkTls.serverName)}`)
  }
  if (pool.proxyProtocol === 'v1') o.push('send-proxy')
  if (pool.proxyProtocol === 'v2') o.push('send-proxy-v2')
  const tls = mode === 'http' ? pool.tls : undefined
  if (tls !== undefined) {
    o.push('ssl')
    if (tls.rejectUnauthorized) {
      o.push('verify required', `ca-file ${haproxyWord(tls.caFile ?? '@system-ca')}`)
      if (tls.serverName !== undefined) o.push(`verifyhost ${haproxyWord(tls.serverName)}`)
    } else {
      o.push('verify none')
    }
    if (tls.serverName !== undefined) o.push(`sni ${haproxyWord(`str(${tls.serverName})`)}`)
  } else if (checkTls !== undefined) {
    // Checks in TLS to a backend served in clear: `verify` then applies to the checks alone.
    o.push(checkTls.rejectUnauthorized === true ? 'verify required ca-file @system-ca' : 'verify none')
  }
  if (mode === 'http' && pool.stickySession !== undefined) o.push(`cookie ${stickyToken(pool.stickySession.secret, b.id)}`)
  if (pool.maxConnectionsPerBackend > 0) o.push(`maxconn ${pool.maxConnectionsPerBackend}`)
  if (mode === 'http') {
    o.push(`pool-max-conn ${pool.keepAlive.maxIdlePerBackend}`, `pool-purge-delay ${ms(pool.keepAlive.idleTimeoutMs)}`)
  }
  if (pool.slowStart !== undefined) o.push(`slowstart ${ms(pool.slowStart.windowMs)}`)
  if (pool.outlierDetection !== undefined && hc !== undefined) {
    o.push(`observe ${mode === 'http' ? 'layer7' : 'layer4'} error-limit ${pool.outlierDetection.consecutiveFailures} on-error mark-down`)
  }
  return o
}

/** `host:port` as HAProxy reads an address (the port follows the last colon, IPv6 included). */
export function haproxyAddress(host: string, port: number): string {
  return `${host.replace(/^\[|\]$/g, '')}:${port}`
}
