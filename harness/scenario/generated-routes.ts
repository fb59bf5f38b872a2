import type { Scenario } from './scenario-schema.js'

type Listener = Scenario['balancer']['listeners'][number]
type Route = NonNullable<Listener['routes']>[number]
type Generated = NonNullable<Scenario['balancer']['generatedRoutes']>

/**
 * The `count` routes `balancer.generatedRoutes` adds: route `i` (from 1) matches the path prefix
 * `/generated-<i>/` or the host `generated-<i>.example.test`, and sends to `pool`. A scenario's own
 * requests never match them; they only make the table larger.
 */
export function generatedRoutes(g: Pick<Generated, 'match' | 'pool'>, count: number): Route[] {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1
    const match = g.match === 'host' ? { host: `generated-${i}.example.test` } : { path: { prefix: `/generated-${i}/` } }
    return { name: `generated-${i}`, match, pool: g.pool }
  })
}

/**
 * A scenario whose `balancer.generatedRoutes` is applied: the listener's routes padded to the
 * requested size — generated routes `before` the scenario's own (a first-match router passes them
 * all for every request) or `after` them — and the field removed, so the runner, the peers and
 * the validation see ordinary routes. Pure; a scenario without the field is returned as it is. A
 * table already at or over the size gets nothing added.
 */
export function withGeneratedRoutes(s: Scenario): Scenario {
  const g = s.balancer.generatedRoutes
  if (g === undefined) return s
  const target = g.listener ?? s.balancer.listeners[0]!.name
  const listeners = s.balancer.listeners.map((l) => {
    if (l.name !== target) return l
    const own = l.routes ?? []
    const extra = generatedRoutes(g, Math.max(0, g.routes - own.length))
    return { ...l, routes: g.position === 'before' ? [...extra, ...own] : [...own, ...extra] }
  })
  const { generatedRoutes: _applied, ...balancer } = s.balancer
  return { ...s, balancer: { ...balancer, listeners } }
}
