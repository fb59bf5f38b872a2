import { isIP } from 'node:net'
import { z } from 'zod'
import { algorithmNames, resolveAlgorithmName } from '../balancing/registry.js'
import { configureAlgorithm } from '../balancing/create-picker.js'
import { EngineError } from '../errors.js'
import { bindConflicts, type BindRequest } from './bind-conflicts.js'
import { checkHealthCheckRules, healthCheckFields } from '../health/health-check-config.js'
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
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message })
    const pools = config.pools
    const poolRef = (path: (string | number)[], name: string | undefined) => {
      if (name !== undefined && !Object.hasOwn(pools, name)) issue(path, `no pool named "${name}" (pools: ${Object.keys(pools).join(', ') || 'none'})`)
    }
    const names = new Set<string>()
    config.listeners.forEach((l, i) => {
      const at = (...p: (string | number)[]) => ['listeners', i, ...p]
      if (names.has(l.name)) issue(at('name'), `duplicate listener name "${l.name}"`)
      names.add(l.name)
      const layer = listenerLayer(l.protocol)
      if (l.layer !== undefined && l.layer !== layer) issue(at('layer'), `protocol ${l.protocol} is layer ${layer}`)
      if (layer === 4) {
        if (l.routes !== undefined) issue(at('routes'), 'routes are for http and https listeners')
        if (l.filters !== undefined) issue(at('filters'), 'filters are for http and https listeners')
        if (l.pool === undefined) issue(at('pool'), `a ${l.protocol} listener needs a pool${l.protocol === 'tls' ? ' (for connections without a matching SNI)' : ''}`)
        if (l.sni !== undefined && l.protocol !== 'tls') issue(at('sni'), 'sni routing needs protocol tls')
        if (l.tls !== undefined) issue(at('tls'), 'certificates are for https listeners; protocol tls passes TLS through untouched')
        if (l.protocol === 'udp' && l.proxyProtocol !== undefined) issue(at('proxyProtocol'), 'PROXY protocol is accepted on stream listeners only')
      } else {
        if (l.routes === undefined || l.routes.length === 0) issue(at('routes'), 'an http or https listener needs at least one route')
        if (l.pool !== undefined) issue(at('pool'), 'http and https listeners send requests by their routes; use a route with match {} for a default')
        if (l.sni !== undefined) issue(at('sni'), 'sni routing is for tls passthrough listeners; https chooses certificates by SNI itself')
        if (l.protocol === 'https' && l.tls === undefined) issue(at('tls'), 'an https listener needs tls.certificates')
        if (l.protocol === 'http' && l.tls !== undefined) issue(at('tls'), 'certificates need protocol https')
      }
      poolRef(at('pool'), l.pool)
      l.sni?.forEach((s, j) => poolRef(at('sni', j, 'pool'), s.pool))
      l.routes?.forEach((r, j) => {
        poolRef(at('routes', j, 'pool'), r.pool)
        r.split?.forEach((s, k) => poolRef(at('routes', j, 'split', k, 'pool'), s.pool))
        if (r.match.path !== undefined && 'regex' in r.match.path) checkRegex(r.match.path.regex, at('routes', j, 'match', 'path', 'regex'), issue)
        for (const kind of ['headers', 'cookies', 'query'] as const) {
          r.match[kind]?.forEach((m, k) => m.regex !== undefined && checkRegex(m.regex, at('routes', j, 'match', kind, k, 'regex'), issue))
        }
      })
      // Layer 4 listeners see no HTTP: their pools can only hash on the connection's source.
      if (layer === 4) {
        const used = [l.pool, ...(l.sni ?? []).map((s) => s.pool)].filter((p): p is string => p !== undefined && Object.hasOwn(pools, p))
        for (const p of used) {
          const key = pools[p]!.hashKey
          if (key !== undefined && key.source !== 'source-ip' && key.source !== 'source-address') {
            issue(['pools', p, 'hashKey', 'source'], `pool ${p} serves layer 4 listener ${l.name}, which can only hash on source-ip or source-address`)
          }
          if (pools[p]!.stickySession !== undefined) issue(['pools', p, 'stickySession'], `cookie stickiness needs HTTP; pool ${p} serves layer 4 listener ${l.name} (use hashKey source-ip)`)
        }
      }
    })
    for (const [name, pool] of Object.entries(pools)) {
      const at = (...p: (string | number)[]) => ['pools', name, ...p]
      const canonical = resolveAlgorithmName(pool.algorithm)
      if (canonical === undefined) {
        issue(at('algorithm'), `unknown algorithm "${pool.algorithm}"; expected one of ${algorithmNames().join(', ')}`)
      } else {
        try {
          configureAlgorithm(canonical, pool.algorithmOptions)
        } catch (e) {
          for (const i of (e as EngineError).issues) issue(at('algorithmOptions', ...i.path.replace(/^algorithm\.options\.?/, '').split('.').filter(Boolean)), i.message)
        }
      }
      const ids = new Set<string>()
      pool.backends.forEach((b, i) => {
        const id = b.id ?? `${b.host}:${b.port}`
        if (ids.has(id)) issue(at('backends', i, 'id'), `duplicate backend "${id}" in pool ${name}`)
        ids.add(id)
      })
      if (pool.backends.every((b) => b.backup)) issue(at('backends'), 'a pool needs at least one backend that is not a backup')
      const hc = pool.healthCheck
      if (hc !== undefined && hc.timeoutMs >= hc.intervalMs) issue(at('healthCheck', 'timeoutMs'), 'must be shorter than intervalMs')
    }
  })
  // Address conflicts are checked even when other values have the wrong type (`when`), so every
  // problem is reported at once; the check reads only what is well-formed.
  .superRefine(
    (value, ctx) => {
      for (const c of bindConflicts(bindRequests(value))) ctx.addIssue({ code: 'custom', path: [...c.path], message: c.message })
    },
    { when: () => true },
  )

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

function checkRegex(source: string, path: (string | number)[], issue: (path: (string | number)[], message: string) => void) {
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
