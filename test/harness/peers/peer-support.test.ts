import { describe, expect, it } from 'vitest'
import { issueCertificate } from '../../../engine/tls/self-signed.js'
import { peerSupport, type PeerName as Peer } from '../../../harness/peers/registry.js'
import { ALGORITHMS, featureFixtures, l4, l7 } from './peer-fixtures.js'

/** `runs`: runnable with no entry about the feature; `approx:`/`no:` a substring of the entry expected. */
type Expect = 'runs' | `approx:${string}` | `no:${string}`

function check(peer: Peer, config: Parameters<typeof peerSupport>[1], expected: Expect, where: string) {
  const s = peerSupport(peer, config)
  const about = (list: string[]) => list.filter((e) => e.endsWith(where) || e.includes(`${where}.`) || e.includes(`${where}[`))
  if (expected === 'runs') {
    expect(s.unsupported).toEqual([])
    expect(about(s.approximations)).toEqual([])
  } else if (expected.startsWith('approx:')) {
    expect(s.unsupported).toEqual([])
    expect(s.runnable).toBe(true)
    expect(s.approximations.join('\n')).toContain(expected.slice(7))
  } else {
    expect(s.runnable).toBe(false)
    expect(s.unsupported.join('\n')).toContain(expected.slice(3))
  }
}

const ALGORITHM_TABLE: Record<string, { haproxy: Expect; nginx: Expect }> = {
  'round-robin': { haproxy: 'runs', nginx: 'runs' },
  'smooth-weighted-round-robin': { haproxy: 'approx:smooth-weighted-round-robin → HAProxy roundrobin', nginx: 'runs' },
  'weighted-random': { haproxy: 'approx:HAProxy balance random(1)', nginx: 'runs' },
  'least-connections': { haproxy: 'approx:HAProxy leastconn', nginx: 'approx:nginx least_conn' },
  p2c: { haproxy: 'approx:p2c → HAProxy balance random(N)', nginx: 'approx:p2c → nginx random two least_conn' },
  'peak-ewma': { haproxy: 'no:HAProxy has no latency-aware balancing (peak-ewma): pools.p.algorithm', nginx: 'no:least_time is NGINX Plus' },
  'ring-hash': { haproxy: 'approx:ring-hash → hash-type consistent', nginx: 'approx:ring-hash → nginx hash … consistent' },
  maglev: { haproxy: 'no:HAProxy has no maglev: pools.p.algorithm', nginx: 'no:nginx has no maglev: pools.p.algorithm' },
  rendezvous: { haproxy: 'no:HAProxy has no rendezvous', nginx: 'no:nginx has no rendezvous' },
}

describe('peerSupport: algorithms', () => {
  it('the table covers every algorithm of the registry', () => {
    expect(Object.keys(ALGORITHM_TABLE).sort()).toEqual([...ALGORITHMS].sort())
  })
  for (const [algorithm, row] of Object.entries(ALGORITHM_TABLE)) {
    for (const peer of ['haproxy', 'nginx'] as const) {
      for (const layer of ['l4', 'l7'] as const) {
        it(`${algorithm} on ${peer} (${layer})`, () => {
          const hashKey = ['ring-hash', 'maglev', 'rendezvous'].includes(algorithm) ? { hashKey: { source: 'source-ip' } } : {}
          const config = (layer === 'l4' ? l4 : l7)({ algorithm, ...hashKey })
          check(peer, config, row[peer], 'pools.p.algorithm')
        })
      }
    }
  }
  it('aliases resolve before the table is read', () => {
    expect(peerSupport('haproxy', l7({ algorithm: 'ketama', hashKey: { source: 'path' } })).approximations.join()).toContain('hash-type consistent')
    expect(peerSupport('nginx', l7({ algorithm: 'ewma' })).unsupported.join()).toContain('least_time')
  })
  it('hash algorithms without a key pick at random', () => {
    check('haproxy', l7({ algorithm: 'ring-hash' }), 'approx:HAProxy balance random(1)', 'pools.p.hashKey')
    check('nginx', l7({ algorithm: 'ring-hash' }), 'approx:nginx random', 'pools.p.hashKey')
  })
})

