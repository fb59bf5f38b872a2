import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { resultFileSchema, type ResultFile } from '../../../reports/result/result-model.js'
import { processAlive } from '../../../harness/system/process-cpu.js'
import { CLI, layerbench } from '../../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'layerbench-run-test-'))

function scenarioFile(name: string, yaml: string): string {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, yaml)
  return file
}

const failoverYaml = (name: string, extra = '') => `
name: ${name}
backends:
  web: { count: 3, behaviour: { latency: { kind: fixed, ms: 2 } } }
balancer:
  listeners:
    - { name: web, protocol: http, routes: [{ pool: web }] }
  pools:
    web:
      backends: web
      # A killed backend refuses at once; a probe timeout well above a loopback answer keeps live ones from flapping on a busy host.
      healthCheck: { type: http, intervalMs: 250, timeoutMs: 200, rise: 1, fall: 2 }
      retries: { attempts: 2 }
load:
  mode: open
  rate: 200
  connections: 8
  duration: 3s
  warmup: 300ms
  intervalMs: 250
timeline:
  - { at: 1s, do: kill, target: 'web[0]' }
  - { at: 2s, do: restart, target: 'web[0]' }
expect:
  - { name: no errors, errorRate: { max: 0 } }
${extra}`

/** Child pids of a process, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      } catch {
        return false
      }
    })
    .map(Number)
}

/** The children of `pid` once there are at least `n` of them (within 30 s). */
async function childrenOnceStarted(pid: number, n: number): Promise<number[]> {
  const deadline = Date.now() + 30_000
  let children: number[] = []
  while (Date.now() < deadline) {
    children = childrenOf(pid)
    if (children.length >= n) break
    await new Promise((r) => setTimeout(r, 200))
  }
  expect(children.length).toBeGreaterThanOrEqual(n)
  return children
}

