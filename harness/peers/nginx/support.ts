import type { LbConfig, ListenerConfig, PoolConfig } from '../../../engine/config/lb-config.js'
import type { PeerCapabilities } from '../peer-driver.js'
import { coversLoopback, DEFAULT_LIMITS, type Findings, type PeerChecks } from '../peer-findings.js'
import { algorithmOf, isKeyed, listenerPools, type PoolUsage } from '../pool-usage.js'
import type { FilterConfig } from '../../../engine/l7/filters/filter-config.js'
import { listenerFilters } from '../filter-chains.js'
import { nginxRate } from './filters.js'
import { nginxHeaderNameOk } from './quoting.js'

/** nginx has no largest weight; this keeps its sums small. */
export const NGINX_MAX_WEIGHT = 65_536

/** Why nginx open source leaves runtime changes out. */
export const NGINX_NO_RUNTIME = 'nginx open source has no runtime API: weights and membership change only on reload'

/** What nginx open source (1.22, with its stream module) does of the engine's configuration. */
export const nginxCapabilities: PeerCapabilities = {
  protocols: ['tcp', 'udp', 'tls', 'http', 'https'],
  algorithms: {
    'round-robin': {},
    'smooth-weighted-round-robin': {},
    'weighted-random': {},
    'least-connections': { approximation: 'least-connections → nginx least_conn (active connections per weight; ties by weighted round robin)' },
    p2c: { approximation: "p2c → nginx random two least_conn (two draws by weight, fewer active connections wins; Envoy's EDF for unequal weights is not reproduced)" },
    'peak-ewma': { unsupported: 'nginx open source has no latency-aware balancing (least_time is NGINX Plus)' },
    'ring-hash': { approximation: 'ring-hash → nginx hash … consistent (ketama: 160 points per weight unit, CRC32; ring size options ignored)' },
    maglev: { unsupported: 'nginx has no maglev' },
    rendezvous: { unsupported: 'nginx has no rendezvous (highest-random-weight) hashing' },
  },
  tls: { termination: true, passthroughBySni: true, toBackends: true },
  healthChecks: { active: false, passive: true },
  stickiness: false,
  proxyProtocol: { accept: true, send: ['v1'] },
  runtime: [],
  gatewayFilters: ['header-edits', 'request-id', 'forwarded'],
  // The generated configuration offers HTTP/1.1, as the engine does.
  http2: false,
  maxWeight: NGINX_MAX_WEIGHT,
  reasons: {
    runtime: NGINX_NO_RUNTIME,
    'healthChecks.active': 'nginx (open source) has no active health checks',
    stickiness: 'nginx open source has no cookie stickiness (sticky is NGINX Plus)',
  },
}

/** Whether a percentage has at most two decimals (split_clients' resolution). */
export function isHundredth(percent: number): boolean {
  const h = percent * 100
  return Math.abs(h - Math.round(h)) < 1e-6
}

/** nginx forbids backup servers with hash and random balancing. */
export function nginxAllowsBackup(pool: PoolConfig): boolean {
  const name = algorithmOf(pool)
  return !isKeyed(name) && name !== 'weighted-random' && name !== 'p2c'
}

/** nginx's approximations and limits beyond its capabilities. */
export const nginxChecks: PeerChecks = {
  listener: checkNginxListener,
  valueMatch(kind, v, at, f) {
    if (kind !== 'headers') return
    if (!nginxHeaderNameOk(v.name)) f.no(`nginx reads request headers through $http_ variables, which cannot name ${JSON.stringify(v.name)}`, `${at}.name`)
    else if (v.name.includes('_')) f.approx('nginx matches a header name with "_" against "-" too (underscores_in_headers)', `${at}.name`)
    const presence = v.present !== undefined || (v.exact === undefined && v.prefix === undefined && v.regex === undefined)
    if (presence || v.exact === '') f.approx('nginx cannot tell an empty header from a missing one', at)
  },
  route(r, at, f) {
    if (r.split === undefined) return
    const total = r.split.reduce((a, s) => a + s.weight, 0)
    if (!r.split.every((s) => isHundredth((s.weight * 100) / total))) f.approx('nginx split_clients splits in steps of 0.01 %', `${at}.split`)
  },
  hashKey(pool, at, f) {
    const key = pool.hashKey
    if (key === undefined) return f.approx('without a hashKey the engine picks at random: nginx random', `${at}.hashKey`)
    if (key.name !== undefined && key.source === 'header' && !nginxHeaderNameOk(key.name)) f.no(`nginx reads request headers through $http_ variables, which cannot name ${JSON.stringify(key.name)}`, `${at}.hashKey.name`)
  },
  pool: checkNginxPool,
  filter: checkNginxFilter,
}

