import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dockerClient, pingProblem } from '../../../harness/providers/index.js'
import { peerAvailable } from '../../../harness/peers/index.js'
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

describe.each(providers)('the canary and failover scenarios on the %s provider', (provider, problem) => {
  it.skipIf(problem !== undefined)(`run end to end and meet their expectations${problem === undefined ? '' : ` (skipped: ${problem})`}`, () => {
    const out = mkdtempSync(join(tmpdir(), `layerbench-suite-${provider}-`))
    // A slice of the failover matrix: a dead backend, active checks with retries, on each balancer.
    const r = layerbench(
      ['run', join(scenarios, 'canary-split.yaml'), join(scenarios, 'failover.yaml'), '--quick', '--provider', provider, '--variant', 'fault=dead', '--variant', 'detection=active+retries', '--out', out],
      { timeoutMs: 240_000 },
    )
    expect(r.stderr).not.toMatch(/Error:/)
    expect(r.code, r.stdout).toBe(0)
    const read = (name: string) => resultFileSchema.parse(JSON.parse(readFileSync(join(out, name, 'result.json'), 'utf8'))) as ResultFile
    const canary = read('canary-split')
    const failover = read('failover')
    for (const result of [canary, failover]) {
      expect(result.environment.provider).toBe(provider)
      for (const run of result.runs) {
        if (run.skipped !== undefined) continue
        expect(run.summary.requests.sent).toBe(run.summary.requests.ok + run.summary.requests.failed)
        expect(run.expectations.every((e) => e.pass)).toBe(true)
      }
    }
    const implementations = failover.runs.filter((r) => r.skipped === undefined).map((r) => r.balancer.implementation)
    expect(implementations).toContain('engine')
    if (haproxy.available) expect(implementations).toContain('haproxy')
    const engineRun = failover.runs.find((r) => r.balancer.implementation === 'engine')!
    expect(engineRun.events.some((e) => e.source === 'balancer' && e.type === 'backend-down')).toBe(true)
    expect(Object.values(engineRun.backends).every((b) => b.cpuUs === undefined || b.cpuUs >= 0)).toBe(true)
    if (provider === 'docker') expect(Object.values(canary.runs[0]!.backends).some((b) => (b.memoryBytes ?? 0) > 0)).toBe(true)
  }, 240_000)
})
