import type { LbConfig, ListenerConfig, PoolConfig, RouteSettings } from '../../../engine/config/lb-config.js'
import { mergeEdits, type HeaderEdits } from '../../../engine/l7/header-edits.js'
import { haproxyBackendName, haproxyKeyVariable } from './names.js'
import { algorithmOf, isKeyed } from '../pool-usage.js'
import { pcreAnchored } from '../quoting.js'
import { haproxyLiteralFormat, haproxyWord } from './quoting.js'

/**
 * The rules of an HTTP frontend. Routes are first-match, so the first route whose ACLs all hold
 * stores its index in `txn.lb_route`; header edits, splits and `use_backend` then test that index.
 * Conditions are read from the request as received, before any edit, as the engine reads them.
 */

const ROUTE = 'txn.lb_route'
const SPLIT = 'txn.lb_split'
const HOST = 'txn.lb_host'
/** Resolution of weighted splits: rand(SPLIT_RANGE) against cumulative thresholds. */
const SPLIT_RANGE = 1_000_000

type ValueMatch = NonNullable<RouteSettings['match']['headers']>[number]

/** The frontend lines of an http/https listener (after bind and timeouts); `filters`: the filters' rules, placed once the route is known. */
export function haproxyHttpRules(config: LbConfig, l: ListenerConfig, filters: { request: readonly string[]; afterResponse: readonly string[] } = { request: [], afterResponse: [] }): string[] {
  const routes = l.routes ?? []
  const acls: string[] = []
  const rules: string[] = []
  const isRoute = (j: number) => `{ var(${ROUTE}) -m int ${j} }`

  if (routes.some((r) => r.match.host !== undefined)) rules.push(`http-request set-var(${HOST}) req.fhdr(host,1),lower,regsub(:[0-9]+$,)`)
  // Hash keys are read before edits, as the engine hashes the request it received.
  const poolNames = Object.keys(config.pools)
  for (const pool of new Set(routes.flatMap((r) => (r.pool !== undefined ? [r.pool] : r.split!.map((s) => s.pool))))) {
    const fetch = keyFetch(config.pools[pool]!)
    if (fetch !== undefined) rules.push(`http-request set-var(${haproxyKeyVariable(poolNames.indexOf(pool))}) ${haproxyWord(fetch)}`)
  }
  routes.forEach((r, j) => {
    const names = routeAcls(r, `r${j}`, acls)
    rules.push(`http-request set-var(${ROUTE}) int(${j}) if !{ var(${ROUTE}) -m found }${names.map((n) => ` ${n}`).join('')}`)
  })
  rules.push(`http-request return status 404 content-type text/plain string ${haproxyWord('no route matches this request')} if !{ var(${ROUTE}) -m found }`)
  if (routes.some((r) => r.split !== undefined)) rules.push(`http-request set-var(${SPLIT}) rand(${SPLIT_RANGE})`)
  rules.push(...filters.request)

  const response: string[] = []
  routes.forEach((r, j) => {
    rules.push(...editRules('http-request', mergeEdits(l.headers.request, r.headers?.request), isRoute(j)))
    response.push(...editRules('http-response', mergeEdits(l.headers.response, r.headers?.response), isRoute(j)))
  })
  if (l.headers.forwarded) {
    rules.push(
      'http-request set-header X-Real-IP %[src]',
      `http-request set-header X-Forwarded-Proto ${l.protocol}`,
      'http-request del-header X-Forwarded-Host',
      'http-request set-header X-Forwarded-Host %[req.fhdr(host,1)] if { req.fhdr(host,1) -m found }',
    )
  }
  if (l.headers.requestId) rules.push('http-request set-header X-Request-Id %[uuid] unless { req.hdr(x-request-id) -m found }')

  const use: string[] = []
  routes.forEach((r, j) => {
    if (r.pool !== undefined) return void use.push(`use_backend ${haproxyBackendName(r.pool, 'http')} if ${isRoute(j)}`)
    const split = r.split!
    const total = split.reduce((a, s) => a + s.weight, 0)
    let cumulative = 0
    split.forEach((s, k) => {
      cumulative += s.weight
      const below = Math.round((cumulative / total) * SPLIT_RANGE)
      const last = k === split.length - 1
      use.push(`use_backend ${haproxyBackendName(s.pool, 'http')} if ${isRoute(j)}${last ? '' : ` { var(${SPLIT}) -m int lt ${below} }`}`)
    })
  })
  return [...(l.headers.forwarded ? ['option forwardfor'] : []), ...acls, ...rules, ...response, ...filters.afterResponse, ...use]
}

