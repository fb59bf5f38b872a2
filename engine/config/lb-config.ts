import { isIP } from 'node:net'
import { z } from 'zod'
import { algorithmNames, resolveAlgorithmName } from '../balancing/registry.js'
import { configureAlgorithm } from '../balancing/create-picker.js'
import { EngineError } from '../errors.js'
import { bindConflicts, type BindRequest } from './bind-conflicts.js'
import { checkHealthCheckRules, healthCheckFields } from '../health/health-check-config.js'
import { chainProblems } from '../l7/filters/chain-checks.js'
import { filterConfigSchema } from '../l7/filters/filter-config.js'

/** `host:port` or `[v6]:port`; port 0 binds an ephemeral port (the engine reports the one it got). */
const endpoint = z.string().refine((s) => parseEndpoint(s) !== undefined, { message: 'expected host:port (IPv6 as [::1]:port)' })

/** Splits `host:port` / `[v6]:port` (port 0–65535); `undefined` when malformed. */
export function parseEndpoint(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(s)
  if (m === null) return undefined
  const host = m[1] ?? m[2]!
  const port = Number(m[3])
  if (port > 65_535) return undefined
  if (m[1] !== undefined && isIP(host) !== 6) return undefined
  return { host, port }
}

const ms = (max: number) => z.number().int().min(1).max(max)
const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected an HTTP header name')
const headerEdits = z.strictObject({
  /** Headers set on the message (replacing any of the same name). */
  add: z.record(headerName, z.string().regex(/^[^\r\n\0]*$/, 'header values cannot contain CR, LF or NUL')).default({}),
  /** Headers removed from the message. */
  remove: z.array(headerName).default([]),
})

const valueMatch = z
  .strictObject({
    name: z.string().min(1),
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: z.string().optional(),
    present: z.boolean().optional(),
    invert: z.boolean().optional(),
  })
  .refine((m) => [m.exact, m.prefix, m.regex, m.present].filter((x) => x !== undefined).length <= 1, {
    message: 'use at most one of exact, prefix, regex, present',
  })

const pathMatch = z.union([z.strictObject({ prefix: z.string().startsWith('/') }), z.strictObject({ exact: z.string().startsWith('/') }), z.strictObject({ regex: z.string().min(1) })])

const routeSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    match: z
      .strictObject({
        host: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
        path: pathMatch.optional(),
        methods: z.array(z.string().regex(/^[A-Z]+$/, 'methods are upper-case tokens')).min(1).optional(),
        headers: z.array(valueMatch).optional(),
        cookies: z.array(valueMatch).optional(),
        query: z.array(valueMatch).optional(),
      })
      .default({}),
    /** Send every matching request to this pool… */
    pool: z.string().min(1).optional(),
    /** …or split them between pools by weight (a canary: [{pool: stable, weight: 95}, {pool: canary, weight: 5}]). */
    split: z
      .array(z.strictObject({ pool: z.string().min(1), weight: z.number().positive().max(1_000_000) }))
      .min(1)
      .optional(),
    headers: z.strictObject({ request: headerEdits.optional(), response: headerEdits.optional() }).optional(),
    /** Filters of this route: an entry replaces the listener's entry of the same type; others run after the listener's. */
    filters: z.array(filterConfigSchema).optional(),
  })
  .refine((r) => (r.pool === undefined) !== (r.split === undefined), { message: 'a route needs exactly one of pool or split' })

const certificateSchema = z.union([
  z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }),
  z.strictObject({ cert: z.string().includes('BEGIN CERTIFICATE'), key: z.string().includes('PRIVATE KEY') }),
  /** A throw-away certificate generated at start-up, for tests and demos. */
  z.strictObject({ selfSigned: z.strictObject({ dnsNames: z.array(z.string().min(1)).min(1), ipAddresses: z.array(z.string().refine((s) => isIP(s) !== 0, 'expected an IP address')).default([]) }) }),
])

const proxyProtocolAccept = z.strictObject({
  /** Versions accepted from downstream. */
  versions: z.array(z.enum(['v1', 'v2'])).min(1).default(['v1', 'v2']),
  /**
   * Networks (CIDR) whose connections must start with a PROXY header; from anywhere else no
   * header is read, so a client cannot forge its address (its bytes reach the backend as sent).
   */
  trustedSources: z.array(z.string().refine((s) => parseCidr(s) !== undefined, 'expected a CIDR such as 127.0.0.0/8')).min(1),
})

