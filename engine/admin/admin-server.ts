import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { z } from 'zod'
import { EngineError, formatPath } from '../errors.js'
import { RouteError } from '../routing/route-errors.js'
import type { EngineEvent } from '../runtime/event-log.js'
import type { RunningListener } from '../runtime/listener.js'
import type { PoolRuntime } from '../runtime/pool-runtime.js'
import type { EngineStats } from '../stats/engine-stats.js'
import { bearerTokenMatches, isReadOnlyMethod } from './admin-token.js'
import { renderPrometheus } from './prometheus.js'
import { bindServer } from '../runtime/bind-server.js'
import { readJsonBody } from '../runtime/read-json-body.js'

/** What the admin server reads and changes. */
export interface AdminTarget {
  stats(): EngineStats
  events(since: number): EngineEvent[]
  pools: ReadonlyMap<string, PoolRuntime>
  draining(): boolean
  /** Records a runtime change in the engine's event log. */
  record(type: string, pool: string, backend: string | undefined, detail?: string): void
  /** The effective configuration, for `/config`. */
  config: unknown
  /** Listeners by name, for run-time route changes (split weights). */
  listeners?: ReadonlyMap<string, RunningListener>
  /** When set, every request but GET and HEAD needs `Authorization: Bearer <token>`. */
  token?: string
}

const backendSpec = z.strictObject({
  id: z.string().min(1).max(256).optional(),
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  weight: z.number().min(0).max(1_000_000).default(1),
  backup: z.boolean().default(false),
})
const actions = {
  weight: z.strictObject({ weight: z.number().min(0).max(1_000_000) }),
  drain: z.strictObject({}),
  undrain: z.strictObject({}),
  enable: z.strictObject({}),
  disable: z.strictObject({}),
  health: z.strictObject({ healthy: z.boolean() }),
} as const
/** New weights of a route's split arms, by pool; arms not named keep theirs. */
const splitBody = z.strictObject({ weights: z.record(z.string().min(1), z.number().min(0).max(1_000_000)) })

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message)
  }
}

/** The admin API's JSON bodies: at most 64 KiB. */
const adminBodyErrors = {
  tooLarge: () => new HttpProblem(413, 'LB_ERR_ADMIN_BODY_TOO_LARGE', 'request body over 64 KiB'),
  badJson: () => new HttpProblem(400, 'LB_ERR_ADMIN_BAD_JSON', 'request body is not JSON'),
}
const readJson = (req: IncomingMessage) => readJsonBody(req, 65_536, adminBodyErrors)

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  throw new HttpProblem(400, 'LB_ERR_ADMIN_BAD_REQUEST', 'invalid request body', r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })))
}

/** A path's segments, percent-decoded; a malformed escape is the client's error. */
function pathSegments(pathname: string): string[] {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent)
  } catch {
    throw new HttpProblem(400, 'LB_ERR_ADMIN_BAD_PATH', `malformed percent-escape in ${pathname}`)
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2) + '\n'
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

/**
 * The HTTP admin listener: `GET /healthz`, `/stats` (JSON), `/metrics` (Prometheus), `/events?since=N`,
 * `/config`; runtime changes `POST /pools/{pool}/backends/{id}/{weight|drain|undrain|enable|disable|health}`,
 * `POST /pools/{pool}/backends` (add or update a backend), `DELETE /pools/{pool}/backends/{id}`,
 * `POST /listeners/{listener}/routes/{route}/split` `{ weights: { pool: n } }` (re-weight a split).
 * Errors are JSON `{ code, message, issues? }` with a stable code. With a token configured, every
 * request that is not GET or HEAD needs it as a bearer token (401 otherwise).
 */