/** The sample fetch of a pool's HTTP hash key, or undefined when HAProxy hashes without one (source keys, no key). */
export function keyFetch(pool: PoolConfig): string | undefined {
  const key = pool.hashKey
  if (key === undefined || !isKeyed(algorithmOf(pool))) return undefined
  switch (key.source) {
    case 'header':
      return `req.fhdr(${key.name},1)`
    case 'cookie':
      return `req.cook(${key.name})`
    case 'path':
      return 'path'
    case 'query':
      return `url_param(${key.name})`
    default:
      return undefined
  }
}

/** Declares the ACLs of one route; returns the condition words (all must hold). */
function routeAcls(r: RouteSettings, prefix: string, acls: string[]): string[] {
  const m = r.match
  const words: string[] = []
  const hosts = m.host === undefined ? [] : Array.isArray(m.host) ? m.host : [m.host]
  if (hosts.length > 0 && !hosts.includes('*')) {
    const exact = hosts.filter((h) => !h.startsWith('*.')).map((h) => h.toLowerCase())
    const suffixes = hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1).toLowerCase())
    if (exact.length > 0) acls.push(`acl ${prefix}_host var(${HOST}) -m str ${exact.map(haproxyWord).join(' ')}`)
    if (suffixes.length > 0) acls.push(`acl ${prefix}_host var(${HOST}) -m end ${suffixes.map(haproxyWord).join(' ')}`)
    words.push(`${prefix}_host`)
  }
  if (m.methods !== undefined) {
    acls.push(`acl ${prefix}_method method ${m.methods.join(' ')}`)
    words.push(`${prefix}_method`)
  }
  if (m.path !== undefined) {
    const p = m.path
    const test = 'prefix' in p ? `-m beg ${haproxyWord(p.prefix)}` : 'exact' in p ? `-m str ${haproxyWord(p.exact)}` : `-m reg ${haproxyWord(pcreAnchored(p.regex))}`
    acls.push(`acl ${prefix}_path path ${test}`)
    words.push(`${prefix}_path`)
  }
  const fetchOf = { headers: (n: string) => `req.fhdr(${n},1)`, cookies: (n: string) => `req.cook(${n})`, query: (n: string) => `url_param(${n})` }
  for (const kind of ['headers', 'query', 'cookies'] as const) {
    m[kind]?.forEach((v, k) => {
      const name = `${prefix}_${kind}${k}`
      const { test, negate } = valueTest(v)
      acls.push(`acl ${name} ${fetchOf[kind](v.name)} ${test}`)
      words.push(negate !== (v.invert === true) ? `!${name}` : name)
    })
  }
  return words
}

/** The ACL test of a value matcher, and whether the ACL must be negated (present: false). */
function valueTest(v: ValueMatch): { test: string; negate: boolean } {
  if (v.exact !== undefined) return { test: `-m str ${haproxyWord(v.exact)}`, negate: false }
  if (v.prefix !== undefined) return { test: `-m beg ${haproxyWord(v.prefix)}`, negate: false }
  if (v.regex !== undefined) return { test: `-m reg ${haproxyWord(pcreAnchored(v.regex))}`, negate: false }
  return { test: '-m found', negate: v.present === false }
}

/** Header edits as rules: removals first, then sets (a set replaces). */
function editRules(kind: 'http-request' | 'http-response', edits: HeaderEdits, condition: string): string[] {
  const setNames = new Set(edits.add.map((h) => h.name.toLowerCase()))
  return [
    ...[...edits.remove].filter((n) => !setNames.has(n)).map((n) => `${kind} del-header ${haproxyWord(n)} if ${condition}`),
    ...edits.add.map((h) => `${kind} set-header ${haproxyWord(h.name)} ${haproxyLiteralFormat(h.value)} if ${condition}`),
  ]
}

