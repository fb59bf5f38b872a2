import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { parseScenario } from '../../../harness/scenario/load-scenario.js'
import { directPool, poolGroups, resolveBalancer, targetedListeners, withTargetPorts, type BackendEndpoint } from '../../../harness/scenario/resolve-balancer.js'
import { balancerSectionSchema } from '../../../harness/scenario/scenario-schema.js'

/** An L4 tier sending PROXY v2 to an L7 tier of the same balancer. */
const hybrid = () => ({
  listeners: [
    { name: 'edge', protocol: 'tcp', pool: 'tier' },
    { name: 'app', protocol: 'http', proxyProtocol: { versions: ['v2'], trustedSources: ['127.0.0.1/32'] }, routes: [{ pool: 'svc' }] },
  ],
  pools: { tier: { backends: { listener: 'app' }, proxyProtocol: 'v2' }, svc: { backends: 'svc' } },
})
const endpoints: BackendEndpoint[] = [
  { id: 'svc-0', group: 'svc', host: '127.0.0.5', ports: { http: 8080 }, weight: 1 },
  { id: 'svc-1', group: 'svc', host: '127.0.0.6', ports: { http: 8081 }, weight: 1 },
]

describe('a pool whose backend is another listener', () => {
  it('names its targets and draws from no group', () => {
    const section = balancerSectionSchema.parse(hybrid())
    expect([...targetedListeners(section)]).toEqual(['app'])
    expect(poolGroups(section, 'tier').groups).toEqual([])
  })

  it('resolves to the listener’s address once its port is fixed', () => {
    const section = withTargetPorts(balancerSectionSchema.parse(hybrid()), () => 18085)
    expect(section.listeners.map((l) => l.bind)).toEqual(['127.0.0.1:0', '127.0.0.1:18085'])
    const config = resolveBalancer(section, endpoints, 'test')
    expect(config.pools.tier!.backends).toEqual([expect.objectContaining({ id: 'listener-app', host: '127.0.0.1', port: 18085 })])
    expect(config.pools.tier!.proxyProtocol).toBe('v2')
    expect(config.pools.svc!.backends.map((b) => b.port)).toEqual([8080, 8081])
  })

  it('keeps a fixed port as given, and refuses to resolve an unfixed one', () => {
    const fixed = hybrid()
    ;(fixed.listeners[1] as { bind?: string }).bind = '127.0.0.1:19000'
    expect(withTargetPorts(balancerSectionSchema.parse(fixed), () => 1).listeners[1]!.bind).toBe('127.0.0.1:19000')
    expect(() => resolveBalancer(balancerSectionSchema.parse(hybrid()), endpoints, 'test')).toThrow(EngineError)
  })

  const scenario = (balancer: unknown, extra: Record<string, unknown> = {}) => ({ name: 'h', backends: { svc: { count: 2 } }, balancer, load: { duration: '1s', listener: 'edge' }, ...extra })
  const issuesOf = (raw: unknown) => {
    try {
      parseScenario(raw, 'h.yaml', '')
    } catch (e) {
      return (e as EngineError).issues
    }
    return []
  }

  it('validates as a scenario', () => {
    expect(parseScenario(scenario(hybrid()), 'h.yaml', '').variants).toHaveLength(1)
  })

  it('reports a missing listener and a loop', () => {
    const missing = hybrid()
    missing.pools.tier.backends = { listener: 'nope' }
    expect(issuesOf(scenario(missing))).toContainEqual({ path: 'balancer.pools.tier.backends.listener', message: 'no balancer listener "nope" (listeners: edge, app)' })
    const loop = hybrid()
    loop.pools.tier.backends = { listener: 'edge' }
    expect(issuesOf(scenario(loop))).toContainEqual({ path: 'balancer.pools.tier.backends.listener', message: 'listener edge sends to pool tier itself: a loop' })
  })
})

describe('direct (no balancer)', () => {
  it('goes to a layer 4 listener’s pool, the first pool a layer 7 listener routes to, a tls listener’s default pool', () => {
    expect(directPool({ pool: 'a' })).toBe('a')
    expect(directPool({ routes: [{ split: [{ pool: 'canary' }, { pool: 'stable' }] }, { pool: 'web' }] })).toBe('canary')
    expect(directPool({ routes: [{ pool: 'web' }] })).toBe('web')
    expect(directPool({ sni: [{ pool: 'www' }], pool: 'fallback' })).toBe('fallback')
  })

  const scenario = (listener: Record<string, unknown>, pools: Record<string, unknown> = { web: { backends: 'web' } }) => ({
    name: 'd',
    backends: { web: { count: 1 } },
    balancer: { implementation: 'direct', listeners: [{ name: 'web', ...listener }], pools },
    load: { duration: '1s' },
  })
  it('validates, and refuses what it cannot reach', () => {
    expect(parseScenario(scenario({ protocol: 'tcp', pool: 'web' }), 'd.yaml', '').variants[0]!.scenario.balancer.implementation).toBe('direct')
    const refused = (raw: unknown) => {
      try {
        parseScenario(raw, 'd.yaml', '')
      } catch (e) {
        return (e as EngineError).issues.map((i) => i.path)
      }
      return []
    }
    expect(refused(scenario({ protocol: 'https', tls: { certificates: [{ selfSigned: { dnsNames: ['a.test'] } }] }, routes: [{ pool: 'web' }] }))).toEqual(['balancer.implementation'])
  })

  it('a backendSees clientAddress expectation needs distinct client addresses', () => {
    const raw = { ...scenario({ protocol: 'tcp', pool: 'web' }), expect: [{ backendSees: { clientAddress: 'real' } }] }
    try {
      parseScenario(raw, 'd.yaml', '')
      expect.unreachable()
    } catch (e) {
      expect((e as EngineError).issues.map((i) => i.path)).toEqual(['expect[0].backendSees.clientAddress'])
    }
    expect(parseScenario({ ...raw, load: { duration: '1s', clients: 2 } }, 'd.yaml', '').variants).toHaveLength(1)
  })
})