/** Why nginx runs no JWT offload here. */
export const NGINX_NO_JWT = 'nginx open source has no JWT verification (auth_jwt is NGINX Plus); auth_request to a verifier would measure that verifier, not nginx'

function checkNginxFilter(c: FilterConfig, l: ListenerConfig, at: string, f: Findings) {
  switch (c.type) {
    case 'security-headers':
      f.approx("nginx's own 400 and 408 (before any location) carry no security headers", at)
      return
    case 'rate-limit': {
      f.approx("limit_req burst=burst−1 nodelay: nginx's leaky bucket admits the same as the engine's token bucket; its 429 has nginx's HTML body, Retry-After fixed at ceil(1/rate) s, no RateLimit-Remaining or -Reset", at)
      if (!nginxRate(c.ratePerS).exact) f.approx('limit_req_zone takes whole requests per second or per minute: the rate is rounded', `${at}.ratePerS`)
      if (c.key.source === 'header' && !nginxHeaderNameOk(c.key.name)) f.no(`nginx reads request headers through $http_ variables, which cannot name ${JSON.stringify(c.key.name)}`, `${at}.key.name`)
      if (c.key.source === 'identity') {
        const { chains, instances } = listenerFilters(l)
        const me = instances.find((x) => x.config === c)!
        const auths = new Set(chains.filter((chain) => chain.includes(me)).map((chain) => chain.slice(0, chain.indexOf(me)).find((x) => x.config.type === 'auth')?.config))
        if (auths.size !== 1) f.no('nginx keys a limit zone by one variable: every route with this limit needs the same auth entry before it', `${at}.key`)
        f.approx('the identity is the API key itself (nginx keeps it in the zone; the engine a digest of it)', `${at}.key`)
      }
      return
    }
    case 'auth':
      if (c.jwt !== undefined) f.no(NGINX_NO_JWT, `${at}.jwt`)
      if (c.apiKeys !== undefined) {
        f.approx("API keys are looked up in an nginx map (a hash, not a constant-time digest compare); the key file is read when the configuration is written", `${at}.apiKeys`)
        if (!nginxHeaderNameOk(c.apiKeys.header)) f.no(`nginx reads request headers through $http_ variables, which cannot name ${JSON.stringify(c.apiKeys.header)}`, `${at}.apiKeys.header`)
        if (c.apiKeys.query !== undefined && !/^[A-Za-z0-9_]+$/.test(c.apiKeys.query)) f.no(`nginx reads query parameters through $arg_ variables, which cannot name ${JSON.stringify(c.apiKeys.query)}`, `${at}.apiKeys.query`)
      }
      if (Object.keys(c.claimsToHeaders).length > 0 && c.jwt === undefined) f.approx("without tokens there are no claims; a client's own headers of those names are passed on", `${at}.claimsToHeaders`)
      return
    case 'access-log':
      f.approx("nginx's log_format: times in seconds (connectS, firstByteS, totalS; no head time), version as HTTP/1.1, backend as its address; no identity or decisions; each line written at once (never dropped)", `${at}.format`)
      if (c.destination === 'stdout') f.approx('nginx writes the stdout log to a file in its run directory: it opens /dev/stdout as a file, and the socket the harness reads its stdout from cannot be opened', `${at}.destination`)
      return
    default:
      // A filter type added to the engine after this driver was written.
      f.no(`nginx configurations do not express the engine's ${(c as { type: string }).type} filter yet`, at)
  }
}

