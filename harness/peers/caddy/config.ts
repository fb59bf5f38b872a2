import { join } from 'node:path'
import { parseEndpoint, type LbConfig, type ListenerConfig, type PoolConfig, type RouteSettings } from '../../../engine/config/lb-config.js'
import { mergeEdits, type HeaderEdits } from '../../../engine/l7/header-edits.js'
import { algorithmOf, backendId, isKeyed } from '../pool-usage.js'
import type { PeerConfigInput, PeerConfigOutput, PeerFile } from '../peer-types.js'
import { pcreAnchored } from '../quoting.js'
import { caddyExpectStatus } from './support.js'

type Json = Record<string, unknown>
type ValueMatch = NonNullable<RouteSettings['match']['headers']>[number]

/** The `@id` of the reverse_proxy handler of route `j` of listener `i`: the admin API reaches its upstreams by it. */
export function caddyHandlerId(listenerIndex: number, routeIndex: number): string {
  return `lb-l${listenerIndex}-r${routeIndex}`
}

/** Every reverse_proxy handler of a pool, by `@id`, in configuration order. */
export function caddyPoolHandlers(config: LbConfig): Map<string, string[]> {
  const out = new Map<string, string[]>(Object.keys(config.pools).map((p) => [p, []]))
  config.listeners.forEach((l, i) => l.routes?.forEach((r, j) => r.pool !== undefined && out.get(r.pool)?.push(caddyHandlerId(i, j))))
  return out
}

