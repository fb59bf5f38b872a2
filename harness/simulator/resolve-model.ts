import { isPeerName } from '../peers/peer-names.js'
import { murmur3 } from '../../engine/balancing/hash.js'
import { configureAlgorithm } from '../../engine/balancing/create-picker.js'
import { EngineError, type Issue } from '../../engine/errors.js'
import { IDEMPOTENT } from '../../engine/l7/l7-settings.js'
import { compileRouteTable, getCookie, queryParam, requestPath, type RouteConfig, type RouteRequest, type RouteTable } from '../../engine/routing/index.js'
import { activeArms, reweightSplit } from '../../engine/routing/split-weights.js'
import type { HttpRequestShape } from '../load/load-types.js'
import { clientAddresses } from '../runner/client-addresses.js'
import { requestPlan } from '../runner/request-mix.js'
import { directPool, poolGroups } from '../scenario/resolve-balancer.js'
import { routeName, splitArmsOf } from '../scenario/split-arms.js'
import type { Scenario } from '../scenario/scenario-schema.js'
import type { OpenArrival } from './arrival-process.js'
import type { SimBackend, SimKeys, SimLoad, SimModel, SimPool, SimRequestKind, SimTimelineEntry } from './sim-model.js'
import { simulationSectionSchema, type SimLatency, type SimulationSection } from './simulation-schema.js'

/** Service time of a backend whose behaviour injects no latency: the backend app's own work. */
export const DEFAULT_SERVICE: SimLatency = { kind: 'fixed', ms: 0.05 }

/**
 * The same string, internalized (as property names are): maps keyed by backend id then match keys
 * by identity, where built strings would be compared character by character on every lookup.
 */
function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0]!
}

/** What the resolution needs beyond the scenario. */
export interface ResolveOptions {
  /** Seed override (the CLI's --seed); default the section's, else the scenario's. */
  readonly seed?: number
  /** Measured requests override (the CLI's --requests). */
  readonly requests?: number
  /** Replay traces by the `file` the arrival names, already parsed (µs offsets). */
  readonly traces?: ReadonlyMap<string, Float64Array>
}

const layerOf = (protocol: string): 4 | 7 => (protocol === 'http' || protocol === 'https' ? 7 : 4)

