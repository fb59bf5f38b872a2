import type { LbConfig, ListenerConfig, PoolConfig, RouteSettings } from '../../../engine/config/lb-config.js'
import { mergeEdits } from '../../../engine/l7/header-edits.js'
import { nginxFilterParts } from './filters.js'
import { isHundredth } from './support.js'
import { ms, pcreAnchored, pcreLiteral } from '../quoting.js'
import { nginxHeaderVariable, nginxString, nginxValue } from './quoting.js'

/**
 * First-match routing in nginx. nginx has no boolean conditions over several variables, so each
 * matcher is a `map` to 1 or 0, and one more `map` over all those digits, with one regex per
 * route in route order (regexes in a map are tried in order), yields the route's index. A second
 * map turns the index into a named location — one per route and pool, holding that route's
 * header edits — and `error_page 418 = $target` jumps there with the request untouched.
 */

type ValueMatch = NonNullable<RouteSettings['match']['headers']>[number]

/** Maps and variables the http block shares between listeners (extracted cookies, query parameters, the raw path). */
export class NginxHttpShared {
  readonly maps: string[] = []
  private readonly extracted = new Map<string, string>()

  /** `$lb_path`: the raw path of the request target, without query, not decoded (as the engine matches it). */
  path(): string {
    return this.variable('path', () => [`map $request_uri $lb_path {`, `  ${nginxString('~^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?(?<p>[^?#]*)')} $p;`, '}'])
  }

  /** A variable holding `=value` when cookie `name` is present, '' when absent. */
  cookie(name: string): string {
    const re = `(?:^|;)\\s*${pcreLiteral(name)}\\s*=\\s*"?(?<v>[^;]*?)"?\\s*(?:;|$)`
    return this.variable(`cookie:${name}`, (v) => [`map $http_cookie ${v} {`, `  ${nginxString(`~${re}`)} "=$v";`, '  default "";', '}'])
  }

  /** A variable holding `=value` when query parameter `name` is present (a bare `name` gives `=`), '' when absent. */
  query(name: string): string {
    const re = `(?:^|&)${pcreLiteral(name)}(?:=(?<v>[^&]*))?(?:&|$)`
    return this.variable(`query:${name}`, (v) => [`map $args ${v} {`, `  ${nginxString(`~${re}`)} "=$v";`, '  default "";', '}'])
  }

  private variable(key: string, lines: (name: string) => string[]): string {
    let v = this.extracted.get(key)
    if (v === undefined) {
      v = key === 'path' ? '$lb_path' : `$lb_extract${this.extracted.size}`
      this.extracted.set(key, v)
      this.maps.push(...lines(v))
    }
    return v
  }
}

/** The maps and the server body (locations) of one http/https listener. */
export function nginxHttpListener(config: LbConfig, l: ListenerConfig, index: number, shared: NginxHttpShared, upstream: (pool: string) => string, dir: string): { maps: string[]; locations: string[] } {
  const p = `lb${index}`
  const maps: string[] = []
  const routes = l.routes ?? []
  const bits: string[] = []
  const routeRegex: string[] = []
  for (const r of routes) {
    const start = bits.length
    for (const m of matchers(r, shared)) {
      const v = `$${p}_m${bits.length}`
      maps.push(`map ${m.source} ${v} {`, `  ${nginxString(m.regex)} ${m.holds ? 1 : 0};`, `  default ${m.holds ? 0 : 1};`, '}')
      bits.push(v)
    }
    routeRegex.push(`~^x.{${start}}${'1'.repeat(bits.length - start)}`)
  }
  maps.push(`map ${nginxString(`x${bits.join('')}`)} $${p}_route {`, ...routeRegex.map((re, j) => `  ${nginxString(re)} ${j};`), '  default "";', '}')

  const filters = nginxFilterParts(l, index, dir)
  maps.push(...filters.http)
  const locations: string[] = []
  const targets: string[] = []
  routes.forEach((r, j) => {
    const name = (pool: string) => `@${p}_r${j}_${pool}`
    const pools = r.pool !== undefined ? [r.pool] : r.split!.map((s) => s.pool)
    for (const pool of new Set(pools)) locations.push(...namedLocation(config, l, r, name(pool), pool, upstream(pool), filters.route[j]!))
    if (r.pool !== undefined) return void targets.push(`  ${j} "${name(r.pool)}";`)
    maps.push(...splitClients(r.split!, `$${p}_split${j}`, name))
    targets.push(`  ${j} $${p}_split${j};`)
  })
  maps.push(`map $${p}_route $${p}_target {`, ...targets, '  default "";', '}')
  const entry = ['location / {', ...filters.entry.map((x) => `  ${x}`), `  if ($${p}_target = "") { return 404; }`, `  error_page 418 = $${p}_target;`, '  return 418;', '}']
  return { maps, locations: [...entry, ...locations] }
}

