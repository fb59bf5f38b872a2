import { describe, expect, it } from 'vitest'
import { createProvider } from '../../../harness/providers/index.js'
import { dockerAt, managerEndpoint } from '../../../harness/providers/swarm/swarm-engines.js'
import { SwarmProvider } from '../../../harness/providers/swarm/swarm-provider.js'
import { createDistributedGenerator, type DistributedSummary } from '../../../harness/load/distributed/distributed-generator.js'
import { httpGet } from './clients.js'
import { providerConformance } from './provider-conformance.js'

// The suite needs a swarm: harness/setup/swarm-lab.sh up 3 makes one on this host and prints the
// LAYERBENCH_SWARM_HOST to export. DOCKER_HOST alone is not enough here: it usually names the
// local Engine, which the docker provider's suite already uses.
const endpoint = process.env.LAYERBENCH_SWARM_HOST
const problem = endpoint === undefined || endpoint === '' ? 'LAYERBENCH_SWARM_HOST is not set (harness/setup/swarm-lab.sh up 3 prints it)' : await SwarmProvider.problem(dockerAt(endpoint), 3000).then((p) => (p === undefined ? undefined : `the swarm manager at ${endpoint}: ${p}`))

if (process.env.LAYERBENCH_REQUIRE_SWARM === '1' && problem !== undefined) throw new Error(`a swarm is required here (LAYERBENCH_REQUIRE_SWARM=1): ${problem}`)
providerConformance('swarm', problem)

describe.skipIf(problem !== undefined)(`swarm provider specifics${problem === undefined ? '' : ` (skipped: ${problem})`}`, () => {
  it('spreads backends over the nodes, one labelled service each, with the limits as task resources', async () => {
    const runId = `swarm-spread-${process.pid}`
    const provider = await createProvider('swarm', { runId })
    try {
      const nodes = (await (provider as SwarmProvider).nodes()).map((n) => n.name)
      const count = Math.min(4, nodes.length * 2)
      const started = await provider.start(Array.from({ length: count }, (_, i) => ({ id: `s${i}`, group: i % 2 === 0 ? 'even' : 'odd', protocols: ['http'] as const, limits: { cpus: 0.5, memoryMb: 96, cpuset: '0' } })))
      const perNode = new Map<string, number>()
      for (const b of started) {
        const prefix = b.host.split('.').slice(0, 3).join('.')
        perNode.set(prefix, (perNode.get(prefix) ?? 0) + 1)
        expect((await httpGet(b.host, 8080)).headers['x-backend']).toBe(b.spec.id)
      }
      // Even: no node has two more than another.
      expect(Math.max(...perNode.values()) - Math.min(...perNode.values())).toBeLessThanOrEqual(1)
      expect(perNode.size).toBe(Math.min(count, nodes.length))
      const services = (await dockerAt(managerEndpoint()!).listServices({ filters: { label: [`layerbench.run=${runId}`] } })) as unknown as { Spec: { Labels: Record<string, string>; TaskTemplate: { Resources: { Limits: Record<string, number> } }; Mode: { Replicated: { Replicas: number } } } }[]
      expect(services).toHaveLength(count)
      for (const s of services) {
        expect(s.Spec.Labels).toMatchObject({ layerbench: '1', 'layerbench.run': runId, 'layerbench.owner': String(process.pid) })
        expect(s.Spec.Mode.Replicated.Replicas).toBe(1)
        expect(s.Spec.TaskTemplate.Resources.Limits).toEqual({ NanoCPUs: 500_000_000, MemoryBytes: 96 * 2 ** 20 })
      }
      expect(provider.warnings.filter((w) => w.includes('cpuset'))).toHaveLength(count)
    } finally {
      await provider.stopAll()
    }
  }, 120_000)
})

describe.skipIf(problem !== undefined)(`load agents on swarm nodes${problem === undefined ? '' : ` (skipped: ${problem})`}`, () => {
  it('agents started in two nodes’ namespaces load a backend on a third; their results merge', async () => {
    const runId = `swarm-agents-${process.pid}`
    const nodes = (await dockerAt(managerEndpoint()!).listNodes()) as { Spec?: { Labels?: Record<string, string> } }[]
    const labelled = nodes.map((n) => n.Spec?.Labels ?? {}).filter((l) => l['layerbench.netns'] !== undefined).sort((a, b) => a['layerbench.node']!.localeCompare(b['layerbench.node']!))
    expect(labelled.length, 'the lab labels each node with its namespace').toBeGreaterThanOrEqual(3)
    const provider = await createProvider('swarm', { runId, swarmNodeLabels: { 'layerbench.node': labelled[0]!['layerbench.node']! } })
    try {
      const [b] = await provider.start([{ id: 'target', group: 'g', protocols: ['http'] }])
      const places = labelled.slice(1, 3).map((l) => ({ where: l['layerbench.node']!, netns: l['layerbench.netns']! }))
      const summary = (await createDistributedGenerator({ agents: 2, places }).run({ protocol: 'http', target: { host: b!.host, port: 8080 }, mode: 'closed', connections: 4, durationMs: 30_000, maxRequests: 400, intervalMs: 250 })) as DistributedSummary
      expect(summary).toMatchObject({ sent: 400, ok: 400, failed: 0, byBackend: { target: 400 } })
      expect(summary.agents.map((a) => [a.where, a.sent, a.state === 'dead'])).toEqual([
        [places[0]!.where, 200, false],
        [places[1]!.where, 200, false],
      ])
      // Same host, same monotonic clock: a true offset of 0, found within half the round trip.
      for (const a of summary.agents) expect(Math.abs(a.clockOffsetUs)).toBeLessThanOrEqual(a.clockRttUs / 2 + 1)
      const p99s = summary.agents.map((a) => a.latencyUs.p99)
      expect(summary.latencyUs.p99).toBeGreaterThanOrEqual(Math.min(...p99s))
      expect(summary.latencyUs.p99).toBeLessThanOrEqual(Math.max(...p99s))
      console.log(`lab agents: merged p99 ${summary.latencyUs.p99} µs; ${summary.agents.map((a) => `${a.where} p99 ${a.latencyUs.p99} µs, offset ${a.clockOffsetUs.toFixed(1)} ± ${(a.clockRttUs / 2).toFixed(1)} µs`).join('; ')}`)
    } finally {
      await provider.stopAll()
    }
  }, 120_000)
})

describe('swarm unavailable', () => {
  it('swarm asked for without a manager throws LB_ERR_SWARM_UNAVAILABLE naming the lab', async () => {
    const error = await createProvider('swarm', { runId: `swarm-bogus-${process.pid}`, swarmHost: 'unix:///nonexistent/layerbench-swarm.sock', pingTimeoutMs: 500 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LB_ERR_SWARM_UNAVAILABLE' })
    expect((error as Error).message).toMatch(/swarm-lab\.sh up 3/)
  })

  it('an endpoint that is neither unix:// nor tcp:// is refused before anything is contacted', async () => {
    const error = await createProvider('swarm', { runId: `swarm-bogus-${process.pid}`, swarmHost: 'ssh://somewhere' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LB_ERR_SWARM_UNAVAILABLE' })
  })
})
