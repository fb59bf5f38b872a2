import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { issuesOf, parseYaml } from '../../engine/config/load-document.js'
import { EngineError, type Issue } from '../../engine/errors.js'
import { combinations, labelText, pathSteps, patternIssues, setPath, substitute, withoutExcluded, type VariantLabel } from './matrix.js'
import { directPool, poolListenerTarget, resolveBalancer, withTargetPorts, type BackendEndpoint } from './resolve-balancer.js'
import { scenarioSchema, type Scenario } from './scenario-schema.js'
import { withGeneratedRoutes } from './generated-routes.js'
import { splitArmsOf } from './split-arms.js'
import { scaleTimes } from './time-scale.js'
import { externalIssues, inlineTemplateFile } from '../peers/external/external-checks.js'

/** One combination of the matrix, fully validated. */
export interface ScenarioVariant {
  readonly label: VariantLabel
  readonly scenario: Scenario
}

/** A scenario file, expanded and validated. */
export interface LoadedScenario {
  readonly file: string
  /** SHA-256 of the file's text: results say exactly what ran. */
  readonly hash: string
  readonly name: string
  readonly description: string
  readonly variants: readonly ScenarioVariant[]
  readonly repeats: number
  readonly quick: boolean
}

const matrixOnly = scenarioSchema.pick({ matrix: true, exclude: true, quick: true })

/** Placeholder endpoints for validating a balancer before anything is started. */
function placeholderEndpoints(s: Scenario): BackendEndpoint[] {
  return Object.entries(s.backends).flatMap(([group, g]) =>
    Array.from({ length: g.count }, (_, i) => ({ id: `${group}-${i}`, group, host: '127.0.0.1', ports: { http: 1, https: 1, tcp: 1, udp: 1, control: 1 }, weight: g.weight })),
  )
}

