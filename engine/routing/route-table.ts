import { compileHostPatterns, hostPatternProblem } from './host-match.js'
import { END, NO_CANDIDATES, SegmentIndex, pathKey, type Candidates, type PathKey } from './path-index.js'
import { RouteError, type RouteIssue } from './route-errors.js'
import { allOf, compileConditions, type Check } from './route-matchers.js'
import type { RouteConfig, RouteRequest } from './route-types.js'
import { firstSegment, viewRequest } from './request-view.js'
import { splitChooser } from './weighted-split.js'

/** A route after compilation: its configuration, its name and a full predicate. */
export interface CompiledRoute {
  readonly index: number
  /** The configured name, else `route-<index>`. */
  readonly name: string
  readonly config: RouteConfig
  /** Every pool the route can send to, in configuration order, each once. */
  readonly pools: readonly string[]
  /** Whether every condition of the route, host included, holds for `request` — ignoring the routes before it. */
  matches(request: RouteRequest): boolean
}

/** The route a request matched; one immutable object per route, returned by every match. */
export interface MatchedRoute {
  readonly index: number
  readonly name: string
  readonly route: CompiledRoute
  /**
   * The pool for this request: the route's pool (no draw), or for a split the arm chosen by
   * exactly one draw of `random` (uniform in [0, 1)).
   */
  target(random: () => number): string
}

/** An immutable, ordered routing table. */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[]
  /**
   * The first route, in configuration order, whose conditions all hold; `undefined` when none does.
   * Paths are matched raw: '/a%2Fb' is not '/a/b' and '%41' is not 'A' — decoding (and dot-segment
   * removal) is the proxy's choice to make before routing, so that what is matched is what is sent.
   */
  match(request: RouteRequest): MatchedRoute | undefined
}

/** What the hot path needs of a route. */
interface Slot {
  /** The route's conditions; for routes outside the host map it checks the host too. */
  readonly test: Check
  readonly matched: MatchedRoute
}

function compileTarget(route: RouteConfig, path: string, issues: RouteIssue[]): { pools: string[]; target: (random: () => number) => string } {
  const { pool, split } = route
  if (pool !== undefined && split !== undefined) {
    issues.push({ code: 'ROUTE_ERR_TARGET_CONFLICT', path, message: 'set exactly one of pool or split' })
  } else if (pool !== undefined) {
    if (pool === '') issues.push({ code: 'ROUTE_ERR_NO_TARGET', path: `${path}.pool`, message: 'empty pool name' })
    return { pools: [pool], target: () => pool }
  } else if (split === undefined) {
    issues.push({ code: 'ROUTE_ERR_NO_TARGET', path, message: 'set exactly one of pool or split' })
  } else {
    if (split.length === 0) issues.push({ code: 'ROUTE_ERR_BAD_SPLIT', path: `${path}.split`, message: 'a split needs at least one target' })
    split.forEach((t, j) => {
      if (!(Number.isFinite(t.weight) && t.weight > 0)) {
        issues.push({ code: 'ROUTE_ERR_BAD_SPLIT', path: `${path}.split[${j}].weight`, message: `weight ${t.weight} is not a positive finite number` })
      }
      if (t.pool === '') issues.push({ code: 'ROUTE_ERR_BAD_SPLIT', path: `${path}.split[${j}].pool`, message: 'empty pool name' })
    })
    if (split.length > 0) {
      const choose = splitChooser(split)
      return { pools: [...new Set(split.map((t) => t.pool))], target: (random) => choose(random()) }
    }
  }
  return { pools: [], target: () => '' }
}

interface Compiled {
  readonly route: CompiledRoute
  readonly slot: Slot
  readonly exactHosts: readonly string[] | undefined
  readonly key: PathKey
}

