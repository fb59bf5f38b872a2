import { parseCidr, type LbConfig, type ListenerConfig, type PoolConfig, type RouteSettings } from '../../engine/config/lb-config.js'
import type { AlgorithmName } from '../../engine/balancing/registry.js'
import { integerWeights } from './integer-weights.js'
import { algorithmOf, isKeyed, isWeighted, listenerPools, poolUsage, type PoolUsage } from './pool-usage.js'
import type { Peer } from './peer-types.js'
import { haproxySafeArgument, nginxHeaderNameOk } from './quoting.js'

/**
 * What a peer can do of a configuration. A feature it lacks makes the run skipped (`unsupported`);
 * a close equivalent runs and is listed in `approximations`, so reports say what was compared.
 * Each entry reads `what and why: where`. Limits left at their defaults are not listed: a run
 * does not reach them.
 */
export interface PeerSupport {
  readonly runnable: boolean
  readonly unsupported: string[]
  readonly approximations: string[]
}

/** The largest weight each peer takes (HAProxy: 256; nginx has none, this keeps its sums small). */
export const MAX_WEIGHT: Readonly<Record<Peer, number>> = { haproxy: 256, nginx: 65_536 }

const NAME: Readonly<Record<Peer, string>> = { haproxy: 'HAProxy', nginx: 'nginx' }

type AlgorithmMapping = { readonly approximation?: string } | { readonly unsupported: string }