/** References inside a variant that the schema alone cannot check. */
export function crossReferenceIssues(s: Scenario): Issue[] {
  const issues: Issue[] = []
  const groups = new Set(Object.keys(s.backends))
  const pools = new Set(Object.keys(s.balancer.pools))
  const group = (path: string, g: string) => {
    if (!groups.has(g)) issues.push({ path, message: `no backend group "${g}" (groups: ${[...groups].join(', ')})` })
  }
  for (const [name, pool] of Object.entries(s.balancer.pools)) {
    const spec = pool.backends
    if (typeof spec === 'object' && !Array.isArray(spec) && 'listener' in spec) {
      const l = s.balancer.listeners.find((x) => x.name === spec.listener)
      const path = `balancer.pools.${name}.backends.listener`
      if (l === undefined) issues.push({ path, message: `no balancer listener "${spec.listener}" (listeners: ${s.balancer.listeners.map((x) => x.name).join(', ')})` })
      else if (l.pool === name || l.sni?.some((x) => x.pool === name) || l.routes?.some((r) => r.pool === name || r.split?.some((x) => x.pool === name))) {
        issues.push({ path, message: `listener ${spec.listener} sends to pool ${name} itself: a loop` })
      }
      continue
    }
    const list = typeof spec === 'string' ? [spec] : Array.isArray(spec) ? spec : [...spec.groups, ...spec.backup]
    list.forEach((g, i) => group(`balancer.pools.${name}.backends${typeof spec === 'string' ? '' : `[${i}]`}`, g))
  }
  const listener = s.load.listener ?? s.balancer.listeners[0]!.name
  const target = s.balancer.listeners.find((l) => l.name === listener)
  if (target === undefined) issues.push({ path: 'load.listener', message: `no balancer listener "${listener}"` })
  if (target !== undefined && s.balancer.implementation === 'direct') {
    const pool = directPool(target)
    if (target.protocol === 'https') issues.push({ path: 'balancer.implementation', message: `direct sends to a backend port as listener ${listener}'s pool uses it, which is plaintext behind an https listener: load a tls or http listener` })
    if (pool !== undefined && poolListenerTarget(s.balancer, pool) !== undefined) issues.push({ path: 'balancer.implementation', message: `direct needs backends: pool ${pool} of listener ${listener} sends to another listener` })
  }
  if (target?.protocol === 'udp' && s.load.protocol !== undefined && s.load.protocol !== 'udp') issues.push({ path: 'load.protocol', message: 'a udp listener is loaded with udp' })
  issues.push(...externalIssues(s.balancer.implementation, s.balancer.external, { listeners: s.balancer.listeners.map((l) => l.name), pools: Object.keys(s.balancer.pools) }))
  const multiplexed = s.load.protocol === 'h2' || s.load.protocol === 'grpc'
  if (s.load.streamsPerConnection !== undefined && !multiplexed) issues.push({ path: 'load.streamsPerConnection', message: 'applies to protocol h2 or grpc' })
  if (s.load.grpc !== undefined && s.load.protocol !== 'grpc') issues.push({ path: 'load.grpc', message: 'applies to protocol grpc' })
  if (multiplexed && s.load.newConnectionPerRequest) issues.push({ path: 'load.newConnectionPerRequest', message: 'h2 and grpc multiplex requests on long-lived connections' })
  if (multiplexed && s.load.generator === 'autocannon') issues.push({ path: 'load.generator', message: 'autocannon drives HTTP/1.1 only; use the layerbench generator for h2 and grpc' })
  if (s.load.mode === 'open' && s.load.rate === undefined) issues.push({ path: 'load.rate', message: 'an open-loop load needs a rate' })
  if (s.load.generator === 'autocannon' && !['http', undefined].includes(s.load.protocol) && target?.protocol !== 'http') {
    issues.push({ path: 'load.generator', message: 'autocannon drives plain HTTP only; use the layerbench generator for https, tcp, tls and udp' })
  }
  s.load.mix?.forEach((m, i) => {
    if (m.expect?.group !== undefined) group(`load.mix[${i}].expect.group`, m.expect.group)
    m.expect?.groups?.forEach((g, j) => group(`load.mix[${i}].expect.groups[${j}]`, g))
  })
  s.timeline.forEach((t, i) => {
    const g = /^[^[]+/.exec(t.target)![0]
    group(`timeline[${i}].target`, g)
    const index = /\[(\d+)\]$/.exec(t.target)
    if (index !== null && groups.has(g) && Number(index[1]) >= s.backends[g]!.count) issues.push({ path: `timeline[${i}].target`, message: `${g} has ${s.backends[g]!.count} backend(s)` })
    if ('pool' in t && t.pool !== undefined && !pools.has(t.pool)) issues.push({ path: `timeline[${i}].pool`, message: `no pool "${t.pool}"` })
    if (t.do === 'set-weight' && t.route !== undefined && groups.has(g)) {
      const arms = splitArmsOf(s.balancer, t.route, g)
      if (index !== null) issues.push({ path: `timeline[${i}].target`, message: 'a split weighs pools: target a whole group' })
      else if (arms === undefined) issues.push({ path: `timeline[${i}].route`, message: `no listener has a route "${t.route}" (unnamed routes are route-<index>)` })
      else if (arms.pools.length === 0) issues.push({ path: `timeline[${i}].route`, message: `no split arm of route ${t.route} draws from group ${g}` })
    }
  })
  s.expect.forEach((e, i) => {
    if ('share' in e) {
      for (const g of Object.keys(e.share.groups ?? {})) group(`expect[${i}].share.groups.${g}`, g)
      if (e.share.backendsOf !== undefined) group(`expect[${i}].share.backendsOf`, e.share.backendsOf)
      if ((e.share.groups === undefined) === (e.share.backendsOf === undefined)) issues.push({ path: `expect[${i}].share`, message: 'give exactly one of groups or backendsOf' })
    }
    if ('groupShare' in e) group(`expect[${i}].groupShare.group`, e.groupShare.group)
    if ('remap' in e && s.load.clients < 2 && !s.load.cookies) issues.push({ path: `expect[${i}].remap`, message: 'keys are clients: needs load.clients ≥ 2 or load.cookies' })
    if ('backendSees' in e && e.backendSees.clientAddress !== undefined && s.load.clients < 2) {
      issues.push({ path: `expect[${i}].backendSees.clientAddress`, message: 'needs load.clients ≥ 2: clients from 127.0.1.x, apart from the balancer’s own address' })
    }
    if ('when' in e && e.when !== undefined) {
      for (const dim of Object.keys(e.when)) if (!Object.hasOwn(s.matrix, dim)) issues.push({ path: `expect[${i}].when.${dim}`, message: `no matrix dimension "${dim}"` })
    }
  })
  if (s.load.agents > 1) {
    const agents = (message: string) => issues.push({ path: 'load.agents', message })
    if (s.load.generator !== 'layerbench') agents('agents run the layerbench generator: set load.generator: layerbench')
    // A mix crosses to the agents as data; what follows each client needs one generator.
    if (s.load.cookies || s.load.clients > 1) agents('cookies and client addresses need one generator: set load.agents: 1')
    if (s.load.connections < s.load.agents) agents(`${s.load.agents} agents need at least as many connections (load.connections is ${s.load.connections})`)
    if (s.load.maxRequests !== undefined && s.load.maxRequests < s.load.agents) agents(`${s.load.agents} agents need load.maxRequests ≥ ${s.load.agents}`)
  }
  if (issues.length === 0) {
    try {
      // Placeholder ports for listeners other listeners' pools send to; the runner picks free ones.
      resolveBalancer(withTargetPorts(s.balancer, (_, i) => 1 + i), placeholderEndpoints(s), 'balancer')
    } catch (e) {
      if (!(e instanceof EngineError)) throw e
      for (const i of e.issues) issues.push({ path: `balancer.${i.path}`, message: i.message })
    }
  }
  return issues
}

/** Applies --quick: shorter load and fewer repeats, as the scenario's `quick` section says. */
function quickened(scenario: Scenario): Scenario {
  const q = scenario.quick
  const s = q.timeScale === undefined ? scenario : scaleTimes(scenario, q.timeScale)
  return {
    ...s,
    repeats: q.repeats ?? s.repeats,
    load: {
      ...s.load,
      ...(q.duration === undefined ? {} : { duration: q.duration }),
      ...(q.warmup === undefined ? {} : { warmup: q.warmup }),
      ...(q.rate === undefined ? {} : { rate: q.rate }),
      ...(q.connections === undefined ? {} : { connections: q.connections }),
    },
  }
}

/**
 * Parses a scenario document, expands its matrix, and validates every variant in full: schema,
 * cross-references and the balancer configuration each variant would run. Every problem is
 * reported at once (a problem found in only some variants names them); nothing runs half-way.
 */
export function parseScenario(raw: unknown, file: string, text: string, options: { quick?: boolean } = {}): LoadedScenario {
  const issues: Issue[] = []
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new EngineError('LB_ERR_INVALID_SCENARIO', `${file} is not a scenario (expected a mapping)`)
  const top = raw as { matrix?: unknown; exclude?: unknown; quick?: unknown }
  const m = matrixOnly.safeParse({ matrix: top.matrix, exclude: top.exclude, quick: top.quick })
  if (!m.success) throw new EngineError('LB_ERR_INVALID_SCENARIO', `${file} is invalid`, issuesOf(m.error))
  const { matrix: _matrix, ...body } = raw as Record<string, unknown>
  inlineTemplateFile(body, file, issues)
  issues.push(...patternIssues(m.data.matrix, m.data.exclude, 'exclude'), ...patternIssues(m.data.matrix, m.data.quick.exclude ?? [], 'quick.exclude'))
  const combos = withoutExcluded(withoutExcluded(combinations(m.data.matrix), m.data.exclude), options.quick ? (m.data.quick.exclude ?? []) : [])
  if (combos.length === 0) issues.push({ path: options.quick ? 'quick.exclude' : 'exclude', message: 'every combination of the matrix is excluded' })
  const variants: ScenarioVariant[] = []
  const perIssue = new Map<string, { issue: Issue; variants: string[] }>()
  for (const c of combos) {
    const tree = substitute(body, c.values) as Record<string, unknown>
    for (const [path, value] of c.sets) {
      const steps = pathSteps(path)
      if (steps === undefined) issues.push({ path: `matrix (${labelText(c.label)})`, message: `"${path}" is not a path such as balancer.listeners[0].protocol` })
      else setPath(tree, steps, value)
    }
    const parsed = scenarioSchema.safeParse({ ...tree, matrix: m.data.matrix })
    // Generated routes become ordinary ones here: validation, the runner and the peers see them.
    const scenario = parsed.success ? withGeneratedRoutes(parsed.data) : undefined
    const found = scenario !== undefined ? crossReferenceIssues(scenario) : issuesOf(parsed.error!)
    for (const issue of found) {
      const key = `${issue.path}\u0000${issue.message}`
      const entry = perIssue.get(key) ?? { issue, variants: [] }
      entry.variants.push(labelText(c.label))
      perIssue.set(key, entry)
    }
    if (scenario !== undefined && found.length === 0) variants.push({ label: c.label, scenario: options.quick ? quickened(scenario) : scenario })
  }
  for (const { issue, variants: where } of perIssue.values()) {
    const some = combos.length > 1 && where.length < combos.length
    issues.push(some ? { path: issue.path, message: `${issue.message} (in variant${where.length > 1 ? 's' : ''} ${where.join('; ')})` } : issue)
  }
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_SCENARIO', `${file} is invalid`, issues)
  const first = variants[0]!.scenario
  return {
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    name: first.name,
    description: first.description,
    variants,
    repeats: first.repeats,
    quick: options.quick ?? false,
  }
}

/** Reads, expands and validates a scenario file. */
export function loadScenario(file: string, options: { quick?: boolean } = {}): LoadedScenario {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new EngineError('LB_ERR_CONFIG_UNREADABLE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  let raw: unknown
  try {
    raw = parseYaml(text, file)
  } catch (e) {
    if (e instanceof EngineError) throw new EngineError('LB_ERR_INVALID_SCENARIO', e.message.split('\n')[0]!, e.issues)
    throw e
  }
  return parseScenario(raw, file, text, options)
}