/** One listener, as in `lb.yaml` (scenarios compose their balancer section from it). */
export const listenerSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'names are letters, digits, - and _'),
  /** tcp, udp, tls (TLS passthrough: route by SNI without terminating) are layer 4; http, https (terminated) are layer 7. */
  protocol: z.enum(['tcp', 'udp', 'tls', 'http', 'https']),
  /** Optional; must agree with the protocol when given. */
  layer: z.union([z.literal(4), z.literal(7)]).optional(),
  bind: endpoint,
  /** Layer 4: the pool every connection goes to (tls: the pool for connections without a matching SNI). */
  pool: z.string().min(1).optional(),
  /** tls: route by the ClientHello's server name. Names are exact or `*.suffix`. */
  sni: z.array(z.strictObject({ serverNames: z.array(z.string().min(1)).min(1), pool: z.string().min(1) })).optional(),
  /** Layer 7: ordered routes, first match wins. */
  routes: z.array(routeSchema).optional(),
  /** https: certificates, chosen by SNI among their names (the first is the default). */
  tls: z.strictObject({ certificates: z.array(certificateSchema).min(1) }).optional(),
  proxyProtocol: proxyProtocolAccept.optional(),
  /** Layer 7 filters of every route (security-headers, …), in order; also shape the listener's own answers. */
  filters: z.array(filterConfigSchema).optional(),
  /** Layer 7 header handling. */
  headers: z
    .strictObject({
      /** X-Forwarded-For (appended), X-Forwarded-Proto, X-Forwarded-Host, X-Real-IP. */
      forwarded: z.boolean().default(true),
      /** X-Request-Id: passed on when present, generated when absent. */
      requestId: z.boolean().default(true),
      request: headerEdits.optional(),
      response: headerEdits.optional(),
    })
    .prefault({}),
  /**
   * Layer 7 HTTP/2 towards clients: ALPN `h2` on https, h2c with prior knowledge on http (told from
   * HTTP/1.1 on the same port by the connection preface). Windows are raised above Node's 64 KB
   * defaults so one stream can fill a fast link; headers obey `limits` as HTTP/1.1 heads do.
   */
  http2: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** SETTINGS_MAX_CONCURRENT_STREAMS a client may open on one connection. */
      maxConcurrentStreams: z.number().int().min(1).max(2_147_483_647).default(256),
      /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a client may send on one stream before it is read. */
      initialWindowSize: z.number().int().min(65_535).max(2_147_483_647).default(1_048_576),
      /** The connection's receive window (all streams together). */
      connectionWindowSize: z.number().int().min(65_535).max(2_147_483_647).default(8_388_608),
      /** SETTINGS_MAX_FRAME_SIZE. */
      maxFrameSize: z.number().int().min(16_384).max(16_777_215).default(16_384),
      /** Stream resets a client may cause per session (RST_STREAM sent or received) before the session is closed (HTTP/2 Rapid Reset, CVE-2023-44487). */
      maxResetsPerSession: z.number().int().min(1).max(1_000_000).default(1000),
      /**
       * Age after which a client connection is sent GOAWAY (its streams finish, the client
       * reconnects), so a layer 4 tier in front can rebalance (gRFC A9 MAX_CONNECTION_AGE); unset: never.
       */
      maxConnectionAgeMs: ms(86_400_000).optional(),
      /** Each connection's age varies by up to this share either way, so connections opened together do not all go at once. */
      maxConnectionAgeJitter: z.number().min(0).max(0.5).default(0.1),
      /** After that GOAWAY, how long its streams may still run before the connection is closed (gRFC A9 MAX_CONNECTION_AGE_GRACE); unset: as long as they take. */
      maxConnectionAgeGraceMs: ms(86_400_000).optional(),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
      maxHeadBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
      maxHeaders: z.number().int().min(8).max(1000).default(100),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      /** Idle connection (no bytes either way), and UDP flow expiry. */
      idleMs: ms(86_400_000).default(60_000),
      /**
       * Layer 7: time to receive a request head (slowloris guard): the first from the accept, so a
       * connection that never sends a byte is closed by it; later ones from their first byte.
       */
      requestHeadMs: ms(600_000).default(10_000),
      /** Layer 4 TLS / PROXY: time to receive the ClientHello or PROXY header. */
      handshakeMs: ms(600_000).default(5_000),
      /**
       * Layer 7: once the balancer has answered and closed its side while the client is still
       * sending (a refused upload), how long it goes on reading and discarding before it resets the
       * connection. Closing at once with unread bytes would reset it and could lose the answer
       * (nginx's lingering close, lingering_time 30 s); without a bound, a client could stream forever.
       */
      lingerMs: ms(600_000).default(30_000),
    })
    .prefault({}),
})