/** The routing view of a load request shape. */
function routeRequest(shape: HttpRequestShape): RouteRequest {
  const headers = new Map(Object.entries(shape.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    method: shape.method ?? 'GET',
    host: shape.hostHeader ?? headers.get('host') ?? '127.0.0.1',
    target: shape.path ?? '/',
    header: (name) => headers.get(name),
    cookieHeader: () => headers.get('cookie'),
  }
}

/** The key a pool's `hashKey` extracts from a request shape (header, cookie, path, query). */
function shapeKey(source: string, keyName: string | undefined, shape: HttpRequestShape): string | undefined {
  const req = routeRequest(shape)
  switch (source) {
    case 'header':
      return req.header(keyName!.toLowerCase())
    case 'cookie':
      return getCookie(req.cookieHeader(), keyName!)
    case 'path':
      return requestPath(req.target)
    case 'query':
      return queryParam(req.target, keyName!)
    default:
      return undefined
  }
}

/**
 * Resolves a validated scenario variant into a simulation model. The `simulation` section (or its
 * defaults) decides what the scenario cannot say: servers, queues, service times beyond the
 * behaviour, the arrival process. Throws EngineError LB_ERR_INVALID_SIMULATION listing every
 * problem (unknown groups, an open loop without a rate, a trace not given, …).
 */
export function resolveModel(s: Scenario, options: ResolveOptions = {}): SimModel {
  const section = s.simulation ?? simulationSectionSchema.parse({})
  const issues: Issue[] = []
  const notes: string[] = []
  const groups = Object.keys(s.backends)
  for (const g of Object.keys(section.backends)) {
    if (!Object.hasOwn(s.backends, g)) issues.push({ path: `simulation.backends.${g}`, message: `no backend group "${g}" (groups: ${groups.join(', ')})` })
  }

  // Backends: each group's instances, then the ones add-backend entries will start, per group.
  const backends: SimBackend[] = []
  const counts = new Map<string, number>()
  const station = (group: string, index: number, present: boolean): SimBackend => {
    const g = s.backends[group]!
    const sim = section.backends[group] ?? {}
    return {
      id: internalized(`${group}-${index}`),
      group,
      weight: g.weight,
      servers: sim.servers ?? Infinity,
      queue: sim.queue ?? Infinity,
      service: sim.service ?? g.behaviour.latency ?? DEFAULT_SERVICE,
      behaviour: g.behaviour,
      present,
    }
  }
  for (const group of groups) {
    const n = section.backends[group]?.count ?? s.backends[group]!.count
    counts.set(group, n)
    for (let i = 0; i < n; i++) backends.push(station(group, i, true))
  }
  for (const t of s.timeline) {
    if (t.do !== 'add-backend') continue
    const n = counts.get(t.target) ?? 0
    if (!Object.hasOwn(s.backends, t.target)) continue
    backends.push(station(t.target, n, false))
    counts.set(t.target, n + 1)
  }
  const indexById = new Map(backends.map((b, i) => [b.id, i]))

  // Pools, as the engine would configure them (the scenario schema already applied the engine's defaults).
  const poolNames = Object.keys(s.balancer.pools)
  const pools: SimPool[] = poolNames.map((name) => {
    const p = s.balancer.pools[name]!
    try {
      configureAlgorithm(p.algorithm, p.algorithmOptions, `balancer.pools.${name}.algorithm`)
    } catch (e) {
      if (!(e instanceof EngineError)) throw e
      issues.push(...e.issues)
    }
    const { groups: poolGroupNames, backup } = poolGroups(s.balancer, name)
    const members = backends.flatMap((b, index) => (b.present && poolGroupNames.includes(b.group) ? [{ index, backup: backup.has(b.group) }] : []))
    const hc = p.healthCheck
    return {
      name,
      algorithm: p.algorithm,
      algorithmOptions: p.algorithmOptions,
      members,
      groups: poolGroupNames,
      backupGroups: backup,
      ...(hc === undefined ? {} : { healthCheck: { type: hc.type, intervalUs: hc.intervalMs * 1000, timeoutUs: hc.timeoutMs * 1000, rise: hc.rise, fall: hc.fall, initial: hc.initial } }),
      ...(p.outlierDetection === undefined ? {} : { outlierDetection: p.outlierDetection }),
      retries: {
        attempts: p.retries.attempts,
        onConnectFailure: p.retries.on.includes('connect-failure'),
        onGatewayError: p.retries.on.includes('gateway-error'),
        budgetPercent: p.retries.budgetPercent,
        minRetriesPerSecond: p.retries.minRetriesPerSecond,
      },
      responseTimeoutUs: p.timeouts.responseMs * 1000,
      ...(p.slowStart === undefined ? {} : { slowStart: p.slowStart }),
      sticky: p.stickySession !== undefined,
    }
  })
  const poolIndex = (name: string) => poolNames.indexOf(name)

  // The listener the load targets decides the layer and how requests reach pools.
  const listenerName = s.load.listener ?? s.balancer.listeners[0]!.name
  const listener = s.balancer.listeners.find((l) => l.name === listenerName)!
  const layer = layerOf(listener.protocol)
  const plan = requestPlan(s.load, s.seed)
  const direct = s.balancer.implementation === 'direct' ? poolIndex(directPool(listener) ?? '') : -1
  if (direct >= 0) {
    // No balancer: the load goes straight to the first backend of the listener's pool.
    const p = pools[direct]!
    pools[direct] = { ...p, members: p.members.slice(0, 1), healthCheck: undefined, retries: { ...p.retries, attempts: 0 } } as SimPool
    notes.push('direct: every request goes to the first backend of the pool, as the live baseline sends it')
  }
  // Routes as configured, with split weights as the timeline last set them (zero-weight arms
  // kept); a table holds the positive arms only, as the engine's listener does.
  const routesOf = new Map(s.balancer.listeners.map((l) => [l.name, (l.routes ?? []) as RouteConfig[]]))
  const tables = new Map<string, RouteTable>()
  const tableOf = (l: Listener) => {
    let t = tables.get(l.name)
    if (t === undefined) tables.set(l.name, (t = compileRouteTable(routesOf.get(l.name)!.map((r) => (r.split === undefined ? r : { ...r, split: activeArms(r.split) })))))
    return t
  }

  /**
   * Where a request of `shape` arriving at listener `l` goes: a pool (by one uniform draw for a
   * split), −1 when no route matches. A pool whose backends are another listener of the same
   * balancer (a tier behind a tier) is followed into that listener's routing.
   */
  const routeOn = (l: Listener, shape: HttpRequestShape, depth: number): Route => {
    let route: Route
    if (layerOf(l.protocol) === 4) {
      const name = l.sni?.find((r) => r.serverNames.includes(shape.hostHeader ?? s.load.request.host ?? ''))?.pool ?? l.pool ?? ''
      const i = poolIndex(name)
      route = { target: () => i, splits: false, pools: i < 0 ? [] : [name] }
    } else {
      const matched = tableOf(l).match(routeRequest(shape))
      if (matched === undefined) return { target: () => -1, splits: false, pools: [] }
      const splits = matched.route.config.split !== undefined
      const only = poolIndex(matched.route.pools[0]!)
      route = { target: splits ? (u) => poolIndex(matched.target(() => u)) : () => only, splits, pools: [...matched.route.pools] }
    }
    const inner = new Map<number, Route>()
    for (const name of route.pools) {
      const spec = s.balancer.pools[name]!.backends
      const tier = typeof spec === 'object' && !Array.isArray(spec) && 'listener' in spec ? s.balancer.listeners.find((x) => x.name === spec.listener) : undefined
      if (tier === undefined) continue
      if (depth > 4) issues.push({ path: `balancer.pools.${name}.backends`, message: 'tiers nest deeper than four listeners' })
      else inner.set(poolIndex(name), routeOn(tier, shape, depth + 1))
    }
    if (inner.size === 0) return route
    if (notes.every((n) => !n.startsWith('tiers'))) notes.push("tiers: a pool sending to another listener is followed into that listener's routing; the outer pool's own retries and timeouts are not simulated")
    const outer = route.target
    // One draw serves both tiers' splits: enough for the shares, not for their correlation.
    return {
      target: (u) => {
        const p = outer(u)
        const next = inner.get(p)
        return next === undefined ? p : next.target(u)
      },
      splits: route.splits || [...inner.values()].some((r) => r.splits),
      pools: [...route.pools, ...[...inner.values()].flatMap((r) => r.pools)],
    }
  }

  const shapes = s.load.mix === undefined ? [{ shape: plan.base, expect: undefined }] : s.load.mix.map((m) => ({ shape: shapeOf(m), expect: m.expect }))
  const buildKinds = (): SimRequestKind[] =>
    shapes.map(({ shape, expect }) => {
      const route: Route = direct >= 0 ? { target: () => direct, splits: false, pools: [poolNames[direct]!] } : routeOn(listener, shape, 0)
      const hashKey = route.pools.map((n) => s.balancer.pools[n]!.hashKey).find((k) => k !== undefined)
      const key = hashKey === undefined ? undefined : shapeKey(hashKey.source, hashKey.name, shape)
      const expected = expect === undefined ? undefined : new Set([...(expect.group === undefined ? [] : [expect.group]), ...(expect.groups ?? [])])
      return { target: route.target, splits: route.splits, ...(key === undefined ? {} : { keyHash: murmur3(key) }), ...(expected === undefined ? {} : { expectedGroups: expected }) }
    })
  const kinds = buildKinds()
  /** `set-weight` with `route`: the split arms drawing from `group` take `weight`; the kinds route anew. */
  const reweight = (route: string, group: string, weight: number) => {
    const arms = splitArmsOf(s.balancer, route, group)
    if (arms === undefined || arms.pools.length === 0) return undefined
    const routes = routesOf.get(arms.listener)!
    routesOf.set(
      arms.listener,
      routes.map((r, i) => (routeName(r, i) === route && r.split !== undefined ? { ...r, split: reweightSplit(r.split, Object.fromEntries(arms.pools.map((p) => [p, weight]))) } : r)),
    )
    tables.delete(arms.listener)
    return { kinds: buildKinds(), detail: `route ${route}: ${arms.pools.join(', ')} weight ${weight}` }
  }
  let kindOf: ((i: number) => number) | undefined
  if (s.load.mix !== undefined && plan.requestFor !== undefined) {
    // requestPlan returns the mix's shape objects themselves: identity gives the entry.
    const probe = new Map<HttpRequestShape, number>()
    for (let i = 0; probe.size < s.load.mix.length && i < 100_000; i++) {
      const shape = plan.requestFor(i)
      if (!probe.has(shape)) probe.set(shape, entryIndex(s, shape))
    }
    const requestFor = plan.requestFor
    kindOf = (i) => probe.get(requestFor(i)) ?? 0
  }

  // Hash keys: the section's key space, else what the pool's hashKey takes from the traffic.
  const keyedPools = poolNames.filter((n) => s.balancer.pools[n]!.hashKey !== undefined)
  let keys: SimKeys = { kind: 'none' }
  if (section.keys !== undefined) keys = { kind: 'space', count: section.keys.count, zipf: section.keys.distribution === 'zipf' ? section.keys.exponent : 0 }
  else if (keyedPools.length > 0) {
    const source = s.balancer.pools[keyedPools[0]!]!.hashKey!.source
    if (source === 'source-ip') keys = { kind: 'client', hashes: Uint32Array.from(clientAddresses(s.load.clients), (a) => murmur3(a)) }
    else if (source === 'source-address') {
      keys = { kind: 'none' }
      notes.push('source-address keys include an ephemeral port: simulated as a random key per request')
    } else keys = { kind: 'request' }
  }

  // The load.
  const arrival = section.arrival ?? (s.load.mode === 'open' ? { kind: 'constant' as const } : { kind: 'closed' as const, think: 0 })
  const rateOf = (r: number | undefined, path: string): number => {
    const v = r ?? s.load.rate
    if (v === undefined) issues.push({ path, message: 'an open-loop arrival needs a rate (here or in load.rate)' })
    return v ?? 1
  }
  let open: OpenArrival | undefined
  let closed: SimLoad['closed']
  switch (arrival.kind) {
    case 'poisson':
    case 'constant':
      open = { kind: arrival.kind, rate: rateOf(arrival.rate, 'simulation.arrival.rate') }
      break
    case 'bursty':
      if (arrival.on <= 0) issues.push({ path: 'simulation.arrival.on', message: 'a burst must last longer than 0 ms' })
      open = { kind: 'bursty', rate: rateOf(arrival.rate, 'simulation.arrival.rate'), onUs: arrival.on * 1000, offUs: arrival.off * 1000, within: arrival.within }
      break
    case 'replay': {
      const offsets = options.traces?.get(arrival.file)
      if (offsets === undefined) issues.push({ path: 'simulation.arrival.file', message: `trace ${arrival.file} was not loaded` })
      open = { kind: 'replay', offsetsUs: offsets ?? new Float64Array(0), speed: arrival.speed, loop: arrival.loop }
      break
    }
    case 'closed': {
      const clients = arrival.connections ?? s.load.connections
      closed = { clients, thinkUs: arrival.think * 1000, paceUs: s.load.rate === undefined ? 0 : (clients / s.load.rate) * 1e6 }
      break
    }
  }
  const requests = options.requests ?? section.requests ?? s.load.maxRequests
  const connections = section.connections ?? s.load.connections
  const shape0 = shapes[0]!.shape
  const load: SimLoad = {
    mode: open === undefined ? 'closed' : 'open',
    ...(open === undefined ? {} : { open }),
    ...(closed === undefined ? {} : { closed }),
    connections: connections === 'unlimited' ? Infinity : connections,
    warmupUs: s.load.warmup * 1000,
    durationUs: options.requests !== undefined || section.requests !== undefined ? Infinity : s.load.duration * 1000,
    maxRequests: requests ?? Infinity,
    timeoutUs: s.load.timeout * 1000,
    intervalUs: s.load.intervalMs * 1000,
    replayable: layer === 4 || (IDEMPOTENT.has(shape0.method ?? 'GET') && (shape0.bodyBytes ?? 0) === 0),
    kinds,
    ...(kindOf === undefined ? {} : { kindOf }),
    keys,
    clients: s.load.clients,
    cookies: s.load.cookies,
    reweight,
    ...(open !== undefined && 'rate' in open ? { rate: open.rate } : s.load.rate === undefined ? {} : { rate: s.load.rate }),
  }

  const timeline: SimTimelineEntry[] = s.timeline.map((entry) => {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(entry.target)!
    return { atUs: (s.load.warmup + entry.at) * 1000, entry, group: m[1]!, ...(m[2] === undefined ? {} : { index: Number(m[2]) }) }
  })
  timeline.forEach((t, i) => {
    if (t.index !== undefined && !indexById.has(`${t.group}-${t.index}`)) issues.push({ path: `timeline[${i}].target`, message: `${t.group} has ${counts.get(t.group) ?? 0} backend(s)` })
  })
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_SIMULATION', `${s.name} cannot be simulated`, issues)

  const { cpu, tls } = connectionCosts(s, section, listener, notes)
  if (isPeerName(s.balancer.implementation) || s.balancer.implementation === 'external') notes.push(`simulated with the engine's algorithms and retry rules: ${s.balancer.external?.name ?? s.balancer.implementation}'s own implementation is not modelled`)
  if (layer === 4 && s.load.mode === 'closed' && !s.load.newConnectionPerRequest) notes.push('layer 4 balances connections; the simulator places each request as if it opened its own connection')
  if (Object.values(s.backends).some((g) => g.behaviour.slowBody !== undefined || g.behaviour.responseBytes !== undefined)) notes.push('response sizes and slow bodies are not simulated')

  return {
    seed: options.seed ?? section.seed ?? s.seed,
    layer,
    protocol: listener.protocol,
    backends,
    pools,
    load,
    ...(section.network === undefined ? {} : { network: section.network }),
    ...(cpu === undefined ? {} : { balancer: cpu }),
    ...(tls === undefined ? {} : { tls }),
    timeline,
    perBackendSeries: section.perBackendSeries,
    disruptionKeys: section.disruptionKeys,
    notes,
  }
}

type MixEntry = NonNullable<Scenario['load']['mix']>[number]
type Listener = Scenario['balancer']['listeners'][number]

const NO_TIME: SimLatency = { kind: 'fixed', ms: 0 }

/** Who ends TLS on the load's way in: the balancer behind an https listener, else the backends (passthrough, direct). */
function tlsTerminator(s: Scenario, listener: Listener): NonNullable<SimModel['tls']>['at'] | undefined {
  if (s.balancer.implementation === 'direct') return s.load.protocol === 'https' ? 'backends' : undefined
  if (listener.protocol === 'https') return 'balancer'
  return listener.protocol === 'tls' ? 'backends' : undefined
}

/**
 * The balancer's CPU and the TLS handshakes as the run sees them: a connection's share only when
 * each request opens one, the CPU only for the implementations it describes, a core for a
 * terminating balancer's handshakes in any case. What does not apply is noted.
 */
function connectionCosts(s: Scenario, section: SimulationSection, listener: Listener, notes: string[]): { cpu: SimModel['balancer']; tls: SimModel['tls'] } {
  const impl = s.balancer.implementation
  const fresh = s.load.newConnectionPerRequest
  const at = tlsTerminator(s, listener)
  const tls = at !== undefined && section.tls !== undefined && fresh ? { handshake: section.tls.handshake, at } : undefined
  if (at !== undefined && section.tls === undefined) notes.push('TLS handshakes are not simulated (simulation.tls.handshake gives their CPU)')
  if (at !== undefined && section.tls !== undefined && !fresh) notes.push('TLS handshakes on kept-alive connections are rare and left out (simulation.tls applies to a connection per request)')
  const spec = section.balancer
  const applies = impl !== 'direct' && (spec?.implementations?.includes(impl) ?? true)
  if (spec !== undefined && !applies) {
    notes.push(impl === 'direct' ? "direct: no balancer, so the simulation's balancer CPU does not apply" : `${impl}: the simulation's balancer CPU describes ${spec.implementations!.join(', ')}; this run's balancer spends none on requests`)
  }
  let cpu: SimModel['balancer']
  if (spec !== undefined && applies) cpu = fresh && spec.perConnection !== undefined ? { cores: spec.cores, perRequest: spec.perRequest, perConnection: spec.perConnection } : { cores: spec.cores, perRequest: spec.perRequest }
  else if (tls?.at === 'balancer') cpu = { cores: 1, perRequest: NO_TIME }
  return { cpu, tls }
}

/** A request's way to a pool. */
interface Route {
  readonly target: (u: number) => number
  readonly splits: boolean
  /** Every pool it may reach (their hash keys apply). */
  readonly pools: string[]
}

function shapeOf(m: MixEntry): HttpRequestShape {
  return { method: m.method, path: m.path, headers: m.headers, ...(m.bodyBytes > 0 ? { bodyBytes: m.bodyBytes } : {}), ...(m.host === undefined ? {} : { hostHeader: m.host }) }
}

/** Index of the mix entry a request shape came from (same method, path, headers, host and body). */
function entryIndex(s: Scenario, shape: HttpRequestShape): number {
  const key = (x: HttpRequestShape) => JSON.stringify([x.method, x.path, x.headers, x.bodyBytes ?? 0, x.hostHeader])
  const k = key(shape)
  const i = s.load.mix!.findIndex((m) => key(shapeOf(m)) === k)
  return Math.max(0, i)
}