const cert = await issueCertificate(undefined, { commonName: 'a.test', dnsNames: ['a.test'] })
const cert2 = await issueCertificate(undefined, { commonName: 'b.test', dnsNames: ['b.test'] })
const features = featureFixtures(cert, cert2)

const FEATURE_TABLE: Record<string, { where: string; haproxy: Expect; nginx: Expect }> = {
  'udp listener': { where: 'listeners[0]', haproxy: 'no:HAProxy does not proxy UDP: listeners[0]', nginx: 'runs' },
  'tls passthrough by SNI': { where: 'listeners[0]', haproxy: 'runs', nginx: 'approx:not a ClientHello to the default pool' },
  'https with two certificates': { where: 'listeners[0].tls', haproxy: 'runs', nginx: 'runs' },
  'https self-signed': { where: 'listeners[0].tls', haproxy: 'runs', nginx: 'runs' },
  'proxy protocol accepted (http)': { where: 'listeners[0].proxyProtocol', haproxy: 'runs', nginx: 'approx:nginx demands a PROXY header from every client' },
  'proxy protocol accepted (tcp)': { where: 'listeners[0].proxyProtocol', haproxy: 'runs', nginx: 'approx:nginx demands a PROXY header from every client' },
  'proxy protocol accepted from a narrow source': { where: 'listeners[0].proxyProtocol', haproxy: 'approx:accepts PROXY v1 and v2 alike', nginx: 'no:trustedSources must cover 127.0.0.0/8' },
  'proxy protocol v1 to tcp backends': { where: 'pools.p.proxyProtocol', haproxy: 'runs', nginx: 'runs' },
  'proxy protocol v2 to tcp backends': { where: 'pools.p.proxyProtocol', haproxy: 'runs', nginx: 'no:nginx sends PROXY v1 only' },
  'proxy protocol v1 to http backends': { where: 'pools.p.proxyProtocol', haproxy: 'runs', nginx: "no:nginx's http proxy cannot send a PROXY header" },
  'http health check': { where: 'pools.p.healthCheck', haproxy: 'approx:first failed check after start-up', nginx: 'no:nginx (open source) has no active health checks: pools.p.healthCheck' },
  'tcp health check': { where: 'pools.p.healthCheck', haproxy: 'approx:first failed check', nginx: 'no:no active health checks' },
  'tls health check': { where: 'pools.p.healthCheck', haproxy: 'approx:first failed check', nginx: 'no:no active health checks' },
  'outlier detection with checks': { where: 'pools.p.outlierDetection', haproxy: 'approx:on-error mark-down', nginx: 'no:no active health checks' },
  'outlier detection alone': { where: 'pools.p.outlierDetection', haproxy: 'no:need active health checks to bring a server back', nginx: 'approx:max_fails/fail_timeout' },
  'retries off': { where: 'pools.p.retries', haproxy: 'runs', nginx: 'runs' },
  'retries on gateway errors only': { where: 'pools.p.retries.budgetPercent', haproxy: 'runs', nginx: 'runs' },
  'tls to backends': { where: 'pools.p.tls', haproxy: 'runs', nginx: 'runs' },
  'tls to backends, verified by name': { where: 'pools.p.tls', haproxy: 'runs', nginx: 'runs' },
  'tls to backends, verified without a name': { where: 'pools.p.tls', haproxy: 'approx:checks no host name', nginx: 'no:set tls.serverName' },
  'sticky cookie': { where: 'pools.p.stickySession', haproxy: 'approx:cookie insert indirect nocache', nginx: 'no:sticky is NGINX Plus' },
  'max connections per backend': { where: 'pools.p.maxConnectionsPerBackend', haproxy: 'approx:maxconn queues', nginx: 'no:cannot queue requests at max_conns' },
  'slow start': { where: 'pools.p.slowStart', haproxy: 'approx:slowstart: linear ramp', nginx: 'no:slow_start is NGINX Plus' },
  'keep-alive off': { where: 'pools.p.keepAlive', haproxy: 'runs', nginx: 'runs' },
  'backups and weights': { where: 'pools.p.backends', haproxy: 'runs', nginx: 'runs' },
  'weight 0': { where: 'pools.p.backends', haproxy: 'runs', nginx: 'runs' },
  'backup with hashing': { where: 'pools.p.backends', haproxy: 'runs', nginx: 'no:forbids backup servers with hash and random balancing' },
  'p2c with 3 choices': { where: 'pools.p.algorithmOptions', haproxy: 'runs', nginx: 'no:nginx random draws exactly two' },
  'non-default limits': { where: 'listeners[0].limits', haproxy: 'approx:HAProxy stops accepting at maxconn', nginx: 'approx:worker_connections' },
  'routes: hosts, methods, paths, headers, cookies, query, edits': { where: 'listeners[0].routes', haproxy: 'approx:PCRE, not JavaScript', nginx: 'approx:cannot tell an empty header from a missing one' },
  'header with underscore': { where: 'listeners[0].routes[0].match.headers[0]', haproxy: 'runs', nginx: 'approx:underscores_in_headers' },
  'pool on both layers': { where: 'pools.p.algorithm', haproxy: 'approx:HAProxy leastconn', nginx: 'approx:nginx least_conn' },
  'gateway filters: security headers, rate limit, access log': { where: 'listeners[0].filters[1]', haproxy: 'approx:gpc0_rate', nginx: 'approx:limit_req burst=burst−1 nodelay' },
  'auth: JWT and API keys, rate limit by identity': { where: 'listeners[0].filters[0]', haproxy: 'approx:a required claim is matched as text', nginx: 'no:nginx open source has no JWT verification' },
  'auth: API keys, rate limit by source': { where: 'listeners[0].filters[0]', haproxy: 'approx:pattern tree', nginx: 'approx:nginx map' },
  'auth: API keys by header or query, rate limit by identity': { where: 'listeners[0].filters[1].key', haproxy: 'approx:a base64 SHA-256 of the API key', nginx: 'approx:the identity is the API key itself' },
  'access log to a file, combined': { where: 'listeners[0].filters[0]', haproxy: 'no:not to a file', nginx: "approx:nginx's log_format" },
}