/** A route condition as nginx tests it: a regex over a variable; `holds` says whether a match means the condition holds. */
interface NginxMatcher {
  readonly source: string
  readonly regex: string
  readonly holds: boolean
}

/** The matchers of a route, in the engine's order of conditions. */
function matchers(r: RouteSettings, shared: NginxHttpShared): NginxMatcher[] {
  const m = r.match
  const out: NginxMatcher[] = []
  const hosts = m.host === undefined ? [] : Array.isArray(m.host) ? m.host : [m.host]
  if (hosts.length > 0 && !hosts.includes('*')) {
    const alternatives = hosts.map((h) => (h.startsWith('*.') ? `.+${pcreLiteral(h.slice(1))}` : pcreLiteral(h)))
    out.push({ source: '$http_host', regex: `~*^(?:${alternatives.join('|')})(?::[0-9]*)?$`, holds: true })
  }
  if (m.methods !== undefined) out.push({ source: '$request_method', regex: `~^(?:${m.methods.join('|')})$`, holds: true })
  if (m.path !== undefined) {
    const path = m.path
    const re = 'prefix' in path ? `^${pcreLiteral(path.prefix)}` : 'exact' in path ? `^${pcreLiteral(path.exact)}$` : pcreAnchored(path.regex)
    out.push({ source: shared.path(), regex: `~${re}`, holds: true })
  }
  m.headers?.forEach((v) => out.push({ source: nginxHeaderVariable(v.name), regex: `~${valueRegex(v, '')}`, holds: holds(v) }))
  m.query?.forEach((v) => out.push({ source: shared.query(v.name), regex: `~${valueRegex(v, '=')}`, holds: holds(v) }))
  m.cookies?.forEach((v) => out.push({ source: shared.cookie(v.name), regex: `~${valueRegex(v, '=')}`, holds: holds(v) }))
  return out
}

/** The regex of a value matcher over a variable whose values start with `lead` when present. */
function valueRegex(v: ValueMatch, lead: string): string {
  if (v.exact !== undefined) return `^${lead}${pcreLiteral(v.exact)}$`
  if (v.prefix !== undefined) return `^${lead}${pcreLiteral(v.prefix)}`
  if (v.regex !== undefined) return `^${lead}${pcreAnchored(v.regex).slice(1)}`
  // Presence: headers have no lead, so an empty header reads as absent.
  return lead === '' ? '.' : `^${lead}`
}

/** Whether a regex match means the matcher holds (not for present: false, flipped by invert). */
function holds(v: ValueMatch): boolean {
  const absence = v.present === false && v.exact === undefined && v.prefix === undefined && v.regex === undefined
  return absence === (v.invert === true)
}