const healthCheckSchema = z
  .strictObject({
    ...healthCheckFields,
    /** Consecutive passing checks that bring a backend back (HAProxy `rise`). */
    rise: z.number().int().min(1).max(100).default(2),
    /** Consecutive failing checks that take a backend out (HAProxy `fall`). */
    fall: z.number().int().min(1).max(100).default(3),
    /** State before the first check (HAProxy starts healthy; Envoy waits for a check). */
    initial: z.enum(['healthy', 'unhealthy']).default('healthy'),
  })
  .superRefine(checkHealthCheckRules)

/** One pool, as in `lb.yaml` (scenarios replace its backends with a group reference). */
export const poolSchema = z.strictObject({
  algorithm: z.string().min(1).default('round-robin'),
  algorithmOptions: z.record(z.string(), z.unknown()).default({}),
  /** Key for hash algorithms and hash stickiness. Layer 4 listeners can only use the source. */
  hashKey: z
    .strictObject({
      source: z.enum(['source-ip', 'source-address', 'header', 'cookie', 'path', 'query']),
      /** Header, cookie or query parameter name. */
      name: z.string().min(1).optional(),
    })
    .refine((k) => !['header', 'cookie', 'query'].includes(k.source) || k.name !== undefined, { message: 'header, cookie and query keys need a name' })
    .optional(),
  backends: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(256).optional(),
        host: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65_535),
        weight: z.number().min(0).max(1_000_000).default(1),
        backup: z.boolean().default(false),
      }),
    )
    .min(1),
  healthCheck: healthCheckSchema.optional(),
  outlierDetection: z
    .strictObject({
      consecutiveFailures: z.number().int().min(1).max(1000).default(5),
      baseEjectionMs: ms(3_600_000).default(30_000),
      maxEjectionMs: ms(86_400_000).default(300_000),
      maxEjectionPercent: z.number().min(0).max(100).default(10),
    })
    .optional(),
  retries: z
    .strictObject({
      /** Further attempts after the first, each on a backend not yet tried. */
      attempts: z.number().int().min(0).max(10).default(2),
      /** What is retried: connect failures (both layers); 502/503 answers to idempotent requests without a body (layer 7). */
      on: z.array(z.enum(['connect-failure', 'gateway-error'])).default(['connect-failure', 'gateway-error']),
      budgetPercent: z.number().min(0).max(100).default(20),
      minRetriesPerSecond: z.number().min(0).max(10_000).default(3),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      connectMs: ms(600_000).default(1000),
      /** Layer 7: from request sent to response head received. */
      responseMs: ms(3_600_000).default(15_000),
      idleMs: ms(86_400_000).default(60_000),
    })
    .prefault({}),
  /** PROXY protocol header sent to every backend connection. */
  proxyProtocol: z.enum(['v1', 'v2']).optional(),
  /** Layer 7: TLS to the backends (re-encryption after termination). */
  tls: z.strictObject({ serverName: z.string().optional(), rejectUnauthorized: z.boolean().default(false), caFile: z.string().optional() }).optional(),
  /** Layer 7 sticky sessions by cookie: set on the first response, honoured while the backend is ready. */
  stickySession: z
    .strictObject({
      cookie: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name'),
      maxAgeS: z.number().int().min(1).optional(),
      httpOnly: z.boolean().default(true),
      secret: z.string().default('layerbench'),
    })
    .optional(),
  keepAlive: z
    .strictObject({ maxIdlePerBackend: z.number().int().min(0).max(100_000).default(128), idleTimeoutMs: ms(3_600_000).default(30_000) })
    .prefault({}),
  /**
   * Layer 7: the protocol spoken to the backends. `h2`: HTTP/2 (h2c, or over TLS with `tls`),
   * requests multiplexed as streams on a few sessions per backend; gRPC backends need it.
   */
  protocol: z.enum(['http1', 'h2']).default('http1'),
  /** Layer 7 upstream HTTP/2 sessions (with `protocol: h2`). */
  http2: z
    .strictObject({
      /** Sessions open to one backend at once; further streams wait for room on one. */
      maxSessionsPerBackend: z.number().int().min(1).max(10_000).default(4),
      /** Streams placed on one session at most, below the backend's own SETTINGS_MAX_CONCURRENT_STREAMS. */
      maxStreamsPerSession: z.number().int().min(1).max(2_147_483_647).default(100),
      /** Requests after which a session is retired (drained with GOAWAY, a fresh one opened); 0: never. */
      maxRequestsPerSession: z.number().int().min(0).max(2_147_483_647).default(0),
      /** Age after which a session is retired; unset: never. */
      maxSessionAgeMs: ms(86_400_000).optional(),
      /** SETTINGS_INITIAL_WINDOW_SIZE offered to the backend (response bytes per stream in flight). */
      initialWindowSize: z.number().int().min(65_535).max(2_147_483_647).default(1_048_576),
      /** The session's receive window, all streams together. */
      connectionWindowSize: z.number().int().min(65_535).max(2_147_483_647).default(8_388_608),
    })
    .prefault({}),
  /** Most connections open to one backend at once (0: no limit); more requests wait for one. */
  maxConnectionsPerBackend: z.number().int().min(0).max(1_000_000).default(0),
  slowStart: z.strictObject({ windowMs: ms(3_600_000), aggression: z.number().positive().max(100).default(1), minWeightPercent: z.number().min(1).max(100).default(10) }).optional(),
})

