import type { LbConfig, ListenerConfig, PoolConfig } from '../../../engine/config/lb-config.js'
import type { PeerCapabilities } from '../peer-driver.js'
import { DEFAULT_LIMITS, type Findings, type PeerChecks } from '../peer-findings.js'
import { algorithmOf, isWeighted, type PoolUsage } from '../pool-usage.js'

const NO_LAYER_4 = "Caddy 2.6 proxies layer 4 only with the caddy-l4 plugin, which Debian's caddy lacks"

/** Why set-weight has no runtime form. */
export const CADDY_NO_WEIGHTS = 'Caddy 2.6 has no upstream weights (weighted_round_robin came in 2.8)'

/** What Debian's Caddy 2.6 does of the engine's configuration, through its JSON configuration and admin API. */
export const caddyCapabilities: PeerCapabilities = {
  protocols: ['http', 'https'],
  algorithms: {
    'round-robin': {},
    'smooth-weighted-round-robin': { approximation: 'smooth-weighted-round-robin → Caddy round_robin (equal weights only)' },
    'weighted-random': { approximation: 'weighted-random → Caddy random (equal weights only)' },
    'least-connections': { approximation: 'least-connections → Caddy least_conn (fewest in-flight requests; ties at random)' },
    p2c: { approximation: 'p2c → Caddy random_choose N (N random upstreams, the one with fewer in-flight requests wins)' },
    'peak-ewma': { unsupported: 'Caddy has no latency-aware balancing (peak-ewma)' },
    'ring-hash': { approximation: "ring-hash → Caddy's hash policies, rendezvous (highest-random-weight) hashing with its own hash: same key, same backend, another placement" },
    maglev: { unsupported: 'Caddy has no maglev' },
    rendezvous: { approximation: "rendezvous → Caddy's hash policies (highest-random-weight hashing with Caddy's own hash function)" },
  },
  tls: { termination: true, passthroughBySni: false, toBackends: true },
  healthChecks: { active: true, passive: true },
  stickiness: true,
  proxyProtocol: { accept: false, send: [] },
  runtime: ['drain', 'add-backend', 'remove-backend'],
  gatewayFilters: ['header-edits', 'request-id', 'forwarded', 'compression'],
  // Caddy speaks HTTP/2 and 3; the configuration offers HTTP/1.1 only, as the engine does.
  http2: true,
  maxWeight: 1,
  reasons: {
    'protocol:tcp': NO_LAYER_4,
    'protocol:tls': NO_LAYER_4,
    'protocol:udp': NO_LAYER_4,
    'proxyProtocol.accept': 'Caddy 2.6 has no PROXY protocol listener wrapper',
    runtime: CADDY_NO_WEIGHTS,
  },
}

/** Caddy's approximations and limits beyond its capabilities. */
export const caddyChecks: PeerChecks = {
  listener(_config: LbConfig, l: ListenerConfig, at: string, f: Findings) {
    if (l.limits.maxConnections !== DEFAULT_LIMITS.maxConnections) f.approx('Caddy has no connection limit per listener: limits.maxConnections is not applied', `${at}.limits.maxConnections`)
    if (l.limits.maxHeaders !== DEFAULT_LIMITS.maxHeaders) f.approx('Caddy bounds the head in bytes (max_header_bytes), not the header count', `${at}.limits.maxHeaders`)
    if (l.routes === undefined) return
    if (l.headers.forwarded) f.approx('Caddy replaces X-Forwarded-For with the client address (it trusts no proxy by default) where the engine appends', `${at}.headers.forwarded`)
    else f.approx('Caddy always sends X-Forwarded-For, -Proto and -Host to backends', `${at}.headers.forwarded`)
    if (l.headers.requestId) f.approx('Caddy sets X-Request-Id to its own UUID, also when the client sent one', `${at}.headers.requestId`)
  },
  route(r, at, f) {
    if (r.split !== undefined) f.no('Caddy 2.6 has no weighted choice between pools (no weights)', `${at}.split`)
    const m = r.match
    if (m.path !== undefined && 'regex' in m.path) f.approx('path regex runs on Go RE2, not JavaScript (alike for common patterns)', `${at}.match.path.regex`)
    if (m.host !== undefined && (Array.isArray(m.host) ? m.host : [m.host]).some((h) => h.startsWith('*.'))) f.approx('Caddy matches *.example.test one label deep only', `${at}.match.host`)
    if (m.cookies !== undefined) f.no('Caddy 2.6 has no cookie matcher', `${at}.match.cookies`)
    const names = (m.headers ?? []).map((h) => h.name.toLowerCase())
    if (new Set(names).size !== names.length) f.no('Caddy matches each header once per route', `${at}.match.headers`)
    m.headers?.forEach((h, k) => {
      if (h.exact !== undefined && /^\*|\*$/.test(h.exact)) f.no('Caddy reads a * at either end of a header value as a wildcard', `${at}.match.headers[${k}].exact`)
    })
    m.query?.forEach((q, k) => {
      if (q.prefix !== undefined || q.regex !== undefined || q.exact === '' || q.invert === true || q.present === false) f.no('Caddy 2.6 matches query parameters by exact value or presence only', `${at}.match.query[${k}]`)
    })
  },
  hashKey(pool, at, f) {
    const key = pool.hashKey
    if (key === undefined) return f.approx('without a hashKey the engine picks at random: Caddy random', `${at}.hashKey`)
    if (key.source === 'cookie') f.no("Caddy's cookie policy pins by a cookie it sets itself, it does not hash the client's", `${at}.hashKey.source`)
    if (key.source === 'query') f.no('Caddy 2.6 has no query hashing policy', `${at}.hashKey.source`)
    if (key.source === 'source-address') f.no('Caddy hashes the client IP (ip_hash), not its address and port', `${at}.hashKey.source`)
    if (key.source === 'path') f.approx('Caddy uri_hash hashes the whole request URI, query included', `${at}.hashKey`)
  },
  pool: checkCaddyPool,
}