describe('peerSupport: features', () => {
  it('the table covers every fixture', () => {
    expect(Object.keys(FEATURE_TABLE).sort()).toEqual(Object.keys(features).sort())
  })
  for (const [name, row] of Object.entries(FEATURE_TABLE)) {
    for (const peer of ['haproxy', 'nginx'] as const) {
      it(`${name} on ${peer}`, () => check(peer, features[name]!, row[peer], row.where))
    }
  }
  it('weights HAProxy cannot hold are rescaled, and said so', () => {
    const s = peerSupport('haproxy', l7({ algorithm: 'smooth-weighted-round-robin', backends: [{ host: '127.0.0.1', port: 1, weight: 1000 }, { host: '127.0.0.1', port: 2, weight: 1 }] }))
    expect(s.approximations.join()).toContain('weights are integers up to 256')
    expect(peerSupport('nginx', l7({ algorithm: 'smooth-weighted-round-robin', backends: [{ host: '127.0.0.1', port: 1, weight: 1000 }, { host: '127.0.0.1', port: 2, weight: 1 }] })).approximations.join()).not.toContain('weights')
  })
  it('nginx split_clients resolution is flagged only when a share needs more than 0.01 %', () => {
    const split = (weights: number[]) =>
      l7({}, { routes: [{ split: weights.map((weight) => ({ pool: 'p', weight })) }] })
    expect(peerSupport('nginx', split([90, 10])).approximations.join()).not.toContain('split_clients')
    expect(peerSupport('nginx', split([1, 2])).approximations.join()).toContain('split_clients splits in steps of 0.01 %')
  })
  it('every entry names where it applies', () => {
    for (const config of Object.values(features)) {
      for (const peer of ['haproxy', 'nginx'] as const) {
        const s = peerSupport(peer, config)
        for (const e of [...s.unsupported, ...s.approximations]) expect(e).toMatch(/: (listeners\[\d+\]|pools\.[\w-]+)[\w.[\]]*$/)
      }
    }
  })
})

