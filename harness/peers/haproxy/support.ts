import type { LbConfig, ListenerConfig, PoolConfig } from '../../../engine/config/lb-config.js'
import type { PeerCapabilities } from '../peer-driver.js'
import { DEFAULT_LIMITS, type Findings, type PeerChecks } from '../peer-findings.js'
import type { PoolUsage } from '../pool-usage.js'
import type { AuthConfig, FilterConfig } from '../../../engine/l7/filters/filter-config.js'
import { listenerFilters } from '../filter-chains.js'
import { claimPath, HAPROXY_STICK_COUNTERS } from './filters.js'
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
    checkHaproxyChains(l, at, f)
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
  filter: checkHaproxyFilter,
}

/** What one route's chain needs of HAProxy as a whole: sticky counters, one log per frontend. */
function checkHaproxyChains(l: ListenerConfig, at: string, f: Findings) {
  const { chains, instances } = listenerFilters(l)
  if (chains.some((chain) => chain.filter((x) => x.config.type === 'rate-limit').length > HAPROXY_STICK_COUNTERS)) {
    f.no(`HAProxy 2.6 tracks ${HAPROXY_STICK_COUNTERS} sticky counters per request: a route with more rate limits cannot be expressed`, `${at}.filters`)
  }
  const logs = instances.filter((x) => x.config.type === 'access-log')
  if (logs.length > 1 || (logs.length === 1 && logs[0]!.routes.length !== chains.length)) f.no('HAProxy logs every request of a frontend with one log-format, or none: one access-log entry for the whole listener only', `${at}.filters`)
}

function checkHaproxyFilter(c: FilterConfig, _l: ListenerConfig, at: string, f: Findings) {
  switch (c.type) {
    case 'security-headers':
      return
    case 'rate-limit':
      f.approx(
        "a stick table's gpc0_rate counts the requests let through over a sliding window of burst/rate seconds, refusing once burst were: the same sustained rate as the engine's token bucket, a burst admitted per window rather than refilled continuously; Retry-After is fixed at ceil(1/rate) s, RateLimit-Remaining at 0, no RateLimit-Reset",
        at,
      )
      if (c.key.source === 'header' && !haproxySafeArgument(c.key.name)) f.no(`HAProxy cannot take ${JSON.stringify(c.key.name)} as a sample-fetch argument`, `${at}.key.name`)
      if (c.key.source === 'identity') f.approx("the identity is the token's sub, or a base64 SHA-256 of the API key (the engine keeps a prefix of it)", `${at}.key`)
      return
    case 'auth':
      return checkHaproxyAuth(c, at, f)
    case 'access-log':
      if (c.destination !== 'stdout') f.no('HAProxy writes logs to syslog or to its own stdout/stderr, not to a file', `${at}.destination`)
      f.approx(
        "HAProxy's log-format fields: headMs is %TR (from the head's first byte, not the accept), connectMs %Tc, firstByteMs %Tr (from the request sent), totalMs %Ta; route is the route's index; no referer, user agent, identity or decisions; lines HAProxy cannot write at once are dropped uncounted",
        `${at}.format`,
      )
      return
    default:
      // A filter type added to the engine after this driver was written.
      f.no(`HAProxy configurations do not express the engine's ${(c as { type: string }).type} filter yet`, at)
  }
}

function checkHaproxyAuth(c: AuthConfig, at: string, f: Findings) {
  const jwt = c.jwt
  if (jwt !== undefined) {
    if (jwt.jwksFile !== undefined) f.no("HAProxy 2.6's jwt_verify takes one key per call, an HMAC secret or a PEM file: a JWKS is not read", `${at}.jwt.jwksFile`)
    jwt.keys?.forEach((k, i) => {
      if (k.alg === 'EdDSA' && jwt.algorithms.includes('EdDSA')) f.no("HAProxy 2.6's jwt_verify has no EdDSA", `${at}.jwt.keys[${i}]`)
    })
    if ((jwt.keys ?? []).some((k) => k.kid !== undefined)) f.approx("HAProxy tries every key of the token's alg: kid does not pick one", `${at}.jwt.keys`)
    if (jwt.audience !== undefined) f.approx('aud is compared as one string: a token whose aud is a list does not match', `${at}.jwt.audience`)
  }
  for (const claim of [...Object.keys(c.requireClaims), ...Object.keys(c.claimsToHeaders)]) {
    if (claimPath(claim) === undefined) f.no(`HAProxy reads claims by a JSON path: ${JSON.stringify(claim)} is not a plain name`, `${at}.claims`)
  }
  if (Object.keys(c.requireClaims).length > 0) f.approx('a required claim is matched as text (a word of a space-separated list): a JSON list claim is not searched', `${at}.requireClaims`)
  if (c.apiKeys !== undefined) f.approx("HAProxy looks API keys up in its pattern tree (not a constant-time digest compare); the 401 text of an unknown key is HAProxy's deny body", `${at}.apiKeys`)
  if (!haproxySafeArgument(c.apiKeys?.header ?? 'x') || (c.apiKeys?.query !== undefined && !haproxySafeArgument(c.apiKeys.query))) f.no('HAProxy cannot take this header or parameter name as a sample-fetch argument', `${at}.apiKeys`)
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