function checkNginxListener(config: LbConfig, l: ListenerConfig, at: string, f: Findings) {
  if (l.proxyProtocol !== undefined) {
    if (l.proxyProtocol.trustedSources.some(coversLoopback)) {
      f.approx('nginx demands a PROXY header from every client and trusts the addresses of trustedSources only (the testbed connects from 127.0.0.0/8, inside them)', `${at}.proxyProtocol`)
    } else {
      f.no('nginx cannot take PROXY headers from some sources and plain connections from others (trustedSources must cover 127.0.0.0/8, where the testbed connects from)', `${at}.proxyProtocol.trustedSources`)
    }
  }
  const limits = l.limits
  if (limits.maxConnections !== DEFAULT_LIMITS.maxConnections) f.approx('nginx limits connections per worker (worker_connections), for every listener together', `${at}.limits.maxConnections`)
  if (limits.maxHeadBytes !== DEFAULT_LIMITS.maxHeadBytes || limits.maxHeaders !== DEFAULT_LIMITS.maxHeaders) {
    f.approx('nginx bounds header lines (large_client_header_buffers), not the head or the header count', `${at}.limits`)
  }
  if (l.protocol === 'tls') {
    f.approx('nginx sends a connection whose first bytes are not a ClientHello to the default pool (the engine closes it)', at)
    checkNginxStreamPools(config, l, at, f)
  }
  if (l.routes !== undefined && l.headers.requestId) f.approx('nginx generates X-Request-Id as 32 hex digits ($request_id), not a UUID', `${at}.headers.requestId`)
}

/** An nginx stream server has one set of proxy_* settings, whichever pool its SNI map chooses. */
function checkNginxStreamPools(config: LbConfig, l: ListenerConfig, at: string, f: Findings) {
  const pools = listenerPools(l).map((p) => config.pools[p]!)
  const [first] = pools
  if (first === undefined || pools.length < 2) return
  if (pools.some((p) => p.proxyProtocol !== first.proxyProtocol)) f.no('one nginx stream server sends PROXY headers to all its pools or none; these pools differ', `${at}.sni`)
  const same = (p: PoolConfig) => p.timeouts.connectMs === first.timeouts.connectMs && p.retries.attempts === first.retries.attempts && p.retries.on.join() === first.retries.on.join()
  if (!pools.every(same)) f.approx(`one nginx stream server has one set of proxy_* settings: pool ${l.pool}'s timeouts and retries apply to every SNI route`, `${at}.sni`)
}

function checkNginxPool(pool: PoolConfig, u: PoolUsage, at: string, f: Findings) {
  const name = algorithmOf(pool)
  if (name === 'p2c') {
    const k = (pool.algorithmOptions as { choiceCount?: number }).choiceCount ?? 2
    if (k !== 2) f.no('nginx random draws exactly two (random two)', `${at}.algorithmOptions.choiceCount`)
  }
  if (pool.backends.some((b) => b.backup) && !nginxAllowsBackup(pool)) f.no('nginx forbids backup servers with hash and random balancing', `${at}.backends`)
  if (pool.outlierDetection !== undefined) f.approx('max_fails/fail_timeout: failures counted within fail_timeout (= baseEjectionMs in whole seconds), not consecutively; fixed ejection time, no maxEjectionPercent', `${at}.outlierDetection`)
  if (pool.proxyProtocol !== undefined) {
    if (u.l7) f.no("nginx's http proxy cannot send a PROXY header to upstreams (only stream can)", `${at}.proxyProtocol`)
    if ((u.stream || u.udp) && pool.proxyProtocol === 'v2') f.no('nginx sends PROXY v1 only (proxy_protocol on)', `${at}.proxyProtocol`)
  }
  if (u.l7) {
    f.approx('timeouts.responseMs → proxy_read_timeout, an inactivity timeout between two reads', `${at}.timeouts.responseMs`)
    if (pool.retries.attempts > 0) f.approx('proxy_next_upstream error timeout: also retries failures after the request was sent (non-idempotent requests excepted)', `${at}.retries`)
    if (pool.keepAlive.maxIdlePerBackend > 0) f.approx('keepalive counts idle connections per upstream, not per backend: maxIdlePerBackend × backends', `${at}.keepAlive`)
    if (pool.tls?.rejectUnauthorized === true && pool.tls.serverName === undefined) f.no('nginx checks one name per upstream (proxy_ssl_name): set tls.serverName', `${at}.tls`)
  }
  if (pool.maxConnectionsPerBackend > 0) f.no('nginx open source cannot queue requests at max_conns (queue is NGINX Plus)', `${at}.maxConnectionsPerBackend`)
  if (pool.slowStart !== undefined) f.no('nginx open source has no slow start (slow_start is NGINX Plus)', `${at}.slowStart`)
}