describe('engine filters', () => {
  const apiKeys = { type: 'auth', apiKeys: { keys: ['a-key-0123456789abcdef'] } }
  const jwt = (alg: string) => ({ type: 'auth', jwt: { keys: [alg === 'HS256' ? { alg, secret: 'x'.repeat(32) } : { alg, publicKeyFile: '/keys/k.pem' }] } })
  it.each([
    ['haproxy', { type: 'security-headers' }, 'runs'],
    ['nginx', { type: 'security-headers' }, "approx:nginx's own 400 and 408 (before any location) carry no security headers"],
    ['haproxy', { type: 'rate-limit', ratePerS: 5 }, "approx:a stick table's gpc0_rate counts the requests let through"],
    ['nginx', { type: 'rate-limit', ratePerS: 5 }, 'approx:limit_req burst=burst−1 nodelay'],
    ['nginx', { type: 'rate-limit', ratePerS: 0.33 }, 'approx:limit_req_zone takes whole requests per second or per minute: the rate is rounded'],
    ['haproxy', apiKeys, 'approx:HAProxy looks API keys up in its pattern tree'],
    ['nginx', apiKeys, 'approx:API keys are looked up in an nginx map'],
    ['haproxy', jwt('HS256'), 'runs'],
    ['haproxy', jwt('ES256'), 'runs'],
    ['haproxy', jwt('EdDSA'), "no:HAProxy 2.6's jwt_verify has no EdDSA"],
    ['haproxy', { type: 'auth', jwt: { jwksFile: '/keys/jwks.json' } }, "no:HAProxy 2.6's jwt_verify takes one key per call"],
    ['nginx', jwt('HS256'), 'no:nginx open source has no JWT verification (auth_jwt is NGINX Plus)'],
    ['haproxy', { type: 'access-log' }, "approx:HAProxy's log-format fields"],
    ['haproxy', { type: 'access-log', destination: { file: '/var/log/lb.log' } }, 'no:HAProxy writes logs to syslog or to its own stdout/stderr, not to a file'],
    ['nginx', { type: 'access-log', destination: { file: '/var/log/lb.log' } }, "approx:nginx's log_format"],
  ] as const)('%s: %j → %s', (peer, filter, expected) => {
    check(peer, l7({}, { filters: [filter] }), expected, 'listeners[0].filters[0]')
  })
  it('route-level entries are checked at their own path', () => {
    check('nginx', l7({}, { routes: [{ pool: 'p', filters: [jwt('HS256')] }] }), 'no:nginx open source has no JWT verification', 'listeners[0].routes[0].filters[0]')
  })
  it('HAProxy: one access log for the whole listener, at most three rate limits a route', () => {
    const two = { routes: [{ match: { path: { prefix: '/a' } }, pool: 'p', filters: [{ type: 'access-log', format: 'combined' }] }, { pool: 'p' }], filters: [{ type: 'access-log' }] }
    check('haproxy', l7({}, two), 'no:HAProxy logs every request of a frontend with one log-format, or none', 'listeners[0].filters')
    const limits = Array.from({ length: 4 }, (_, i) => ({ type: 'rate-limit', ratePerS: 5, key: { source: 'header', name: `x-k${i}` } }))
    check('haproxy', l7({}, { filters: limits }), 'no:HAProxy 2.6 tracks 3 sticky counters per request', 'listeners[0].filters')
  })
  it('a peer without filter translations (Caddy) still skips any configuration with filters, with the reason', () => {
    const s = peerSupport('caddy', l7({}, { filters: [{ type: 'security-headers' }] }))
    expect(s.unsupported).toEqual(["Caddy configurations do not express the engine's filters yet: listeners[0].filters"])
  })
})
