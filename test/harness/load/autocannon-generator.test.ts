import { afterEach, describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { autocannonGenerator, reconcileAutocannon } from '../../../harness/load/index.js'
import { expectConsistent, generatorConformance, httpPlan } from './generator-conformance.js'
import { closeServers } from '../../helpers/test-servers.js'
import { scriptedHttpBackend } from './servers.js'

generatorConformance(autocannonGenerator)

describe('autocannon generator', () => {
  afterEach(closeServers)

  it.each([
    ['tcp', { protocol: 'tcp' as const }, 'protocol'],
    ['udp', { protocol: 'udp' as const }, 'protocol'],
    ['a connection per request', { newConnectionPerRequest: true }, 'newConnectionPerRequest'],
  ])('refuses %s with a coded error', async (_name, over, path) => {
    const err = await autocannonGenerator.run({ protocol: 'http', target: { host: '127.0.0.1', port: 1 }, mode: 'closed', connections: 1, durationMs: 100, ...over }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EngineError)
    expect((err as EngineError).code).toBe('LB_ERR_INVALID_OPTIONS')
    expect((err as EngineError).issues.map((i) => i.path)).toEqual([path])
  })

  it('agrees with autocannon’s own counters when responses, resets and 503s mix', async () => {
    const server = await scriptedHttpBackend({ behaviour: (i) => (i % 5 === 4 ? { reset: true } : i % 3 === 0 ? { status: 503 } : {}) })
    const s = await autocannonGenerator.run(httpPlan(server, { durationMs: 400 }))
    expectConsistent(s)
    expect(s.failures.byKind.reset).toBeGreaterThan(0)
    expect(s.failures.byKind.status).toBeGreaterThan(0)
    expect(s.warnings.filter((w) => w.includes('autocannon counted') || w.includes('tap'))).toEqual([])
  })

  it('notes that its paced mode is not a true open loop', async () => {
    const server = await scriptedHttpBackend()
    const s = await autocannonGenerator.run(httpPlan(server, { mode: 'open', rate: 100, durationMs: 300 }))
    expect(s.warnings).toContainEqual(expect.stringContaining('not a constant-rate open loop'))
  })

  it('reconciles counters: disagreements become warnings', () => {
    const theirs = { statusCodeStats: { '200': { count: 10 }, '503': { count: 2 } }, non2xx: 2, timeouts: 0, errors: 0, resets: 0 }
    expect(reconcileAutocannon(theirs, { sent: 12, responses: 12, byStatus: { '200': 10, '503': 2 }, non2xx: 2, timeouts: 0, unmatched: 0 })).toEqual([])
    expect(reconcileAutocannon(theirs, { sent: 12, responses: 11, byStatus: { '200': 9, '503': 2 }, non2xx: 2, timeouts: 1, unmatched: 1 })).toEqual([
      'autocannon counted 10 responses with status 200, the per-request tap 9',
      'the tap lost 1 requests to timeouts, autocannon counted 0 expiries',
      '1 responses matched no request sent',
    ])
  })
})