/** A weighted split by a random key, in split_clients' 0.01 % steps (cumulative, so rounding never oversteps 100 %). */
function splitClients(split: NonNullable<RouteSettings['split']>, variable: string, location: (pool: string) => string): string[] {
  const total = split.reduce((a, s) => a + s.weight, 0)
  const lines = [`split_clients "\${request_id}" ${variable} {`]
  let cumulative = 0
  let previous = 0
  split.forEach((s, k) => {
    cumulative += s.weight
    if (k === split.length - 1) return void lines.push(`  * "${location(s.pool)}";`)
    const at = Math.round((cumulative / total) * 10_000) / 100
    const share = Math.round((at - previous) * 100) / 100
    previous = at
    if (share > 0 && isHundredth(share)) lines.push(`  ${share}% "${location(s.pool)}";`)
  })
  return [...lines, '}']
}

/** The location a route sends a pool's requests through: the route's edits, its filters, the pool's proxy settings. */
function namedLocation(config: LbConfig, l: ListenerConfig, r: RouteSettings, name: string, poolName: string, upstream: string, filters: readonly string[]): string[] {
  const pool = config.pools[poolName]!
  const request = mergeEdits(l.headers.request, r.headers?.request)
  const response = mergeEdits(l.headers.response, r.headers?.response)
  // proxy_set_header replaces what the client sent; a later level wins, as in the engine.
  const set = new Map<string, [string, string]>([['host', ['Host', '$http_host']]])
  for (const n of request.remove) set.set(n, [n, '""'])
  for (const h of request.add) set.set(h.name.toLowerCase(), [h.name, nginxValue(h.value)])
  if (l.headers.forwarded) {
    set.set('x-forwarded-for', ['X-Forwarded-For', '$proxy_add_x_forwarded_for'])
    set.set('x-real-ip', ['X-Real-IP', '$remote_addr'])
    set.set('x-forwarded-proto', ['X-Forwarded-Proto', '$scheme'])
    set.set('x-forwarded-host', ['X-Forwarded-Host', '$http_host'])
  }
  if (l.headers.requestId && !request.remove.has('x-request-id')) set.set('x-request-id', ['X-Request-Id', '$lb_request_id'])
  set.set('connection', ['Connection', '$lb_connection'])
  set.set('upgrade', ['Upgrade', '$http_upgrade'])
  const out = [`location ${name} {`, `  proxy_pass ${pool.tls === undefined ? 'http' : 'https'}://${upstream};`, '  proxy_http_version 1.1;']
  for (const [, [header, value]] of set) out.push(`  proxy_set_header ${header} ${value};`)
  for (const n of response.remove) out.push(`  proxy_hide_header ${n};`)
  for (const h of response.add) out.push(`  add_header ${h.name} ${nginxValue(h.value)} always;`)
  out.push(...filters.map((x) => `  ${x}`))
  out.push(
    `  proxy_connect_timeout ${ms(pool.timeouts.connectMs)};`,
    `  proxy_read_timeout ${ms(pool.timeouts.responseMs)};`,
    `  proxy_send_timeout ${ms(pool.timeouts.idleMs)};`,
    ...nextUpstream(pool).map((x) => `  ${x}`),
  )
  const tls = pool.tls
  if (tls !== undefined) {
    if (tls.serverName !== undefined) out.push('  proxy_ssl_server_name on;', `  proxy_ssl_name ${nginxValue(tls.serverName)};`)
    if (tls.rejectUnauthorized) out.push('  proxy_ssl_verify on;', `  proxy_ssl_trusted_certificate ${nginxString(tls.caFile ?? '/etc/ssl/certs/ca-certificates.crt')};`)
  }
  return [...out, '}']
}

/** Retries: connect failures are nginx's error and timeout, gateway errors its http_502 and http_503. */
function nextUpstream(pool: PoolConfig): string[] {
  const r = pool.retries
  const on = [...(r.on.includes('connect-failure') ? ['error', 'timeout'] : []), ...(r.on.includes('gateway-error') ? ['http_502', 'http_503'] : [])]
  if (r.attempts === 0 || on.length === 0) return ['proxy_next_upstream off;']
  return [`proxy_next_upstream ${on.join(' ')};`, `proxy_next_upstream_tries ${r.attempts + 1};`]
}
