import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ListenerConfig } from '../../../engine/config/lb-config.js'
import type { AccessLogConfig, AuthConfig, RateLimitConfig, SecurityHeadersConfig } from '../../../engine/l7/filters/filter-config.js'
import { securityHeaderPresets } from '../../../engine/l7/filters/security-headers.js'
import { listenerFilters, type FilterInstance } from '../filter-chains.js'
import { nginxHeaderVariable, nginxString, nginxValue } from './quoting.js'

/**
 * The engine's filters as nginx 1.22 directives: `http { }` lines (maps, zones, log formats), the
 * lines of each route's locations, and those of the entry location (answers before any route
 * matched: the 404). nginx runs its phases in a fixed order — rewrite (`if … return 401`), then
 * preaccess (`limit_req`) — so auth comes before the rate limit whatever the chain's order.
 */
export interface NginxFilterParts {
  readonly http: string[]
  readonly entry: string[]
  /** Lines of route `j`'s named locations. */
  readonly route: readonly string[][]
}

/** A rate as limit_req_zone takes it (whole requests per second or per minute), and whether it is exact. */
export function nginxRate(ratePerS: number): { rate: string; exact: boolean } {
  if (ratePerS >= 1 && Number.isInteger(ratePerS)) return { rate: `${ratePerS}r/s`, exact: true }
  const perMinute = ratePerS * 60
  return { rate: `${Math.max(1, Math.round(perMinute))}r/m`, exact: Number.isInteger(perMinute) }
}

/** The API keys of an auth entry: inline ones, then its key file's (read here: nginx's map needs them in its own syntax). */
function apiKeys(c: NonNullable<AuthConfig['apiKeys']>): string[] {
  const keys = [...(c.keys ?? [])]
  if (c.keysFile !== undefined) {
    for (const line of readFileSync(c.keysFile, 'utf8').split('\n')) {
      const k = line.trim()
      if (k !== '' && !k.startsWith('#')) keys.push(k)
    }
  }
  return keys
}

/** A literal map key: quoted, and a leading `~` escaped with nginx's `\~` (else it would be a regex). */
const mapKey = (s: string) => (s.startsWith('~') ? `"\\${nginxString(s).slice(1)}` : nginxString(s))

/** Whether a configuration's maps need room for API keys (set before the first map: nginx fixes the sizes there). */
export function nginxNeedsLargeMaps(listeners: readonly ListenerConfig[]): boolean {
  return listeners.some((l) => listenerFilters(l).instances.some((f) => f.config.type === 'auth' && f.config.apiKeys !== undefined))
}

export function nginxFilterParts(l: ListenerConfig, index: number, dir: string): NginxFilterParts {
  const { chains, instances } = listenerFilters(l)
  const out: NginxFilterParts = { http: [], entry: [], route: chains.map(() => []) }
  if (instances.length === 0) return out
  const p = (f: FilterInstance) => `lb${index}_f${f.n}`
  const tls = l.protocol === 'https'
  const headers = new Map<FilterInstance, string[]>()
  for (const f of instances) {
    const c = f.config
    if (c.type === 'security-headers') headers.set(f, securityHeaders(c, p(f), tls, out.http))
    if (c.type === 'rate-limit') rateZone(c, f, p(f), index, chains, out.http)
    if (c.type === 'auth') authMaps(c, p(f), out.http)
    if (c.type === 'access-log') accessLogFormat(c, p(f), out.http)
  }
  if (instances.some((f) => f.config.type === 'access-log')) {
    const names = (l.routes ?? []).map((r, j) => `  ${j} ${nginxString(r.name ?? `route-${j}`)};`)
    out.http.push(`map $lb${index}_route $lb${index}_route_name {`, ...names, '  default "-";', '}')
  }
  chains.forEach((chain, j) => {
    const lines = out.route[j]!
    // An `if` block with add_header of its own inherits none: refusals repeat the security headers.
    const security = chain.flatMap((f) => headers.get(f) ?? [])
    for (const f of chain) {
      const c = f.config
      if (c.type === 'security-headers') lines.push(...security.filter((x) => !lines.includes(x)))
      else if (c.type === 'rate-limit') lines.push(...rateLines(c, p(f)))
      else if (c.type === 'auth') lines.push(...authLines(c, p(f), security.filter((x) => x.startsWith('add_header'))))
      else if (c.type === 'access-log') lines.push(`access_log ${nginxString(nginxLogPath(c, dir, p(f)))} ${p(f)};`)
    }
  })
  for (const f of instances) {
    if (!f.listener) continue
    const c = f.config
    if (c.type === 'security-headers') out.entry.push(...headers.get(f)!.filter((x) => x.startsWith('add_header')))
    if (c.type === 'access-log') out.entry.push(`access_log ${nginxString(nginxLogPath(c, dir, p(f)))} ${p(f)};`)
  }
  return out
}

/**
 * The preset as add_header … always (also on nginx's own error answers). Unless `override`, a
 * backend's own value stays: a map over the upstream header yields the preset only when it is
 * empty, and add_header skips an empty value. With `override`, the backend's is hidden.
 */
function securityHeaders(c: SecurityHeadersConfig, p: string, tls: boolean, http: string[]): string[] {
  const lines: string[] = []
  securityHeaderPresets(c)[tls ? 'tls' : 'plain'].forEach((h, k) => {
    if (c.override) return void lines.push(`proxy_hide_header ${h.header.name};`, `add_header ${h.header.name} ${nginxValue(h.header.value)} always;`)
    const v = `$${p}_h${k}`
    http.push(`map $upstream_http_${h.lower.replace(/-/g, '_')} ${v} { "" ${nginxValue(h.header.value)}; default ""; }`)
    lines.push(`add_header ${h.header.name} ${v} always;`)
  })
  return lines
}

