import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import type { LbConfig } from '../../../engine/config/lb-config.js'
import { algorithms } from '../../../engine/balancing/registry.js'

/** Small balancer configurations covering one feature each, for support tables and configuration checks. */

/** An HS256 secret with every character a configuration file gives a meaning to. */
export const JWT_SECRET = `s3cret, with (parens) 'quotes' "double" \\ $HOME %d #hash ${'x'.repeat(8)}`

/** A fixed ES256 public key (a configuration check needs a real one; its private half is not needed). */
export const ES256_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX3zDBzdImX4PexNuRf9/iRBsfVBx
oLeYXNpScNNnxYLKSIPQ5H3s09ap94roWLOyKPhO0GtJ5d4tskQIQZ2SRQ==
-----END PUBLIC KEY-----
`

const backends = (n: number, first = 9101, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => ({ id: `b${i + 1}`, host: '127.0.0.1', port: first + i, ...extra }))

/** An http listener sending everything to pool `p`. */
export function l7(pool: Record<string, unknown>, listener: Record<string, unknown> = {}): LbConfig {
  return parseLbConfig({ listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'p' }], ...listener }], pools: { p: { backends: backends(2), ...pool } } }, 'fixture')
}

/** A tcp listener sending everything to pool `p`. */
export function l4(pool: Record<string, unknown>, listener: Record<string, unknown> = {}): LbConfig {
  return parseLbConfig({ listeners: [{ name: 'db', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'p', ...listener }], pools: { p: { backends: backends(2), ...pool } } }, 'fixture')
}

/** Every algorithm the engine has, by canonical name. */
export const ALGORITHMS = Object.keys(algorithms)

/** A certificate pair the tests pass inline (any PEM pair works for configuration checks). */
export interface Pem {
  readonly cert: string
  readonly key: string
}

/** Named feature fixtures. `cert` and `cert2` are certificates for a.test and b.test. */
export function featureFixtures(cert: Pem, cert2: Pem): Record<string, LbConfig> {
  return {
    'udp listener': parseLbConfig({ listeners: [{ name: 'dns', protocol: 'udp', bind: '127.0.0.1:0', pool: 'p' }], pools: { p: { backends: backends(2) } } }, 'fixture'),
    'tls passthrough by SNI': parseLbConfig(
      {
        listeners: [{ name: 'tls', protocol: 'tls', bind: '127.0.0.1:0', pool: 'other', sni: [{ serverNames: ['a.test', '*.b.test'], pool: 'p' }] }],
        pools: { p: { backends: backends(1) }, other: { backends: backends(1, 9201) } },
      },
      'fixture',
    ),
    'https with two certificates': l7({}, { protocol: 'https', tls: { certificates: [cert, cert2] } }),
    'https self-signed': l7({}, { protocol: 'https', tls: { certificates: [{ selfSigned: { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } }] } }),
    'proxy protocol accepted (http)': l7({}, { proxyProtocol: { trustedSources: ['127.0.0.0/8'] } }),
    'proxy protocol accepted (tcp)': l4({}, { proxyProtocol: { trustedSources: ['127.0.0.0/8'] } }),
    'proxy protocol accepted from a narrow source': l4({}, { proxyProtocol: { trustedSources: ['10.0.0.0/8'], versions: ['v2'] } }),
    'proxy protocol v1 to tcp backends': l4({ proxyProtocol: 'v1' }),
    'proxy protocol v2 to tcp backends': l4({ proxyProtocol: 'v2' }),
    'proxy protocol v1 to http backends': l7({ proxyProtocol: 'v1' }),
    'http health check': l7({ healthCheck: { type: 'http', intervalMs: 500, timeoutMs: 200, rise: 1, fall: 2, http: { path: '/ready', expectStatus: [[200, 204], [301, 302]], bodyContains: 'up' } } }),
    'tcp health check': l4({ healthCheck: { type: 'tcp' } }),
    'tls health check': l4({ healthCheck: { type: 'tls', tls: { serverName: 'a.test' } } }),
    'outlier detection with checks': l7({ healthCheck: { type: 'tcp' }, outlierDetection: { consecutiveFailures: 3 } }),
    'outlier detection alone': l7({ outlierDetection: {} }),
    'retries off': l7({ retries: { attempts: 0 } }),
    'retries on gateway errors only': l7({ retries: { attempts: 1, on: ['gateway-error'], budgetPercent: 100 } }),
    'tls to backends': l7({ tls: { serverName: 'api.internal', rejectUnauthorized: false } }),
    'tls to backends, verified by name': l7({ tls: { serverName: 'api.internal', rejectUnauthorized: true } }),
    'tls to backends, verified without a name': l7({ tls: { rejectUnauthorized: true } }),
    'sticky cookie': l7({ stickySession: { cookie: 'lb', maxAgeS: 600 } }),
    'max connections per backend': l7({ maxConnectionsPerBackend: 8 }),
    'slow start': l7({ slowStart: { windowMs: 5000 } }),
    'keep-alive off': l7({ keepAlive: { maxIdlePerBackend: 0 } }),
    'backups and weights': l7({ algorithm: 'smooth-weighted-round-robin', backends: [...backends(2, 9101, { weight: 2.5 }), { id: 'spare', host: '127.0.0.1', port: 9109, backup: true }] }),
    'weight 0': l7({ algorithm: 'smooth-weighted-round-robin', backends: [...backends(2), { id: 'off', host: '127.0.0.1', port: 9109, weight: 0 }] }),
    'backup with hashing': l7({ algorithm: 'ring-hash', hashKey: { source: 'path' }, backends: [...backends(2), { id: 'spare', host: '127.0.0.1', port: 9109, backup: true }] }),
    'p2c with 3 choices': l7({ algorithm: 'p2c', algorithmOptions: { choiceCount: 3 } }),
    'non-default limits': l7({}, { limits: { maxConnections: 100, maxHeadBytes: 8192, maxHeaders: 50 } }),
    'routes: hosts, methods, paths, headers, cookies, query, edits': parseLbConfig(
      {
        listeners: [
          {
            name: 'web',
            protocol: 'http',
            bind: '127.0.0.1:0',
            headers: { request: { add: { 'X-Edge': 'edge' }, remove: ['X-Debug'] }, response: { add: { 'X-Served-By': 'lb' } } },
            routes: [
              { match: { host: ['API.example.com', '*.api.test'], methods: ['GET', 'POST'], path: { prefix: '/v1/' } }, pool: 'api', headers: { request: { add: { 'X-Quote': `it's "50%" $HOME \\ {x};` } }, response: { remove: ['Server'] } } },
              { match: { path: { regex: '/item/[0-9]+' }, headers: [{ name: 'X-Tenant', prefix: 'acme' }, { name: 'X-Debug', present: false }] }, pool: 'api' },
              { match: { path: { exact: '/exact' }, query: [{ name: 'v', regex: '[0-9]+' }], cookies: [{ name: 'beta', exact: '1' }, { name: 'old', present: true, invert: true }] }, pool: 'web' },
              { match: { headers: [{ name: 'X-Canary', exact: 'yes' }] }, split: [{ pool: 'api', weight: 1 }, { pool: 'web', weight: 2 }] },
              { pool: 'web' },
            ],
          },
        ],
        pools: { api: { backends: backends(2) }, web: { backends: backends(1, 9201) } },
      },
      'fixture',
    ),
    'gateway filters: security headers, rate limit, access log': l7(
      {},
      {
        routes: [{ match: { path: { prefix: '/strict' } }, pool: 'p', filters: [{ type: 'security-headers', frameOptions: 'DENY', contentSecurityPolicy: "default-src 'self'", override: true }] }, { pool: 'p' }],
        filters: [{ type: 'security-headers' }, { type: 'rate-limit', ratePerS: 10, burst: 20, key: { source: 'header', name: 'X-Api-Key' } }, { type: 'access-log', format: 'json' }],
      },
    ),
    'auth: JWT and API keys, rate limit by identity': l7(
      {},
      {
        filters: [
          {
            type: 'auth',
            jwt: { keys: [{ alg: 'HS256', secret: JWT_SECRET }, { alg: 'ES256', publicKey: ES256_PUBLIC_KEY }], issuer: 'https://issuer.test', leewayS: 5 },
            apiKeys: { keys: ['fixture-key-0123456789'], query: 'api_key' },
            claimsToHeaders: { sub: 'X-User' },
            requireClaims: { scope: 'read' },
          },
          { type: 'rate-limit', ratePerS: 0.5, burst: 2, key: { source: 'identity' } },
        ],
      },
    ),
    'auth: API keys, rate limit by source': l7(
      {},
      { filters: [{ type: 'auth', apiKeys: { keys: ['fixture-key-0123456789', 'fixture-key-abcdefghij'] } }, { type: 'rate-limit', ratePerS: 100, key: { source: 'source-ip' } }, { type: 'security-headers' }] },
    ),
    'auth: API keys by header or query, rate limit by identity': l7(
      {},
      { filters: [{ type: 'auth', apiKeys: { keys: ['fixture-key-0123456789', '~fixture-key-tilde'], query: 'api_key' } }, { type: 'rate-limit', ratePerS: 2.5, burst: 3, key: { source: 'identity' } }] },
    ),
    'access log to a file, combined': l7({}, { filters: [{ type: 'access-log', format: 'combined', destination: { file: '/tmp/layerbench-access-log-fixture.log' } }] }),
    'header with underscore': l7({}, { routes: [{ match: { headers: [{ name: 'X_Tenant', exact: 'a' }] }, pool: 'p' }, { pool: 'p' }] }),
    'pool on both layers': parseLbConfig(
      {
        listeners: [
          { name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'p' }] },
          { name: 'db', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'p' },
        ],
        pools: { p: { algorithm: 'least-connections', backends: backends(2) } },
      },
      'fixture',
    ),
  }
}

/** Hash-key variants for the hash algorithms. */
export const HASH_KEYS: Record<string, Record<string, unknown>> = {
  'source-ip': { source: 'source-ip' },
  'source-address': { source: 'source-address' },
  header: { source: 'header', name: 'X-User' },
  cookie: { source: 'cookie', name: 'session' },
  path: { source: 'path' },
  query: { source: 'query', name: 'user' },
}

/**
 * In CI (`LAYERBENCH_REQUIRE_PEERS=1`, set by .ci/run after installing them) a missing peer is a
 * failure, not a reason to skip.
 */
export function requirePeer(peer: string, available: { available: boolean; reason?: string }): void {
  if (process.env.LAYERBENCH_REQUIRE_PEERS === '1' && !available.available) throw new Error(`${peer} is required here (LAYERBENCH_REQUIRE_PEERS=1) but not available: ${available.reason ?? 'not installed'}`)
}