/** The reference balancer's configuration (`lb.yaml`). */
export const lbConfigSchema = z
  .strictObject({
    /**
     * The admin API (stats, metrics, events, run-time changes). Off when left out. It has no TLS:
     * keep it on loopback; beyond loopback the engine warns, and a `token` should guard changes.
     */
    admin: z
      .strictObject({
        listen: endpoint,
        /** Bearer token required by every request that changes something (not GET/HEAD). */
        token: z.string().min(16, 'use at least 16 characters').max(4096).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
      })
      .optional(),
    listeners: z.array(listenerSchema).min(1),
    pools: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'pool names are letters, digits, - and _'), poolSchema),
  })
  // The cross-field checks run even when other values have the wrong type (`when`), so every
  // problem is reported at once: they read the value defensively and check only what is well-formed.
  .superRefine(
    (value, ctx) => {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message })
      crossFieldChecks(value, issue)
      for (const c of bindConflicts(bindRequests(value))) issue([...c.path], c.message)
    },
    { when: () => true },
  )

type Issue = (path: (string | number)[], message: string) => void
type Loose = Record<string, unknown>
const asObject = (x: unknown): Loose | undefined => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Loose) : undefined)
const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? x : [])
const asString = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined)
const protocols: readonly string[] = listenerSchema.shape.protocol.options

/**
 * Checks that span fields (pool references, layer rules, backend ids, …) on a configuration that
 * may not be valid: a field of the wrong type is skipped here, its own issue says what is wrong.
 */
