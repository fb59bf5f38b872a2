import type { LbConfig, ListenerConfig, PoolConfig, RouteSettings } from '../../engine/config/lb-config.js'
import type { FilterConfig } from '../../engine/l7/filters/filter-config.js'
import { integerWeights } from './integer-weights.js'
import type { PeerDriver } from './peer-driver.js'
import { Findings } from './peer-findings.js'
import { algorithmOf, isKeyed, isWeighted, poolUsage, type PoolUsage } from './pool-usage.js'

/**
 * What a peer can do of a configuration. A feature it lacks makes the run skipped (`unsupported`);
 * a close equivalent runs and is listed in `approximations`, so reports say what was compared.
 * Each entry reads `what and why: where`. Limits left at their defaults are not listed: a run
 * does not reach them.
 */
export interface PeerSupport {
  readonly runnable: boolean
  readonly unsupported: string[]
  readonly approximations: string[]
}

const PCRE = 'regular expressions run on PCRE, not JavaScript (alike for common patterns)'

/**
 * Checks a configuration against what a peer can run: its declared capabilities first, then its
 * own checks at each listener, route and pool. Pure.
 */
export function driverSupport(driver: PeerDriver, config: LbConfig): PeerSupport {
  const f = new Findings()
  const c = driver.capabilities
  const usage = poolUsage(config)
  config.listeners.forEach((l, i) => {
    const at = `listeners[${i}]`
    if (!c.protocols.includes(l.protocol)) f.no(c.reasons[`protocol:${l.protocol}`] ?? `${driver.label} does not run ${l.protocol} listeners`, at)
    if (l.proxyProtocol !== undefined && !c.proxyProtocol.accept) f.no(c.reasons['proxyProtocol.accept'] ?? `${driver.label} does not accept PROXY headers`, `${at}.proxyProtocol`)
    else if (l.proxyProtocol !== undefined && l.proxyProtocol.versions.length < 2) f.approx(`${driver.label} accepts PROXY v1 and v2 alike (no per-version setting)`, `${at}.proxyProtocol.versions`)
    driver.checks.listener?.(config, l, at, f)
    checkFilters(driver, l.filters, l, `${at}.filters`, f)
    if (l.routes === undefined || l.protocol === 'tcp' || l.protocol === 'udp') return
    l.routes.forEach((r, j) => checkRoute(driver, l, r, `${at}.routes[${j}]`, f))
  })
  for (const [name, pool] of Object.entries(config.pools)) {
    const u = usage.get(name)!
    if (u.l7 || u.stream || u.udp) checkPool(driver, pool, u, `pools.${name}`, f)
  }
  return { runnable: f.unsupported.length === 0, unsupported: f.unsupported, approximations: f.approximations }
}

/**
 * A listener's or route's filters: each entry by the driver's own check; a driver without one
 * expresses none, and the run is skipped rather than run unlike.
 */
function checkFilters(driver: PeerDriver, filters: readonly FilterConfig[] | undefined, l: ListenerConfig, at: string, f: Findings) {
  if (filters === undefined || filters.length === 0) return
  const check = driver.checks.filter
  if (check === undefined) return f.no(`${driver.label} configurations do not express the engine's filters yet`, at)
  filters.forEach((c, k) => check(c, l, `${at}[${k}]`, f))
}

function checkRoute(driver: PeerDriver, l: ListenerConfig, r: RouteSettings, at: string, f: Findings) {
  checkFilters(driver, r.filters, l, `${at}.filters`, f)
  const m = r.match
  if (m.path !== undefined && 'regex' in m.path) f.approx(PCRE, `${at}.match.path.regex`)
  for (const kind of ['headers', 'cookies', 'query'] as const) {
    m[kind]?.forEach((v, k) => {
      const p = `${at}.match.${kind}[${k}]`
      if (v.regex !== undefined) f.approx(PCRE, `${p}.regex`)
      driver.checks.valueMatch?.(kind, v, p, f)
    })
  }
  driver.checks.route?.(r, at, f)
}

function checkPool(driver: PeerDriver, pool: PoolConfig, u: PoolUsage, at: string, f: Findings) {
  const c = driver.capabilities
  const name = algorithmOf(pool)
  const mapping = c.algorithms[name]
  if ('unsupported' in mapping) f.no(mapping.unsupported, `${at}.algorithm`)
  else if (mapping.approximation !== undefined) f.approx(mapping.approximation, `${at}.algorithm`)
  if (isKeyed(name)) driver.checks.hashKey?.(pool, at, f)
  if (isWeighted(name) && !integerWeights(pool.backends.map((b) => b.weight), c.maxWeight).exact) {
    f.approx(`${driver.label} weights are integers up to ${c.maxWeight}: rescaled and rounded`, `${at}.backends`)
  }
  if (pool.healthCheck !== undefined && !c.healthChecks.active) f.no(c.reasons['healthChecks.active'] ?? `${driver.label} has no active health checks`, `${at}.healthCheck`)
  if (pool.stickySession !== undefined && !c.stickiness) f.no(c.reasons.stickiness ?? `${driver.label} has no cookie stickiness`, `${at}.stickySession`)
  driver.checks.pool?.(pool, u, at, f)
  if (pool.retries.attempts > 0 && pool.retries.budgetPercent < 100) f.approx(`${driver.label} has no retry budget: every request may retry up to attempts`, `${at}.retries.budgetPercent`)
}