export async function startAdminServer(host: string, port: number, target: AdminTarget): Promise<{ address: { host: string; port: number }; close(): Promise<void> }> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin')
    const method = req.method ?? 'GET'
    if (target.token !== undefined && !isReadOnlyMethod(method) && !bearerTokenMatches(target.token, req.headers.authorization)) {
      throw new HttpProblem(401, 'LB_ERR_ADMIN_UNAUTHORIZED', `${method} needs the admin token: Authorization: Bearer <token>`)
    }
    const parts = pathSegments(url.pathname)
    if (method === 'GET' && url.pathname === '/healthz') return send(res, target.draining() ? 503 : 200, target.draining() ? 'draining\n' : 'ok\n', 'text/plain')
    if (method === 'GET' && url.pathname === '/stats') return send(res, 200, target.stats())
    if (method === 'GET' && url.pathname === '/metrics') return send(res, 200, renderPrometheus(target.stats()), 'text/plain; version=0.0.4; charset=utf-8')
    if (method === 'GET' && url.pathname === '/events') return send(res, 200, target.events(Number(url.searchParams.get('since') ?? 0) || 0))
    if (method === 'GET' && url.pathname === '/config') return send(res, 200, target.config)
    if (method === 'POST' && parts[0] === 'listeners' && parts[2] === 'routes' && parts[4] === 'split' && parts.length === 5) {
      const listener = target.listeners?.get(parts[1]!)
      if (listener === undefined) throw new HttpProblem(404, 'LB_ERR_UNKNOWN_LISTENER', `no listener "${parts[1]}"`)
      if (listener.setSplit === undefined) throw new HttpProblem(409, 'LB_ERR_NOT_LAYER7', `listener ${listener.name} is layer 4: it has no routes`)
      const body = parse(splitBody, await readJson(req))
      try {
        return send(res, 200, { listener: listener.name, route: parts[3], split: listener.setSplit(parts[3]!, body.weights) })
      } catch (e) {
        if (!(e instanceof RouteError)) throw e
        throw new HttpProblem(e.code === 'ROUTE_ERR_NO_SUCH_ROUTE' ? 404 : 400, e.code, e.message.split('\n')[0]!, e.issues.map((i) => ({ path: i.path, message: i.message })))
      }
    }
    if (parts[0] === 'pools' && parts[1] !== undefined && parts[2] === 'backends') {
      const poolName = parts[1]
      const rt = target.pools.get(poolName)
      if (rt === undefined) throw new HttpProblem(404, 'LB_ERR_UNKNOWN_POOL', `no pool "${poolName}"`)
      const id = parts[3]
      const action = parts[4]
      if (method === 'POST' && id === undefined) {
        const spec = parse(backendSpec, await readJson(req))
        rt.pool.upsert(spec)
        target.record('backend-added', poolName, spec.id ?? `${spec.host}:${spec.port}`, `${spec.host}:${spec.port} weight ${spec.weight}`)
        return send(res, 200, rt.pool.status())
      }
      if (method === 'DELETE' && id !== undefined && action === undefined) {
        rt.pool.remove(id)
        target.record('backend-removed', poolName, id)
        return send(res, 200, rt.pool.status())
      }
      if (method === 'POST' && id !== undefined && action !== undefined && Object.hasOwn(actions, action)) {
        const body = parse(actions[action as keyof typeof actions], await readJson(req)) as { weight?: number; healthy?: boolean }
        if (!rt.pool.status().some((s) => s.id === id)) throw new HttpProblem(404, 'LB_ERR_UNKNOWN_BACKEND', `no backend "${id}" in pool ${poolName}`)
        switch (action) {
          case 'weight':
            rt.pool.setWeight(id, body.weight!)
            break
          case 'drain':
          case 'undrain':
            rt.pool.setDraining(id, action === 'drain')
            break
          case 'enable':
          case 'disable':
            rt.pool.setEnabled(id, action === 'enable')
            break
          case 'health':
            rt.pool.setHealthy(id, body.healthy!)
            break
        }
        target.record(`backend-${action}`, poolName, id, body.weight !== undefined ? `weight ${body.weight}` : body.healthy !== undefined ? `healthy ${body.healthy}` : undefined)
        return send(res, 200, rt.pool.status().find((s) => s.id === id))
      }
    }
    throw new HttpProblem(404, 'LB_ERR_ADMIN_NOT_FOUND', `no admin endpoint ${method} ${url.pathname}`)
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof HttpProblem) {
        if (e.status === 401) res.setHeader('www-authenticate', 'Bearer realm="layerbench admin"')
        return send(res, e.status, { code: e.code, message: e.message, ...(e.issues.length > 0 ? { issues: e.issues } : {}) })
      }
      if (e instanceof EngineError) return send(res, 404, { code: e.code, message: e.message })
      send(res, 500, { code: 'LB_ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) })
    })
  })
  server.keepAliveTimeout = 5000
  const address = await bindServer(server, { host, port }, `admin cannot bind ${host}:${port}`)
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