function rateZone(c: RateLimitConfig, f: FilterInstance, p: string, index: number, chains: FilterInstance[][], http: string[]) {
  let source: string
  if (c.key.source === 'source-ip') source = '$binary_remote_addr'
  else if (c.key.source === 'route') source = `$lb${index}_route`
  else if (c.key.source === 'header') source = nginxHeaderVariable(c.key.name)
  else {
    // The identity: the API key of the auth entry before this limit (checked alike on every route).
    const chain = chains.find((x) => x.includes(f))!
    const auth = chain.slice(0, chain.indexOf(f)).find((x) => x.config.type === 'auth')!.config as AuthConfig
    const header = nginxHeaderVariable(auth.apiKeys!.header)
    source = auth.apiKeys!.query === undefined ? header : `$${p}_identity`
    if (auth.apiKeys!.query !== undefined) http.push(`map ${header} $${p}_identity { "" $arg_${auth.apiKeys!.query}; default ${header}; }`)
  }
  const burst = c.burst ?? Math.max(1, Math.ceil(c.ratePerS))
  // limit_req does not count a request whose key is empty: those share one key, as on the engine.
  http.push(
    `map ${source} $${p}_key { "" "-"; default ${source}; }`,
    `limit_req_zone $${p}_key zone=${p}:${Math.max(1, Math.ceil(c.maxKeys / 8000))}m rate=${nginxRate(c.ratePerS).rate};`,
    `map $status $${p}_retry { 429 "${Math.max(1, Math.ceil(1 / c.ratePerS))}"; default ""; }`,
    `map $status $${p}_limit { 429 "${burst}"; default ""; }`,
  )
}

/** limit_req with burst − 1 nodelay admits `burst` at once from idle, then the rate: the engine's bucket. */
function rateLines(c: RateLimitConfig, p: string): string[] {
  const burst = c.burst ?? Math.max(1, Math.ceil(c.ratePerS))
  return [`limit_req zone=${p}${burst > 1 ? ` burst=${burst - 1}` : ''} nodelay;`, 'limit_req_status 429;', `add_header Retry-After $${p}_retry always;`, `add_header RateLimit-Limit $${p}_limit always;`]
}

/** API keys: a map from the header (and the query parameter) to ok / invalid / missing. */
function authMaps(c: AuthConfig, p: string, http: string[]) {
  const a = c.apiKeys
  if (a === undefined) return
  const keys = apiKeys(a).map((k) => `  ${mapKey(k)} ok;`)
  const map = (source: string, v: string) => [`map ${source} ${v} {`, '  "" missing;', ...keys, '  default invalid;', '}']
  if (a.query === undefined) return void http.push(...map(nginxHeaderVariable(a.header), `$${p}_auth`))
  http.push(...map(nginxHeaderVariable(a.header), `$${p}_header`), ...map(`$arg_${a.query}`, `$${p}_query`))
  // The header decides when present, as on the engine; else the query parameter.
  http.push(`map "$${p}_header:$${p}_query" $${p}_auth {`, '  "~^ok:" ok;', '  "~^invalid:" invalid;', '  "~:ok$" ok;', '  "~:invalid$" invalid;', '  default missing;', '}')
}

function authLines(c: AuthConfig, p: string, security: string[]): string[] {
  const realm = `realm="${c.realm}"`
  const refuse = (state: string, challenge: string, text: string) => [
    `if ($${p}_auth = ${state}) {`,
    ...security.map((x) => `  ${x}`),
    `  add_header WWW-Authenticate ${nginxValue(challenge)} always;`,
    // \n inside quotes is nginx's own escape: appended after quoting, which would double the backslash.
    `  return 401 ${nginxValue(text).slice(0, -1)}\\n";`,
    '}',
  ]
  return [...refuse('missing', `Bearer ${realm}`, '401 Unauthorized: credentials required'), ...refuse('invalid', `ApiKey ${realm}, error="invalid_key"`, '401 Unauthorized: the API key is not valid')]
}

/**
 * Where nginx writes a log: the file, or for stdout one in the run directory — nginx opens
 * /dev/stdout as a file, and the harness's stdout for it is a socket, which cannot be opened.
 */
export function nginxLogPath(c: AccessLogConfig, dir: string, p: string): string {
  return c.destination === 'stdout' ? join(dir, `${p}-access.log`) : c.destination.file
}

function accessLogFormat(c: AccessLogConfig, p: string, http: string[]) {
  const route = p.replace(/_f\d+$/, '_route_name')
  const format =
    c.format === 'json'
      ? `{"time":"$time_iso8601","client":"$remote_addr","method":"$request_method","target":"$request_uri","version":"$server_protocol","status":$status,"bytes":$body_bytes_sent,"route":"$${route}","backend":"$upstream_addr","referer":"$http_referer","userAgent":"$http_user_agent","connectS":"$upstream_connect_time","firstByteS":"$upstream_header_time","totalS":$request_time}`
      : `$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" route=$${route} backend=$upstream_addr connect_s=$upstream_connect_time first_byte_s=$upstream_header_time total_s=$request_time`
  http.push(`log_format ${p}${c.format === 'json' ? ' escape=json' : ''} ${nginxString(format)};`)
}