function crossFieldChecks(value: unknown, issue: Issue): void {
  const config = asObject(value) ?? {}
  const pools = asObject(config.pools)
  const poolRef = (path: (string | number)[], name: unknown) => {
    if (pools !== undefined && typeof name === 'string' && !Object.hasOwn(pools, name)) issue(path, `no pool named "${name}" (pools: ${Object.keys(pools).join(', ') || 'none'})`)
  }
  const names = new Set<string>()
  asArray(config.listeners).forEach((raw, i) => {
    const l = asObject(raw)
    if (l === undefined) return
    const at = (...p: (string | number)[]) => ['listeners', i, ...p]
    const name = asString(l.name)
    if (name !== undefined && names.has(name)) issue(at('name'), `duplicate listener name "${name}"`)
    if (name !== undefined) names.add(name)
    const protocol = typeof l.protocol === 'string' && protocols.includes(l.protocol) ? (l.protocol as ListenerConfig['protocol']) : undefined
    const layer = protocol === undefined ? undefined : listenerLayer(protocol)
    if (layer !== undefined && (l.layer === 4 || l.layer === 7) && l.layer !== layer) issue(at('layer'), `protocol ${protocol} is layer ${layer}`)
    if (layer === 4) {
      if (l.routes !== undefined) issue(at('routes'), 'routes are for http and https listeners')
      if (l.filters !== undefined) issue(at('filters'), 'filters are for http and https listeners')
      if (l.pool === undefined) issue(at('pool'), `a ${protocol} listener needs a pool${protocol === 'tls' ? ' (for connections without a matching SNI)' : ''}`)
      if (l.sni !== undefined && protocol !== 'tls') issue(at('sni'), 'sni routing needs protocol tls')
      if (l.tls !== undefined) issue(at('tls'), 'certificates are for https listeners; protocol tls passes TLS through untouched')
      if (protocol === 'udp' && l.proxyProtocol !== undefined) issue(at('proxyProtocol'), 'PROXY protocol is accepted on stream listeners only')
    } else if (layer === 7) {
      if (l.routes === undefined || (Array.isArray(l.routes) && l.routes.length === 0)) issue(at('routes'), 'an http or https listener needs at least one route')
      if (l.pool !== undefined) issue(at('pool'), 'http and https listeners send requests by their routes; use a route with match {} for a default')
      if (l.sni !== undefined) issue(at('sni'), 'sni routing is for tls passthrough listeners; https chooses certificates by SNI itself')
      if (protocol === 'https' && l.tls === undefined) issue(at('tls'), 'an https listener needs tls.certificates')
      if (protocol === 'http' && l.tls !== undefined) issue(at('tls'), 'certificates need protocol https')
    }
    poolRef(at('pool'), l.pool)
    asArray(l.sni).forEach((s, j) => poolRef(at('sni', j, 'pool'), asObject(s)?.pool))
    asArray(l.routes).forEach((raw, j) => {
      const r = asObject(raw)
      if (r === undefined) return
      poolRef(at('routes', j, 'pool'), r.pool)
      for (const p of chainProblems(asArray(l.filters), asArray(r.filters))) {
        const k = asArray(r.filters).indexOf(p.entry)
        issue(k >= 0 ? at('routes', j, 'filters', k) : at('filters', asArray(l.filters).indexOf(p.entry)), `${p.message} (route ${asString(r.name) ?? j})`)
      }
      asArray(r.split).forEach((s, k) => poolRef(at('routes', j, 'split', k, 'pool'), asObject(s)?.pool))
      const match = asObject(r.match)
      const pathRegex = asString(asObject(match?.path)?.regex)
      if (pathRegex !== undefined) checkRegex(pathRegex, at('routes', j, 'match', 'path', 'regex'), issue)
      for (const kind of ['headers', 'cookies', 'query'] as const) {
        asArray(match?.[kind]).forEach((m, k) => {
          const regex = asString(asObject(m)?.regex)
          if (regex !== undefined) checkRegex(regex, at('routes', j, 'match', kind, k, 'regex'), issue)
        })
      }
    })
    // Layer 4 listeners see no HTTP: their pools can only hash on the connection's source.
    if (layer === 4 && pools !== undefined) {
      const used = [l.pool, ...asArray(l.sni).map((s) => asObject(s)?.pool)].filter((p): p is string => typeof p === 'string' && Object.hasOwn(pools, p))
      for (const p of used) {
        const pool = asObject(pools[p])
        const source = asString(asObject(pool?.hashKey)?.source)
        if (source !== undefined && source !== 'source-ip' && source !== 'source-address') {
          issue(['pools', p, 'hashKey', 'source'], `pool ${p} serves layer 4 listener ${name ?? i}, which can only hash on source-ip or source-address`)
        }
        if (pool?.stickySession !== undefined) issue(['pools', p, 'stickySession'], `cookie stickiness needs HTTP; pool ${p} serves layer 4 listener ${name ?? i} (use hashKey source-ip)`)
        if (pool?.protocol === 'h2') issue(['pools', p, 'protocol'], `pool ${p} serves layer 4 listener ${name ?? i}, which relays bytes and speaks no HTTP to the backends`)
      }
    }
  })
  for (const [name, raw] of Object.entries(pools ?? {})) {
    const pool = asObject(raw)
    if (pool !== undefined) poolChecks(name, pool, issue)
  }
}

