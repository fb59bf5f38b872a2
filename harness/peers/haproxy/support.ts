import type { LbConfig, ListenerConfig, PoolConfig } from '../../../engine/config/lb-config.js'
import type { PeerCapabilities } from '../peer-driver.js'
import { DEFAULT_LIMITS, type Findings, type PeerChecks } from '../peer-findings.js'
import type { PoolUsage } from '../pool-usage.js'
import { haproxySafeArgument } from './quoting.js'

/** HAProxy's largest server weight. */
export const HAPROXY_MAX_WEIGHT = 256

/** What HAProxy 2.6 does of the engine's configuration. */
export const haproxyCapabilities: PeerCapabilities = {
  protocols: ['tcp', 'tls', 'http', 'https'],
  algorithms: {
    'round-robin': {},
    'smooth-weighted-round-robin': { approximation: "smooth-weighted-round-robin → HAProxy roundrobin (weighted, HAProxy's own interleaving, not nginx-smooth)" },
    'weighted-random': { approximation: 'weighted-random → HAProxy balance random(1) (a random key on its consistent-hash tree: weight-proportional up to the tree granularity)' },
    'least-connections': { approximation: 'least-connections → HAProxy leastconn (in-flight streams per weight; ties taken in turn, not by weighted share)' },
    p2c: { approximation: "p2c → HAProxy balance random(N) (N draws by weight, the one with fewer in-flight streams wins; Envoy's EDF for unequal weights and activeRequestBias are not reproduced)" },
    'peak-ewma': { unsupported: 'HAProxy has no latency-aware balancing (peak-ewma)' },
    'ring-hash': { approximation: "ring-hash → hash-type consistent (ketama-style, HAProxy's own point count and hash function; ring size options ignored)" },
    maglev: { unsupported: 'HAProxy has no maglev' },
    rendezvous: { unsupported: 'HAProxy has no rendezvous (highest-random-weight) hashing' },
  },
  tls: { termination: true, passthroughBySni: true, toBackends: true },
  healthChecks: { active: true, passive: true },
  stickiness: true,
  proxyProtocol: { accept: true, send: ['v1', 'v2'] },
  runtime: ['set-weight', 'drain', 'add-backend', 'remove-backend'],
  gatewayFilters: ['header-edits', 'request-id', 'forwarded'],
  // The generated configuration offers HTTP/1.1 (ALPN http/1.1), as the engine does.
  http2: false,
  maxWeight: HAPROXY_MAX_WEIGHT,
  reasons: { 'protocol:udp': 'HAProxy does not proxy UDP' },
}

/** HAProxy's approximations and limits beyond its capabilities. */
export const haproxyChecks: PeerChecks = {
  listener(_config: LbConfig, l: ListenerConfig, at: string, f: Findings) {
    const limits = l.limits
    if (limits.maxConnections !== DEFAULT_LIMITS.maxConnections) f.approx('HAProxy stops accepting at maxconn (the kernel backlog holds the rest) instead of closing new connections', `${at}.limits.maxConnections`)
    if (limits.maxHeadBytes !== DEFAULT_LIMITS.maxHeadBytes || limits.maxHeaders !== DEFAULT_LIMITS.maxHeaders) {
      f.approx('HAProxy sizes heads by one global buffer (tune.bufsize) and header count (tune.http.maxhdr) for every listener', `${at}.limits`)
    }
  },
  valueMatch(_kind, v, at, f) {
    if (!haproxySafeArgument(v.name)) f.no(`HAProxy cannot take ${JSON.stringify(v.name)} as a sample-fetch argument`, `${at}.name`)
  },
  hashKey(pool, at, f) {
    const key = pool.hashKey
    if (key === undefined) return f.approx('without a hashKey the engine picks at random: HAProxy balance random(1)', `${at}.hashKey`)
    if (key.name !== undefined && !haproxySafeArgument(key.name)) f.no(`HAProxy cannot take ${JSON.stringify(key.name)} as a sample-fetch argument`, `${at}.hashKey.name`)
  },
  pool: checkHaproxyPool,
}

function checkHaproxyPool(pool: PoolConfig, u: PoolUsage, at: string, f: Findings) {
  const hc = pool.healthCheck
  if (hc !== undefined) {
    f.approx(
      hc.initial === 'healthy'
        ? 'HAProxy starts servers up, but takes one down at its first failed check after start-up (the full fall count applies once fall − 1 checks have passed)'
        : 'HAProxy 2.6 starts servers up (no init-state): an initially unhealthy backend serves until its first failed check',
      `${at}.healthCheck.initial`,
    )
  }
  if (pool.outlierDetection !== undefined) {
    if (hc === undefined) f.no("HAProxy's passive checks (observe, on-error mark-down) need active health checks to bring a server back", `${at}.outlierDetection`)
    else f.approx('observe + error-limit + on-error mark-down: errors counted as HAProxy counts them, the server returns when health checks pass rise times (no ejection time, no maxEjectionPercent)', `${at}.outlierDetection`)
  }
  if (u.l7) f.approx('timeouts.responseMs → timeout server, an inactivity timeout (it also bounds pauses within a response body)', `${at}.timeouts.responseMs`)
  if (u.l7 && pool.tls?.rejectUnauthorized === true && pool.tls.serverName === undefined) f.approx('HAProxy verifies the backend chain only: without tls.serverName it checks no host name', `${at}.tls`)
  if (pool.stickySession !== undefined) f.approx('cookie insert indirect nocache: same cookie value as the engine, and HAProxy marks responses that set it uncacheable', `${at}.stickySession`)
  if (pool.maxConnectionsPerBackend > 0) f.approx('maxconn queues requests until timeout queue (= timeouts.responseMs)', `${at}.maxConnectionsPerBackend`)
  if (pool.slowStart !== undefined) f.approx('slowstart: linear ramp from 0 after a server comes up (aggression and minWeightPercent ignored)', `${at}.slowStart`)
}
