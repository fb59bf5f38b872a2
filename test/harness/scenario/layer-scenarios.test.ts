import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadScenario } from '../../../harness/scenario/load-scenario.js'

/**
 * The layer scenarios the claims page reads (l4-vs-l7, TLS, the hybrid, non-HTTP): names,
 * dimensions, values and expectation names are a contract. Each loads in full and under --quick.
 */
const file = (name: string) => fileURLToPath(new URL(`../../../scenarios/${name}.yaml`, import.meta.url))
const labels = (name: string, quick = false) => loadScenario(file(name), { quick }).variants.map((v) => v.label)
const values = (name: string, dim: string, quick = false) => new Set(labels(name, quick).map((l) => l[dim]))
const expectationNames = (name: string) => new Set(loadScenario(file(name)).variants.flatMap((v) => v.scenario.expect.map((e) => e.name)))

describe('the layer scenarios', () => {
  it.each([
    ['l4-vs-l7', { balancer: ['direct', 'engine', 'haproxy', 'nginx', 'caddy'], layer: ['l4', 'l7'], connection: ['keep-alive', 'new'], load: ['fixed-rate', 'max'] }],
    ['tls-passthrough-vs-termination', { tls: ['passthrough', 'termination'] }],
    ['proxy-protocol-hybrid', { path: ['direct', 'l7', 'l4+l7'] }],
    ['non-http', { protocol: ['tcp', 'udp'] }],
  ])('%s has its name and dimensions', (name, dims) => {
    const loaded = loadScenario(file(name))
    expect(loaded.name).toBe(name)
    for (const [dim, want] of Object.entries(dims)) expect([...values(name, dim)]).toEqual(expect.arrayContaining(want))
  })

  it('l4-vs-l7: direct runs without a balancer, once per connection at the fixed rate (no layer distinction); fixed-rate is an open loop, max a closed one', () => {
    const variants = loadScenario(file('l4-vs-l7')).variants
    const direct = variants.filter((v) => v.label.balancer === 'direct')
    expect(direct.every((v) => v.scenario.balancer.implementation === 'direct' && v.label.layer === 'l4' && v.label.load === 'fixed-rate')).toBe(true)
    expect(direct).toHaveLength(2)
    for (const v of variants) {
      expect(v.scenario.load.mode).toBe(v.label.load === 'fixed-rate' ? 'open' : 'closed')
      expect(v.scenario.load.newConnectionPerRequest).toBe(v.label.connection === 'new')
      expect(v.scenario.balancer.listeners[0]!.protocol).toBe(v.label.layer === 'l4' ? 'tcp' : 'http')
      if (v.label.balancer !== 'direct') expect(v.scenario.balancer.implementation).toBe(v.label.balancer)
    }
  })

  it('--quick keeps what the claims read', () => {
    const quick = labels('l4-vs-l7', true).map((l) => `${l.balancer} ${l.layer} ${l.connection} ${l.load}`)
    for (const want of ['direct l4 keep-alive fixed-rate', 'engine l4 keep-alive fixed-rate', 'engine l7 keep-alive fixed-rate', 'engine l4 keep-alive max', 'engine l7 keep-alive max']) expect(quick).toContain(want)
    expect(values('tls-passthrough-vs-termination', 'tls', true)).toEqual(new Set(['passthrough', 'termination']))
    expect(labels('tls-passthrough-vs-termination', true).every((l) => l.connection === 'new')).toBe(true)
    expect(values('proxy-protocol-hybrid', 'path', true)).toEqual(new Set(['direct', 'l7', 'l4+l7']))
    expect(values('non-http', 'protocol', true)).toEqual(new Set(['tcp', 'udp']))
    const runs = (name: string, quick: boolean) => labels(name, quick).length * loadScenario(file(name), { quick }).repeats
    // The budget: l4-vs-l7 spends its runs on repeats of what the claims read (7 variants × 5), the others stay small.
    expect(runs('l4-vs-l7', true)).toBeLessThanOrEqual(35)
    expect(loadScenario(file('l4-vs-l7'), { quick: true }).repeats).toBeGreaterThanOrEqual(5)
    // Full: 13 variants × 5 (Caddy at layer 7 beside the others at the fixed rate).
    expect(runs('l4-vs-l7', false)).toBeLessThanOrEqual(65)
    expect(['tls-passthrough-vs-termination', 'proxy-protocol-hybrid', 'non-http'].reduce((n, name) => n + runs(name, true), 0)).toBeLessThanOrEqual(7)
  })

  it('names the expectations the claims page counts', () => {
    expect([...expectationNames('tls-passthrough-vs-termination')]).toEqual(expect.arrayContaining(['backend receives TLS', 'backend receives plaintext']))
    expect([...expectationNames('proxy-protocol-hybrid')]).toContain('backend sees the real client address')
    const hybrid = loadScenario(file('proxy-protocol-hybrid')).variants
    expect(hybrid.find((v) => v.label.path === 'direct')!.scenario.balancer.implementation).toBe('direct')
    expect(hybrid.every((v) => v.scenario.load.clients > 1)).toBe(true)
    expect(hybrid.find((v) => v.label.path === 'l4+l7')!.scenario.balancer.pools['l7-tier']).toMatchObject({ backends: { listener: 'app' }, proxyProtocol: 'v2' })
  })
})
