import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dockerClient, pingProblem } from '../../../harness/providers/index.js'
import { peerAvailable } from '../../../harness/peers/index.js'
import { evaluateClaims } from '../../../reports/claims/claims.js'
import { unmeasuredClaims } from '../../../reports/claims/layer-claims.js'
import { resultFileSchema, type ResultFile } from '../../../reports/result/result-model.js'
import { layerbench } from '../../helpers/cli.js'

const scenarios = fileURLToPath(new URL('../../../scenarios/', import.meta.url))
const dockerProblem = await pingProblem(dockerClient(), 1000)
if (process.env.LAYERBENCH_REQUIRE_DOCKER === '1' && dockerProblem !== undefined) throw new Error(`docker is required here (LAYERBENCH_REQUIRE_DOCKER=1): ${dockerProblem}`)
const haproxy = await peerAvailable('haproxy')
if (process.env.LAYERBENCH_REQUIRE_PEERS === '1' && !haproxy.available) throw new Error(`haproxy is required here (LAYERBENCH_REQUIRE_PEERS=1): ${haproxy.reason}`)

const providers = [
  ['process', undefined],
  ['docker', dockerProblem],
] as const

/** The suite's scenarios a live run takes (simulation-only ones are for `layerbench simulate`). */
const liveScenarios = readdirSync(scenarios)
  .filter((f) => f.endsWith('.yaml') && !/^\s*only:\s*true/m.test(readFileSync(join(scenarios, f), 'utf8')))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort()

describe.each(providers)('the default suite, quick, on the %s provider', (provider, problem) => {
  it.skipIf(problem !== undefined)(`runs every scenario end to end, meets every expectation and measures every claim${problem === undefined ? '' : ` (skipped: ${problem})`}`, () => {
    const out = mkdtempSync(join(tmpdir(), `layerbench-suite-${provider}-`))
    const r = layerbench(['run', scenarios, '--quick', '--provider', provider, '--out', out], { timeoutMs: 420_000 })
    expect(r.stderr).not.toMatch(/Error:/)
    const failed = r.stdout.split('\n').filter((l) => l.includes('✗'))
    expect(failed, r.stdout.slice(-3000)).toEqual([])
    expect(r.code, r.stdout.slice(-3000)).toBe(0)
    expect(r.stderr).toMatch(/skipping scale-10k: simulation only/)
    const read = (name: string) => resultFileSchema.parse(JSON.parse(readFileSync(join(out, name, 'result.json'), 'utf8'))) as ResultFile
    const results = liveScenarios.map(read)
    for (const result of results) {
      expect(result.environment.provider).toBe(provider)
      expect(result.runs.some((run) => run.skipped === undefined), result.scenario.name).toBe(true)
      for (const run of result.runs) {
        if (run.skipped !== undefined) continue
        expect(run.summary.requests.sent, run.id).toBe(run.summary.requests.ok + run.summary.requests.failed)
        expect(run.summary.requests.sent, run.id).toBeGreaterThan(0)
        expect(run.expectations.filter((e) => !e.pass), `${result.scenario.name} ${run.id}`).toEqual([])
      }
    }
    const failover = read('failover')
    const implementations = failover.runs.filter((r) => r.skipped === undefined).map((r) => r.balancer.implementation)
    expect(implementations).toContain('engine')
    if (haproxy.available) expect(implementations).toContain('haproxy')
    if (haproxy.available) {
      // HAProxy's own statistics land in the result: its listener's counts and each server's selections.
      const peerRun = failover.runs.find((r) => r.balancer.implementation === 'haproxy' && r.skipped === undefined)!
      expect(peerRun.observed?.source).toBe('haproxy show stat')
      expect(peerRun.observed!.requests).toBeGreaterThanOrEqual(peerRun.summary.requests.ok)
      const selections = Object.entries(peerRun.peerCounters ?? {}).filter(([k]) => k.endsWith(' lbtot')).reduce((a, [, v]) => a + v, 0)
      expect(selections).toBeGreaterThanOrEqual(peerRun.summary.requests.ok)
    }
    const engineRun = failover.runs.find((r) => r.balancer.implementation === 'engine')!
    expect(engineRun.events.some((e) => e.source === 'balancer' && e.type === 'backend-down')).toBe(true)
    if (provider === 'docker') expect(Object.values(read('canary-split').runs[0]!.backends).some((b) => (b.memoryBytes ?? 0) > 0)).toBe(true)
    // The index shows every scenario and a claims page on which every claim was measured, but those no scenario measures yet.
    const index = readFileSync(join(out, 'index.html'), 'utf8')
    for (const name of liveScenarios) expect(index).toContain(`href="${name}/report.html"`)
    expect(index).toContain('<h2 id="claims">Claims, measured</h2>')
    const claims = evaluateClaims(results)
    expect(claims.filter((c) => c.verdict === 'not measured' || c.verdict === 'not measurable here').map((c) => c.id)).toEqual(unmeasuredClaims.map((d) => d.id))
  }, 420_000)
})