/** The checks within one pool that span its fields. */
function poolChecks(name: string, pool: Loose, issue: Issue): void {
  const at = (...p: (string | number)[]) => ['pools', name, ...p]
  // An HTTP/2 session carries many clients' streams: no one client's PROXY header can head it.
  if (pool.protocol === 'h2' && pool.proxyProtocol !== undefined) issue(at('proxyProtocol'), 'a PROXY header names one client; HTTP/2 sessions to the backends carry many (use protocol http1)')
  const algorithm = pool.algorithm ?? 'round-robin'
  const options = pool.algorithmOptions === undefined ? {} : asObject(pool.algorithmOptions)
  const canonical = typeof algorithm === 'string' ? resolveAlgorithmName(algorithm) : undefined
  if (typeof algorithm === 'string' && canonical === undefined) {
    issue(at('algorithm'), `unknown algorithm "${algorithm}"; expected one of ${algorithmNames().join(', ')}`)
  } else if (canonical !== undefined && options !== undefined) {
    try {
      configureAlgorithm(canonical, options)
    } catch (e) {
      if (!(e instanceof EngineError)) throw e
      for (const i of e.issues) issue(at('algorithmOptions', ...i.path.replace(/^algorithm\.options\.?/, '').split('.').filter(Boolean)), i.message)
    }
  }
  const backends = asArray(pool.backends)
  const ids = new Set<string>()
  backends.forEach((raw, i) => {
    const b = asObject(raw)
    const id = b === undefined ? undefined : b.id !== undefined ? asString(b.id) : typeof b.host === 'string' && typeof b.port === 'number' ? `${b.host}:${b.port}` : undefined
    if (id === undefined) return
    if (ids.has(id)) issue(at('backends', i, 'id'), `duplicate backend "${id}" in pool ${name}`)
    ids.add(id)
  })
  if (backends.length > 0 && backends.every((b) => asObject(b)?.backup === true)) issue(at('backends'), 'a pool needs at least one backend that is not a backup')
  const hc = asObject(pool.healthCheck)
  if (typeof hc?.timeoutMs === 'number' && typeof hc.intervalMs === 'number' && hc.timeoutMs >= hc.intervalMs) issue(at('healthCheck', 'timeoutMs'), 'must be shorter than intervalMs')
}

/** The addresses a (possibly invalid) configuration asks to bind, in order: listeners, then the admin API. */
function bindRequests(value: unknown): BindRequest[] {
  const v = (value ?? {}) as { listeners?: unknown; admin?: { listen?: unknown } }
  const out: BindRequest[] = []
  const add = (path: (string | number)[], owner: string, transport: 'tcp' | 'udp', text: unknown) => {
    const at = typeof text === 'string' ? parseEndpoint(text) : undefined
    if (at !== undefined) out.push({ path, owner, transport, ...at, text: text as string })
  }
  if (Array.isArray(v.listeners)) {
    v.listeners.forEach((l: { name?: unknown; protocol?: unknown; bind?: unknown } | null, i) => {
      if (l === null || typeof l !== 'object') return
      add(['listeners', i, 'bind'], `listener ${typeof l.name === 'string' ? l.name : i}`, l.protocol === 'udp' ? 'udp' : 'tcp', l.bind)
    })
  }
  if (v.admin !== null && typeof v.admin === 'object') add(['admin', 'listen'], 'the admin API', 'tcp', v.admin.listen)
  return out
}

function checkRegex(source: string, path: (string | number)[], issue: Issue) {
  try {
    new RegExp(source)
  } catch (e) {
    issue(path, `invalid regular expression: ${(e as Error).message}`)
  }
}

/** Layer of a listener protocol. */
export function listenerLayer(protocol: 'tcp' | 'udp' | 'tls' | 'http' | 'https'): 4 | 7 {
  return protocol === 'http' || protocol === 'https' ? 7 : 4
}

/** Parses `a.b.c.d/n` or an IPv6 CIDR; `undefined` when malformed. */
export function parseCidr(s: string): { address: string; bits: number; family: 4 | 6 } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s)
  if (m === null) return undefined
  const family = isIP(m[1]!)
  const bits = Number(m[2])
  if (family === 0 || bits > (family === 4 ? 32 : 128)) return undefined
  return { address: m[1]!, bits, family: family as 4 | 6 }
}

/** A validated balancer configuration, defaults applied. */
export type LbConfig = z.infer<typeof lbConfigSchema>
export type ListenerConfig = LbConfig['listeners'][number]
export type PoolConfig = LbConfig['pools'][string]
export type RouteSettings = NonNullable<ListenerConfig['routes']>[number]
export type HealthCheckSettings = NonNullable<PoolConfig['healthCheck']>
export type CertificateSource = NonNullable<ListenerConfig['tls']>['certificates'][number]
