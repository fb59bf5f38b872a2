import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { agentParts, agentPlan, createDistributedGenerator, type DistributedSummary } from '../../../../harness/load/distributed/distributed-generator.js'
import { mixPicker } from '../../../../harness/load/request-mix.js'
import type { IntervalSample } from '../../../../harness/load/load-types.js'
import { projectRoot } from '../../../../harness/system/environment.js'
import { closeServers, httpBackend } from '../../../helpers/test-servers.js'

afterEach(closeServers)

const AGENT = join(projectRoot(), 'dist/harness/load/distributed/agent-main.js')

describe('distributed load: agents as local processes', () => {
  it('two agents send the plan between them; counts, histograms and intervals merge into one summary', async () => {
    expect(existsSync(AGENT), `${AGENT} is missing: build first (npm run build)`).toBe(true)
    const backend = await httpBackend('b1', (_req, res) => {
      res.end('ok')
      return true
    })
    const samples: IntervalSample[] = []
    const generator = createDistributedGenerator({ agents: 2 })
    const summary = (await generator.run({ protocol: 'http', target: { host: '127.0.0.1', port: backend.port }, mode: 'closed', connections: 4, durationMs: 20_000, maxRequests: 301, intervalMs: 200 }, undefined, (s) => samples.push(s))) as DistributedSummary
    expect(summary).toMatchObject({ sent: 301, ok: 301, failed: 0, byBackend: { b1: 301 } })
    expect(summary.latencyUs.count).toBe(301)
    expect(summary.agents.map((a) => [a.id, a.where, a.sent, a.ok])).toEqual([
      ['agent-0', 'local', 151, 151],
      ['agent-1', 'local', 150, 150],
    ])
    // A busy host may make one fall behind for a while (reported, still counted); none dies.
    for (const a of summary.agents) expect(a.state).not.toBe('dead')
    // One host, one monotonic clock: the true offset is 0, so the estimate is within half its round trip.
    for (const a of summary.agents) expect(Math.abs(a.clockOffsetUs)).toBeLessThanOrEqual(a.clockRttUs / 2 + 1)
    // The merged p99 lies between the agents' own (a sum of histograms, not an average).
    const p99s = summary.agents.map((a) => a.latencyUs.p99)
    expect(summary.latencyUs.p99).toBeGreaterThanOrEqual(Math.min(...p99s))
    expect(summary.latencyUs.p99).toBeLessThanOrEqual(Math.max(...p99s))
    expect(summary.timeseries.reduce((n, s) => n + s.sent, 0)).toBe(301)
    expect(summary.timeseries.reduce((n, s) => n + s.latencyUs.count, 0)).toBe(301)
    // Streamed while running: every interval both agents closed went out merged.
    for (const s of samples) expect(summary.timeseries.find((t) => t.startMs === s.startMs)?.sent).toBeGreaterThanOrEqual(s.sent)
  }, 60_000)

  it('an agent that cannot start fails the run, saying which and why', async () => {
    const generator = createDistributedGenerator({ agents: 2, places: [{ where: 'local' }, { where: 'node-x', netns: '/nonexistent/layerbench-netns' }] })
    const error = await generator.run({ protocol: 'http', target: { host: '127.0.0.1', port: 1 }, mode: 'closed', connections: 2, durationMs: 500 }).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/agent agent-1 \(node-x\) exited during the handshake/)
  }, 30_000)

  it('a request mix crosses as data: the agents send one generator’s sequence between them and tally the replies by entry and backend', async () => {
    // The backend names itself after the path, so the tally shows which entry reached which "backend".
    const backend = await httpBackend('b', (req, res) => {
      res.setHeader('x-backend', req.url === '/a' ? 'A' : 'B')
      res.end('ok')
      return true
    })
    const mix = { seed: 7, weights: [3, 1], shapes: [{ path: '/a' }, { path: '/b' }] }
    const pick = mixPicker(mix)
    const summary = (await createDistributedGenerator({ agents: 2 }).run({
      protocol: 'http',
      target: { host: '127.0.0.1', port: backend.port },
      mode: 'closed',
      connections: 4,
      durationMs: 20_000,
      maxRequests: 301,
      requestFor: (i) => mix.shapes[pick(i)]!,
      mix,
    })) as DistributedSummary
    expect(summary.ok).toBe(301)
    // Agent 0 sends indexes 0, 2, …, 300 and agent 1 1, 3, …, 299: together 0…300, each entry as often as one generator would pick it.
    const expected = [0, 1].map((k) => Array.from({ length: 301 }, (_, i) => i).filter((i) => pick(i) === k).length)
    expect(summary.mixAnswers).toEqual([
      { entry: 0, backend: 'A', count: expected[0] },
      { entry: 1, backend: 'B', count: expected[1] },
    ])
    expect(summary.byBackend).toEqual({ A: expected[0], B: expected[1] })
  }, 60_000)

  it('refuses what needs one generator: per-response callbacks, cookies, client addresses, a mix without its data', () => {
    const base = { protocol: 'http' as const, target: { host: '127.0.0.1', port: 1 }, mode: 'closed' as const, connections: 2, durationMs: 500 }
    for (const extra of [{ onResponse: () => {} }, { cookies: true }, { localAddresses: ['127.0.1.1'] }, { requestFor: () => ({ path: '/' }) }]) {
      expect(() => agentPlan({ ...base, ...extra })).toThrow(expect.objectContaining({ code: 'LB_ERR_INVALID_OPTIONS' }))
    }
    const mix = { seed: 1, weights: [1], shapes: [{ path: '/x' }] }
    const parts = agentParts({ ...base, requestFor: () => ({ path: '/x' }), mix }, 2)
    expect(parts.map((p) => [p.connections, p.mixShare, 'requestFor' in p])).toEqual([
      [1, { stride: 2, offset: 0 }, false],
      [1, { stride: 2, offset: 1 }, false],
    ])
  })

  it('refuses plans with callbacks, which cannot cross to another process', async () => {
    const generator = createDistributedGenerator({ agents: 2 })
    const error = await generator.run({ protocol: 'http', target: { host: '127.0.0.1', port: 1 }, mode: 'closed', connections: 2, durationMs: 500, onResponse: () => {} }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LB_ERR_INVALID_OPTIONS' })
  })
})