/** How each peer runs each engine algorithm. */
const ALGORITHMS: Readonly<Record<Peer, Readonly<Record<AlgorithmName, AlgorithmMapping>>>> = {
  haproxy: {
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
  nginx: {
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
}

class Findings {
  readonly unsupported: string[] = []
  readonly approximations: string[] = []
  no(what: string, path: string) {
    this.unsupported.push(`${what}: ${path}`)
  }
  approx(what: string, path: string) {
    if (!this.approximations.includes(`${what}: ${path}`)) this.approximations.push(`${what}: ${path}`)
  }
}

const DEFAULT_LIMITS = { maxConnections: 10_000, maxHeadBytes: 16_384, maxHeaders: 100 }

/** Checks a configuration against what `peer` can run. Pure. */
export function peerSupport(peer: Peer, config: LbConfig): PeerSupport {
  const f = new Findings()
  const usage = poolUsage(config)
  config.listeners.forEach((l, i) => checkListener(peer, config, l, `listeners[${i}]`, f))
  for (const [name, pool] of Object.entries(config.pools)) {
    const u = usage.get(name)!
    if (u.l7 || u.stream || u.udp) checkPool(peer, pool, u, `pools.${name}`, f)
  }
  return { runnable: f.unsupported.length === 0, unsupported: f.unsupported, approximations: f.approximations }
}

function checkListener(peer: Peer, config: LbConfig, l: ListenerConfig, at: string, f: Findings) {
  if (peer === 'haproxy' && l.protocol === 'udp') f.no('HAProxy does not proxy UDP', at)
  if (l.proxyProtocol !== undefined) {
    const p = l.proxyProtocol
    if (p.versions.length < 2) f.approx(`${NAME[peer]} accepts PROXY v1 and v2 alike (no per-version setting)`, `${at}.proxyProtocol.versions`)
    if (peer === 'nginx') {
      if (p.trustedSources.some(coversLoopback)) {
        f.approx('nginx demands a PROXY header from every client and trusts the addresses of trustedSources only (the testbed connects from 127.0.0.0/8, inside them)', `${at}.proxyProtocol`)
      } else {
        f.no('nginx cannot take PROXY headers from some sources and plain connections from others (trustedSources must cover 127.0.0.0/8, where the testbed connects from)', `${at}.proxyProtocol.trustedSources`)
      }
    }
  }
  const limits = l.limits
  if (limits.maxConnections !== DEFAULT_LIMITS.maxConnections) {
    f.approx(peer === 'haproxy' ? 'HAProxy stops accepting at maxconn (the kernel backlog holds the rest) instead of closing new connections' : 'nginx limits connections per worker (worker_connections), for every listener together', `${at}.limits.maxConnections`)
  }
  if (limits.maxHeadBytes !== DEFAULT_LIMITS.maxHeadBytes || limits.maxHeaders !== DEFAULT_LIMITS.maxHeaders) {
    f.approx(peer === 'haproxy' ? 'HAProxy sizes heads by one global buffer (tune.bufsize) and header count (tune.http.maxhdr) for every listener' : 'nginx bounds header lines (large_client_header_buffers), not the head or the header count', `${at}.limits`)
  }
  if (l.protocol === 'tls' && peer === 'nginx') {
    f.approx('nginx sends a connection whose first bytes are not a ClientHello to the default pool (the engine closes it)', at)
    checkNginxStreamPools(config, l, at, f)
  }
  if (l.protocol === 'tcp' || l.protocol === 'udp') return
  if (l.routes === undefined) return
  // Peers' counterparts of the engine's filters are not written yet: a run with filters is skipped, not run unlike.
  if (l.filters !== undefined && l.filters.length > 0) f.no(`${NAME[peer]} configurations do not express the engine's filters yet`, `${at}.filters`)
  if (l.headers.requestId && peer === 'nginx') f.approx('nginx generates X-Request-Id as 32 hex digits ($request_id), not a UUID', `${at}.headers.requestId`)
  l.routes.forEach((r, j) => checkRoute(peer, r, `${at}.routes[${j}]`, f))
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

function checkRoute(peer: Peer, r: RouteSettings, at: string, f: Findings) {
  if (r.filters !== undefined && r.filters.length > 0) f.no(`${NAME[peer]} configurations do not express the engine's filters yet`, `${at}.filters`)
  const m = r.match
  if (m.path !== undefined && 'regex' in m.path) f.approx('regular expressions run on PCRE, not JavaScript (alike for common patterns)', `${at}.match.path.regex`)
  for (const kind of ['headers', 'cookies', 'query'] as const) {
    m[kind]?.forEach((v, k) => {
      const p = `${at}.match.${kind}[${k}]`
      if (v.regex !== undefined) f.approx('regular expressions run on PCRE, not JavaScript (alike for common patterns)', `${p}.regex`)
      if (peer === 'haproxy' && !haproxySafeArgument(v.name)) f.no(`HAProxy cannot take ${JSON.stringify(v.name)} as a sample-fetch argument`, `${p}.name`)
      if (peer === 'nginx' && kind === 'headers') {
        if (!nginxHeaderNameOk(v.name)) f.no(`nginx reads request headers through $http_ variables, which cannot name ${JSON.stringify(v.name)}`, `${p}.name`)
        else if (v.name.includes('_')) f.approx('nginx matches a header name with "_" against "-" too (underscores_in_headers)', `${p}.name`)
        const presence = v.present !== undefined || (v.exact === undefined && v.prefix === undefined && v.regex === undefined)
        if (presence || v.exact === '') f.approx('nginx cannot tell an empty header from a missing one', p)
      }
    })
  }
  if (peer === 'nginx' && r.split !== undefined) {
    const total = r.split.reduce((a, s) => a + s.weight, 0)
    if (!r.split.every((s) => isHundredth((s.weight * 100) / total))) f.approx('nginx split_clients splits in steps of 0.01 %', `${at}.split`)
  }
}

function checkPool(peer: Peer, pool: PoolConfig, u: PoolUsage, at: string, f: Findings) {
  const name = algorithmOf(pool)
  const mapping = ALGORITHMS[peer][name]
  if ('unsupported' in mapping) f.no(mapping.unsupported, `${at}.algorithm`)
  else if (mapping.approximation !== undefined) f.approx(mapping.approximation, `${at}.algorithm`)
  if (name === 'p2c' && peer === 'nginx') {
    const k = (pool.algorithmOptions as { choiceCount?: number }).choiceCount ?? 2
    if (k !== 2) f.no('nginx random draws exactly two (random two)', `${at}.algorithmOptions.choiceCount`)
  }
  if (isKeyed(name)) checkHashKey(peer, pool, at, f)
  if (isWeighted(name) && !integerWeights(pool.backends.map((b) => b.weight), MAX_WEIGHT[peer]).exact) {
    f.approx(`${NAME[peer]} weights are integers up to ${MAX_WEIGHT[peer]}: rescaled and rounded`, `${at}.backends`)
  }
  if (peer === 'nginx' && pool.backends.some((b) => b.backup) && !nginxAllowsBackup(pool)) {
    f.no('nginx forbids backup servers with hash and random balancing', `${at}.backends`)
  }
  if (peer === 'haproxy') checkHaproxyPool(pool, u, at, f)
  else checkNginxPool(pool, u, at, f)
  if (pool.retries.attempts > 0 && pool.retries.budgetPercent < 100) f.approx(`${NAME[peer]} has no retry budget: every request may retry up to attempts`, `${at}.retries.budgetPercent`)
}

function checkHashKey(peer: Peer, pool: PoolConfig, at: string, f: Findings) {
  const key = pool.hashKey
  if (key === undefined) {
    f.approx(`without a hashKey the engine picks at random: ${peer === 'haproxy' ? 'HAProxy balance random(1)' : 'nginx random'}`, `${at}.hashKey`)
    return
  }
  if (key.name === undefined) return
  if (peer === 'haproxy' && !haproxySafeArgument(key.name)) f.no(`HAProxy cannot take ${JSON.stringify(key.name)} as a sample-fetch argument`, `${at}.hashKey.name`)
  if (peer === 'nginx' && key.source === 'header' && !nginxHeaderNameOk(key.name)) f.no(`nginx reads request headers through $http_ variables, which cannot name ${JSON.stringify(key.name)}`, `${at}.hashKey.name`)
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

function checkNginxPool(pool: PoolConfig, u: PoolUsage, at: string, f: Findings) {
  if (pool.healthCheck !== undefined) f.no('nginx (open source) has no active health checks', `${at}.healthCheck`)
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
  if (pool.stickySession !== undefined) f.no('nginx open source has no cookie stickiness (sticky is NGINX Plus)', `${at}.stickySession`)
  if (pool.maxConnectionsPerBackend > 0) f.no('nginx open source cannot queue requests at max_conns (queue is NGINX Plus)', `${at}.maxConnectionsPerBackend`)
  if (pool.slowStart !== undefined) f.no('nginx open source has no slow start (slow_start is NGINX Plus)', `${at}.slowStart`)
}

/** Whether a trusted-source CIDR holds all of 127.0.0.0/8. */
function coversLoopback(cidr: string): boolean {
  const c = parseCidr(cidr)
  if (c === undefined || c.family !== 4 || c.bits > 8) return false
  const first = Number(c.address.split('.')[0])
  return c.bits === 0 || first >> (8 - c.bits) === 127 >> (8 - c.bits)
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