/** An upstream as Caddy dials it. */
export function caddyDial(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Caddy durations: Go's `1500ms`. */
function d(ms: number): string {
  return `${Math.round(ms)}ms`
}

/** A literal for a Caddy value where `{…}` are placeholders (its replacer unescapes `\\{` and `\\}` only). */
export function caddyLiteral(s: string): string {
  return s.replace(/[{}]/g, '\\$&')
}

/**
 * A Caddy 2.6 JSON configuration for `input.config`: one HTTP server per listener with its
 * routes in order (first match wins, a 404 after them), a reverse_proxy per route tagged with an
 * `@id` for runtime changes, certificates loaded from their files with automatic HTTPS off, and the admin
 * API on `input.adminPort`. Pure: the certificates come resolved in the input.
 */
export function caddyConfig(input: PeerConfigInput): PeerConfigOutput {
  const { config, dir } = input
  if (input.adminPort === undefined) throw new Error('Caddy needs an admin port')
  const servers: Json = {}
  const certificates: Json[] = []
  const files: PeerFile[] = []
  config.listeners.forEach((l, i) => {
    const port = input.ports[l.name]
    if (port === undefined) throw new Error(`no port for listener ${l.name}`)
    const server: Json = {
      listen: [caddyDial(parseEndpoint(l.bind)!.host, port)],
      // HTTP/1.1 only, as the engine; h3 would also bind a UDP port.
      protocols: ['h1'],
      automatic_https: { disable: true },
      idle_timeout: d(l.timeouts.idleMs),
      read_header_timeout: d(l.timeouts.requestHeadMs),
      max_header_bytes: l.limits.maxHeadBytes,
      routes: [...(l.routes ?? []).map((r, j) => route(config, l, r, i, j)), { handle: [{ handler: 'static_response', status_code: 404, body: 'no route matches this request' }] }],
    }
    if (l.protocol === 'https') {
      const tag = `listener-${i}`
      const certs = input.certificates?.[l.name] ?? []
      if (certs.length === 0) throw new Error(`no certificates resolved for listener ${l.name}`)
      certs.forEach((c, k) => {
        const certificate = join(dir, `listener${i}-cert${k}.pem`)
        const key = join(dir, `listener${i}-key${k}.pem`)
        files.push({ path: certificate, content: c.cert }, { path: key, content: c.key, secret: true })
        certificates.push({ certificate, key, tags: [tag] })
      })
      server.tls_connection_policies = [{ certificate_selection: { any_tag: [tag] }, alpn: ['http/1.1'] }]
    }
    servers[`listener-${l.name}`] = server
  })
  const doc: Json = {
    admin: { listen: `127.0.0.1:${input.adminPort}`, config: { persist: false } },
    storage: { module: 'file_system', root: join(dir, 'data') },
    logging: { logs: { default: { level: 'ERROR' } } },
    apps: {
      http: { servers },
      ...(certificates.length > 0 ? { tls: { certificates: { load_files: certificates }, automation: { policies: [{ on_demand: false }] } } } : {}),
    },
  }
  const configPath = join(dir, 'caddy.json')
  const text = `${JSON.stringify(doc, null, 2)}\n`
  return { configPath, text, files: [{ path: configPath, content: text }, ...files] }
}

function route(config: LbConfig, l: ListenerConfig, r: RouteSettings, i: number, j: number): Json {
  const pool = config.pools[r.pool!]!
  const handle: Json[] = []
  const request = mergeEdits(l.headers.request, r.headers?.request)
  const response = mergeEdits(l.headers.response, r.headers?.response)
  const extra: Record<string, string[]> = {}
  if (l.headers.forwarded) extra['X-Real-IP'] = ['{http.request.remote.host}']
  if (l.headers.requestId && !request.remove.has('x-request-id')) extra['X-Request-Id'] = ['{http.request.uuid}']
  const edits = headerOps(request, extra)
  const answer = headerOps(response, {})
  if (edits !== undefined || answer !== undefined) handle.push({ handler: 'headers', ...(edits === undefined ? {} : { request: edits }), ...(answer === undefined ? {} : { response: { ...answer, deferred: true } }) })
  handle.push(reverseProxy(pool, caddyHandlerId(i, j)))
  const match = matchSet(r)
  return { ...(Object.keys(match).length > 0 ? { match: [match] } : {}), handle, terminal: true }
}

function headerOps(edits: HeaderEdits, extra: Record<string, string[]>): Json | undefined {
  const set: Record<string, string[]> = { ...extra }
  for (const h of edits.add) set[h.name] = [caddyLiteral(h.value)]
  const setNames = new Set(Object.keys(set).map((n) => n.toLowerCase()))
  const remove = [...edits.remove].filter((n) => !setNames.has(n))
  if (Object.keys(set).length === 0 && remove.length === 0) return undefined
  return { ...(Object.keys(set).length > 0 ? { set } : {}), ...(remove.length > 0 ? { delete: remove } : {}) }
}

/** One Caddy matcher set: every condition of the route (they all must hold). */
function matchSet(r: RouteSettings): Json {
  const m = r.match
  const out: Json = {}
  const not: Json[] = []
  const hosts = m.host === undefined ? [] : Array.isArray(m.host) ? m.host : [m.host]
  if (hosts.length > 0 && !hosts.includes('*')) out.host = hosts.map((h) => h.toLowerCase())
  if (m.methods !== undefined) out.method = [...m.methods]
  if (m.path !== undefined) {
    const p = m.path
    if ('prefix' in p) out.path = [`${p.prefix}*`]
    else if ('exact' in p) out.path = [p.exact]
    else out.path_regexp = { pattern: pcreAnchored(p.regex) }
  }
  const header: Record<string, string[]> = {}
  const headerRegexp: Record<string, Json> = {}
  for (const v of m.headers ?? []) {
    const negate = (v.present === false && v.exact === undefined && v.prefix === undefined && v.regex === undefined) !== (v.invert === true)
    const target = negate ? { header: {} as Record<string, string[]>, header_regexp: {} as Record<string, Json> } : { header, header_regexp: headerRegexp }
    valueCondition(v, target.header, target.header_regexp)
    if (negate) not.push(Object.fromEntries(Object.entries(target).filter(([, x]) => Object.keys(x).length > 0)))
  }
  if (Object.keys(header).length > 0) out.header = header
  if (Object.keys(headerRegexp).length > 0) out.header_regexp = headerRegexp
  const query: Record<string, string[]> = {}
  for (const q of m.query ?? []) query[q.name] = [q.exact === undefined ? '*' : q.exact]
  if (Object.keys(query).length > 0) out.query = query
  if (not.length > 0) out.not = not
  return out
}

function valueCondition(v: ValueMatch, header: Record<string, string[]>, regexp: Record<string, Json>) {
  if (v.exact !== undefined) header[v.name] = [v.exact]
  else if (v.prefix !== undefined) header[v.name] = [`${v.prefix}*`]
  else if (v.regex !== undefined) regexp[v.name] = { pattern: pcreAnchored(v.regex) }
  else header[v.name] = ['*']
}

/** The reverse_proxy of a pool: its upstreams, policy, checks, transport. */
export function reverseProxy(pool: PoolConfig, id: string): Json {
  const out: Json = {
    handler: 'reverse_proxy',
    '@id': id,
    upstreams: pool.backends.map((b) => upstream(pool, b.host, b.port)),
    load_balancing: loadBalancing(pool),
    transport: transport(pool),
  }
  const checks: Json = {}
  const hc = pool.healthCheck
  if (hc !== undefined) {
    const h = hc.http
    const status = caddyExpectStatus(h?.expectStatus)
    checks.active = {
      uri: h?.path ?? '/health',
      interval: d(hc.intervalMs),
      timeout: d(hc.timeoutMs),
      ...(status === undefined || status === 0 ? {} : { expect_status: status }),
      ...(h?.bodyContains === undefined ? {} : { expect_body: h.bodyContains.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') }),
      ...(h?.host === undefined ? {} : { headers: { Host: [h.host] } }),
    }
  }
  const od = pool.outlierDetection
  if (od !== undefined) checks.passive = { fail_duration: d(od.baseEjectionMs), max_fails: od.consecutiveFailures, unhealthy_status: [502, 503, 504] }
  if (Object.keys(checks).length > 0) out.health_checks = checks
  return out
}

/** One upstream entry (also what the admin API appends at runtime). */
export function upstream(pool: PoolConfig, host: string, port: number): Json {
  return { dial: caddyDial(host, port), ...(pool.maxConnectionsPerBackend > 0 ? { max_requests: pool.maxConnectionsPerBackend } : {}) }
}

function loadBalancing(pool: PoolConfig): Json {
  const r = pool.retries
  const retries = r.attempts > 0 && r.on.includes('connect-failure') ? { retries: r.attempts } : {}
  return { selection_policy: policy(pool), ...retries }
}

function policy(pool: PoolConfig): Json {
  const s = pool.stickySession
  if (s !== undefined) return { policy: 'cookie', name: s.cookie, secret: s.secret ?? '' }
  const algorithm = algorithmOf(pool)
  switch (algorithm) {
    case 'round-robin':
    case 'smooth-weighted-round-robin':
      return { policy: 'round_robin' }
    case 'weighted-random':
      return { policy: 'random' }
    case 'least-connections':
      return { policy: 'least_conn' }
    case 'p2c':
      return { policy: 'random_choose', choose: (pool.algorithmOptions as { choiceCount?: number }).choiceCount ?? 2 }
    default:
      break
  }
  if (!isKeyed(algorithm)) throw new Error(`Caddy cannot run ${algorithm}`)
  const key = pool.hashKey
  if (key === undefined) return { policy: 'random' }
  switch (key.source) {
    case 'header':
      return { policy: 'header', field: key.name }
    case 'path':
      return { policy: 'uri_hash' }
    case 'source-ip':
      return { policy: 'ip_hash' }
    default:
      throw new Error(`Caddy cannot hash by ${key.source}`)
  }
}

function transport(pool: PoolConfig): Json {
  const ka = pool.keepAlive
  const out: Json = {
    protocol: 'http',
    dial_timeout: d(pool.timeouts.connectMs),
    response_header_timeout: d(pool.timeouts.responseMs),
    keep_alive: ka.maxIdlePerBackend > 0 ? { enabled: true, max_idle_conns_per_host: ka.maxIdlePerBackend, idle_timeout: d(ka.idleTimeoutMs) } : { enabled: false },
  }
  const tls = pool.tls
  if (tls !== undefined) {
    out.tls = {
      ...(tls.serverName === undefined ? {} : { server_name: tls.serverName }),
      ...(tls.rejectUnauthorized ? (tls.caFile === undefined ? {} : { root_ca_pem_files: [tls.caFile] }) : { insecure_skip_verify: true }),
    }
  }
  return out
}

/** Backend ids of a pool in upstream order, as the configuration lists them. */
export function caddyUpstreamIds(pool: PoolConfig): string[] {
  return pool.backends.map(backendId)
}