describe('layerbench run', () => {
  // A runner a test spawned ends with the test, also when a check failed before the test ended it.
  const runners: ChildProcess[] = []
  afterEach(() => {
    for (const c of runners.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  })

  it('runs a scenario end to end: result contract, accounting, timeline and balancer events', () => {
    const out = join(dir, 'out-ok')
    const r = layerbench(['run', scenarioFile('ok', failoverYaml('ok')), '--provider', 'process', '--out', out], { timeoutMs: 90_000 })
    expect(r.stderr).not.toMatch(/Error:/)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/every expectation held/)
    const result = resultFileSchema.parse(JSON.parse(readFileSync(join(out, 'ok', 'result.json'), 'utf8'))) as ResultFile
    expect(result.scenario.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(result.environment.provider).toBe('process')
    const run = result.runs[0]!
    const { sent, ok, failed } = run.summary.requests
    expect(sent).toBe(ok + failed)
    // At most the schedule's requests; how many left in time depends on the host, not asserted here.
    expect(sent).toBeGreaterThan(0)
    expect(sent).toBeLessThanOrEqual(Math.ceil((run.summary.requestedRate! * run.load.durationMs) / 1000) + 1)
    // Every successful reply is attributed to a backend, and backends sum to their groups.
    expect(Object.values(run.backends).reduce((s, b) => s + b.requests, 0)).toBe(ok)
    expect(run.groups.web!.requests).toBe(ok)
    const kill = run.events.find((e) => e.source === 'timeline' && e.type === 'kill')!
    const restart = run.events.find((e) => e.source === 'timeline' && e.type === 'restart')!
    expect(kill.tMs).toBeGreaterThanOrEqual(1000)
    expect(restart.tMs).toBeGreaterThan(kill.tMs)
    const down = run.events.find((e) => e.source === 'balancer' && e.type === 'backend-down')
    expect(down?.target).toBe('web-0')
    expect(down!.tMs).toBeGreaterThan(kill.tMs)
    expect(run.failover[0]).toMatchObject({ fault: 'kill', target: 'web[0]', failedRequests: 0 })
    expect(run.cpu.balancerUs).toBeGreaterThan(0)
    expect(run.engineTimeUs?.count).toBeGreaterThan(0)
    expect(run.timeseries.length).toBeGreaterThanOrEqual(10)
    // The instruments' timing: every measured send's lag, and the backends' waits by their own account.
    expect(run.summary.sendLagUs?.count).toBe(sent)
    expect(run.backends['web-1']!.service).toMatchObject({ requestedMeanUs: 2000 })
    expect(run.backendService!.holds).toBeGreaterThanOrEqual(run.backends['web-1']!.service!.holds + run.backends['web-2']!.service!.holds)
    expect(run.backendService!.overshootUs.min).toBeGreaterThanOrEqual(0)
    expect(run.backendService!.actualMeanUs).toBeGreaterThanOrEqual(2000)
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))
    expect(results.results).toHaveLength(1)
    // The report is written beside the results: an index, the scenario's page and a CI summary.
    const index = readFileSync(join(out, 'index.html'), 'utf8')
    expect(index).toContain(`href="${results.results[0].scenario.name}/report.html"`)
    const page = readFileSync(join(out, results.results[0].scenario.name, 'report.html'), 'utf8')
    expect(page).toContain('data-chart="spectrum"')
    expect(page).toContain('Timing of the instruments')
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`### ${results.results[0].scenario.name}`)
  })

  it('exits 1 when an expectation fails, naming it', () => {
    const file = scenarioFile('strict', failoverYaml('strict', '  - { name: impossible throughput, rps: { min: 1000000 } }'))
    const r = layerbench(['run', file, '--provider', 'process', '--quick', '--out', join(dir, 'out-strict')], { timeoutMs: 90_000 })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/✗ .*impossible throughput/)
  })

  it('--check-stability runs the suite twice and compares the claims of both runs', () => {
    const file = scenarioFile('twice', `
name: twice
backends:
  web: { count: 1 }
balancer:
  listeners:
    - { name: web, protocol: http, routes: [{ pool: web }] }
  pools:
    web: { backends: web }
load: { mode: open, rate: 100, connections: 4, duration: 500ms, warmup: 100ms }
`)
    const out = join(dir, 'out-twice')
    const r = layerbench(['run', file, '--provider', 'process', '--check-stability', '--out', out], { timeoutMs: 90_000 })
    expect(r.code, r.stderr).toBe(0)
    for (const pass of ['first', 'second']) expect(resultFileSchema.parse(JSON.parse(readFileSync(join(out, pass, 'twice', 'result.json'), 'utf8'))).runs).toHaveLength(1)
    // This suite measures no claim: every claim is "not measured" in both runs, so identical.
    const stability = readFileSync(join(out, 'stability.md'), 'utf8')
    expect(stability).toContain('Stable: no claim held in one run and did not hold in the other.')
    expect(stability).toContain('| latency-added | not measured | not measured | identical |')
    expect(r.stdout).toContain('### Verdict stability over two runs')
  })

  it('exits 2 before running anything when a scenario is invalid, listing every problem', () => {
    const bad = scenarioFile('bad', failoverYaml('bad').replace('count: 3', 'count: -1').replace('do: kill', 'do: vanish'))
    const good = scenarioFile('good', failoverYaml('good'))
    const r = layerbench(['run', good, bad, '--provider', 'process', '--out', join(dir, 'out-bad')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/backends\.web\.count/)
    expect(r.stderr).toMatch(/timeline\[0\]\.do/)
    expect(() => readdirSync(join(dir, 'out-bad'))).toThrow()
  })

  it('exits 3 when docker is asked for and no engine answers, saying what to do', () => {
    const r = layerbench(['run', scenarioFile('docker', failoverYaml('docker')), '--provider', 'docker', '--out', join(dir, 'out-docker')], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/start-dockerd\.sh|--provider process/)
  })

  it('leaves nothing running when the runner is killed with SIGKILL, and its state files list every child', async () => {
    const file = scenarioFile('killed', failoverYaml('killed').replace('duration: 3s', 'duration: 60s'))
    const child = spawn(process.execPath, [CLI, 'run', file, '--provider', 'process', '--out', join(dir, 'out-killed')], { stdio: ['ignore', 'ignore', 'pipe'] })
    runners.push(child)
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    // Three backends, the engine and the watchdog.
    const children = await childrenOnceStarted(child.pid!, 5)
    const states = readdirSync(join(tmpdir(), 'layerbench'))
      .filter((f) => f.startsWith('run-') && f.endsWith(`-${child.pid}.json`))
      .map((f) => JSON.parse(readFileSync(join(tmpdir(), 'layerbench', f), 'utf8')) as { backends: { id: string; pid?: number }[] })
    const listed = states.flatMap((s) => s.backends)
    expect(listed.map((b) => b.id)).toEqual(expect.arrayContaining(['balancer engine', 'watchdog']))
    expect(listed.filter((b) => b.pid !== undefined).map((b) => b.pid).sort()).toEqual([...children].sort())
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    // Each child notices within a few seconds by itself (liveness pipe, watchdog); no later run reaps them.
    const bound = Date.now() + 10_000
    while (children.some(processAlive) && Date.now() < bound) await new Promise((r) => setTimeout(r, 100))
    for (const pid of children) expect(processAlive(pid), `child ${pid} still alive 10 s after the runner was killed`).toBe(false)
  })

  it('leaves no backend or balancer process behind when interrupted with SIGINT', async () => {
    const file = scenarioFile('long', failoverYaml('long').replace('duration: 3s', 'duration: 60s'))
    const child = spawn(process.execPath, [CLI, 'run', file, '--provider', 'process', '--out', join(dir, 'out-long')], { stdio: ['ignore', 'pipe', 'pipe'] })
    runners.push(child)
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // Wait until the backends and the balancer are up and the load runs.
    const children = await childrenOnceStarted(child.pid!, 4) // three backends and the engine (and the watchdog)
    await new Promise((r) => setTimeout(r, 1000))
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    // Stopped children may take a moment to be reaped; a bounded wait, not a fixed one.
    for (let i = 0; i < 100 && children.some(processAlive); i++) await new Promise((r) => setTimeout(r, 50))
    for (const pid of children) expect(processAlive(pid), `child ${pid} still alive; stderr: ${stderr}`).toBe(false)
  })
})
