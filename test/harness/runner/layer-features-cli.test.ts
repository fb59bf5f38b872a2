import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resultFileSchema, type ResultFile } from '../../../reports/result/result-model.js'
import { layerbench } from '../../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'layerbench-layer-features-'))

/**
 * One scenario through the CLI that uses every feature of this file's subject at once: the direct
 * baseline, a pool that targets another listener (an L4 tier sending PROXY v2 to an L7 tier), what
 * the backends report receiving, and matrix exclusions under --quick.
 */
const yaml = `
name: tiers
backends:
  svc: { count: 2 }
balancer:
  implementation: engine
  listeners:
    - { name: edge, protocol: tcp, pool: tier }
    - name: app
      protocol: http
      proxyProtocol: { versions: [v2], trustedSources: [127.0.0.1/32] }
      routes: [{ pool: svc }]
  pools:
    tier: { backends: { listener: app }, proxyProtocol: v2 }
    svc: { backends: svc }
load:
  listener: edge
  mode: open
  rate: 200
  connections: 8
  clients: 3
  duration: 1s
  warmup: 200ms
matrix:
  path:
    - name: direct
      set: { balancer.implementation: direct, load.listener: app }
    - name: l7
      set: { load.listener: app }
    - name: l4+l7
exclude: [{ path: l7 }]
quick: { exclude: [] }
expect:
  - { name: real client, backendSees: { clientAddress: real, transport: plaintext } }
  - { name: no errors, errorRate: { max: 0 } }
`

describe('layerbench run: direct baseline, tiers in one balancer, what backends see, exclusions', () => {
  it('runs the variants left after exclusion; the real client address survives both tiers', () => {
    const file = join(dir, 'tiers.yaml')
    writeFileSync(file, yaml)
    const out = join(dir, 'out')
    const r = layerbench(['run', file, '--provider', 'process', '--quick', '--out', out], { timeoutMs: 90_000 })
    expect(r.stderr).not.toMatch(/Error:/)
    expect(r.code).toBe(0)
    const result = resultFileSchema.parse(JSON.parse(readFileSync(join(out, 'tiers', 'result.json'), 'utf8'))) as ResultFile
    expect(result.runs.map((run) => run.variant.path)).toEqual(['direct', 'l4+l7'])
    const [direct, tiers] = result.runs
    expect(direct!.balancer.implementation).toBe('direct')
    expect(direct!.cpu.perRequestUs.balancer).toBe(0)
    // Direct: one backend, which sees the clients themselves as its peers.
    expect(Object.values(direct!.backends).filter((b) => b.requests > 0)).toHaveLength(1)
    expect(tiers!.balancer).toMatchObject({ implementation: 'engine', layer: 4, protocol: 'tcp' })
    expect(tiers!.load.clientAddresses).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3'])
    for (const run of result.runs) {
      expect(run.expectations.every((e) => e.pass)).toBe(true)
      // Requests left, at most the schedule's; how many in time depends on the host.
      expect(run.summary.requests.sent).toBeGreaterThan(0)
      expect(run.summary.requests.sent).toBeLessThanOrEqual(Math.ceil((run.summary.requestedRate! * run.load.durationMs) / 1000) + 1)
    }
    // Through the tiers the backends' peer is the L7 tier, and the client came through X-Forwarded-For.
    const seen = Object.values(tiers!.backends).map((b) => b.seen!)
    expect(seen.every((s) => Object.keys(s.peers).every((p) => p === '127.0.0.1'))).toBe(true)
    expect(seen.reduce((n, s) => n + (s.via['x-forwarded-for'] ?? 0), 0)).toBe(seen.reduce((n, s) => n + s.plaintext, 0))
  })
})