function checkCaddyPool(pool: PoolConfig, u: PoolUsage, at: string, f: Findings) {
  if (!u.l7) return
  const weights = pool.backends.map((b) => b.weight)
  if (isWeighted(algorithmOf(pool)) && weights.some((w) => w !== weights[0])) f.no(CADDY_NO_WEIGHTS, `${at}.backends`)
  if (weights.some((w) => w === 0)) f.no(CADDY_NO_WEIGHTS, `${at}.backends`)
  if (pool.backends.some((b) => b.backup)) f.no('Caddy has no backup upstreams', `${at}.backends`)
  if (pool.proxyProtocol !== undefined) f.no('Caddy 2.6 cannot send PROXY headers to upstreams (2.7 can)', `${at}.proxyProtocol`)
  if (pool.slowStart !== undefined) f.no('Caddy has no slow start', `${at}.slowStart`)
  const hc = pool.healthCheck
  if (hc !== undefined) {
    if (hc.type !== 'http') f.no('Caddy checks upstreams over HTTP only', `${at}.healthCheck.type`)
    if (hc.type === 'http' && (hc.http?.tls !== undefined) !== (pool.tls !== undefined)) f.no("Caddy's checks use the pool's transport: HTTPS checks exactly when the pool speaks TLS", `${at}.healthCheck.http.tls`)
    if (hc.http?.method !== undefined && hc.http.method !== 'GET') f.no('Caddy checks with GET only', `${at}.healthCheck.http.method`)
    if (caddyExpectStatus(hc.http?.expectStatus) === undefined) f.no('Caddy expects one status or one class (2xx) from a check, or 200–399', `${at}.healthCheck.http.expectStatus`)
    f.approx('Caddy 2.6 has no rise and fall counts: one failed check takes a backend out, one passed check brings it back; a checked backend counts down until its first check passes, so the run starts after the first checks', `${at}.healthCheck`)
  }
  if (pool.outlierDetection !== undefined) f.approx('passive checks: max_fails failures within fail_duration (= baseEjectionMs), not consecutively; no maxEjectionPercent', `${at}.outlierDetection`)
  if (pool.retries.attempts > 0 && pool.retries.on.includes('gateway-error')) f.approx('Caddy retries connection failures only, not 502/503 answers', `${at}.retries.on`)
  f.approx('timeouts.responseMs → response_header_timeout, the wait for the response head', `${at}.timeouts.responseMs`)
  if (pool.stickySession !== undefined) f.approx("Caddy's cookie policy: its own cookie value (an HMAC of the upstream address); first requests placed at random, not by the pool's algorithm", `${at}.stickySession`)
  if (pool.maxConnectionsPerBackend > 0) f.approx('max_requests: a full backend is passed over (or the request fails), not queued', `${at}.maxConnectionsPerBackend`)
}

/** Caddy's `expect_status` for the engine's ranges: 0 (its default, 200–399), a class digit, a code; undefined if it has none. */
export function caddyExpectStatus(ranges: readonly (readonly [number, number])[] | undefined): number | undefined {
  if (ranges === undefined || ranges.length === 0) return 0
  if (ranges.length !== 1) return undefined
  const [lo, hi] = ranges[0]!
  if (lo === 200 && hi === 399) return 0
  if (lo === hi) return lo
  if (lo % 100 === 0 && hi === lo + 99) return lo / 100
  return undefined
}