function compileRoute(config: RouteConfig, index: number, issues: RouteIssue[]): Compiled {
  const path = `routes[${index}]`
  const checks = compileConditions(config.match, `${path}.match`, issues)
  const { pools, target } = compileTarget(config, path, issues)
  let exactHosts: readonly string[] | undefined
  let test = allOf(checks)
  let full = test
  const host = config.match.host
  if (host !== undefined) {
    const patterns = typeof host === 'string' ? [host] : host
    if (patterns.length === 0) issues.push({ code: 'ROUTE_ERR_BAD_HOST', path: `${path}.match.host`, message: 'an empty host list matches nothing; omit it to allow any host' })
    patterns.forEach((p, i) => {
      const problem = hostPatternProblem(p)
      if (problem !== undefined) issues.push({ code: 'ROUTE_ERR_BAD_HOST', path: typeof host === 'string' ? `${path}.match.host` : `${path}.match.host[${i}]`, message: problem })
    })
    const hosts = compileHostPatterns(patterns)
    exactHosts = hosts.exact
    full = allOf([(v) => hosts.test(v.host), ...checks])
    // Routes found through the host map are known to match the host; the others check it first.
    if (exactHosts === undefined) test = full
  }
  const name = config.name ?? `route-${index}`
  const route: CompiledRoute = { index, name, config, pools, matches: (request) => full(viewRequest(request)) }
  return { route, slot: { test, matched: { index, name, route, target } }, exactHosts, key: pathKey(config.match.path) }
}

/**
 * Compiles an ordered list of routes into a table whose `match` returns what evaluating the routes
 * one by one in order would, faster. Routes whose hosts are all exact names are grouped per host in
 * a hash map; wildcard, '*' and host-less routes form one general group. Within each group, routes
 * are indexed by the first path segment their path matcher admits (see `SegmentIndex`). A request
 * merges its host's candidate lists with the general group's by route index, so configuration
 * order is kept, and evaluates the remaining conditions of each candidate until one holds.
 *
 * Throws a `RouteError` listing every problem (index, field, code) when any route is invalid.
 */
export function compileRouteTable(routes: readonly RouteConfig[]): RouteTable {
  const issues: RouteIssue[] = []
  const compiled = routes.map((r, i) => compileRoute(r, i, issues))
  if (issues.length > 0) throw RouteError.fromIssues(`invalid route table (${issues.length} problem${issues.length === 1 ? '' : 's'})`, issues)

  const slots = compiled.map((c) => c.slot)
  const generalEntries: { index: number; key: PathKey }[] = []
  const hostEntries = new Map<string, { index: number; key: PathKey }[]>()
  for (const { route, exactHosts, key } of compiled) {
    if (exactHosts === undefined) {
      generalEntries.push({ index: route.index, key })
      continue
    }
    for (const h of exactHosts) {
      const list = hostEntries.get(h)
      if (list === undefined) hostEntries.set(h, [{ index: route.index, key }])
      else list.push({ index: route.index, key })
    }
  }
  const general = new SegmentIndex(generalEntries)
  const byHost = new Map<string, SegmentIndex>()
  for (const [h, entries] of hostEntries) byHost.set(h, new SegmentIndex(entries))

  return {
    routes: compiled.map((c) => c.route),
    match(request) {
      const view = viewRequest(request)
      const segment = firstSegment(view.path)
      const own = byHost.size === 0 ? undefined : byHost.get(view.host)
      const a: Candidates = own === undefined ? NO_CANDIDATES : own.primary(segment)
      const b: Candidates = own === undefined ? NO_CANDIDATES : own.rest
      const c = general.primary(segment)
      const d = general.rest
      // Four ascending lists, pairwise disjoint: always take the smallest head.
      let i = 0
      let j = 0
      let k = 0
      let l = 0
      for (;;) {
        const ai = a[i]!
        const bj = b[j]!
        const ck = c[k]!
        const dl = d[l]!
        let next: number
        if (ai < bj) {
          if (ai < ck && ai < dl) next = a[i++]!
          else if (ck < dl) next = c[k++]!
          else next = d[l++]!
        } else if (bj < ck && bj < dl) next = b[j++]!
        else if (ck < dl) next = c[k++]!
        else next = d[l++]!
        if (next === END) return undefined
        const slot = slots[next]!
        if (slot.test(view)) return slot.matched
      }
    },
  }
}
