import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resultFileSchema } from '../../reports/result/result-model.js'
import { layerbench } from '../helpers/cli.js'

const repo = (path: string) => new URL(`../../${path}`, import.meta.url).pathname

describe('layerbench simulate', () => {
  it('simulates the failover scenario and the algorithm fixture into result files laid out as run writes them', () => {
    const out = mkdtempSync(join(tmpdir(), 'layerbench-simulate-'))
    const r = layerbench(['simulate', repo('scenarios/failover.yaml'), repo('test/fixtures/scenarios/algorithm-spread.yaml'), '--out', out, '--quick'], { timeoutMs: 120_000 })
    expect(r.stderr).toMatch(/simulating failover: 8 variant\(s\) × 1 repeat\(s\)/)
    expect(r.code, r.stderr).toBe(0)
    for (const name of ['failover', 'algorithm-spread']) {
      const result = JSON.parse(readFileSync(join(out, name, 'result.json'), 'utf8'))
      const parsed = resultFileSchema.safeParse(result)
      expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true)
      expect(result.environment.provider).toBe('simulator')
    }
    const suite = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))
    expect(suite.results.map((x: { scenario: { name: string } }) => x.scenario.name)).toEqual(['failover', 'algorithm-spread'])
    // The same report as a live run, without a claims page: claims are about what a machine measured.
    const index = readFileSync(join(out, 'index.html'), 'utf8')
    expect(index).toContain('href="failover/report.html"')
    expect(index).not.toContain('id="claims"')
    expect(readFileSync(join(out, 'failover', 'report.html'), 'utf8')).toContain('data-chart="spectrum"')
    // The console summary of each scenario, as run prints it.
    expect(r.stdout).toMatch(/failover — 8 run\(s\), simulator provider, quick/)
    expect(r.stdout).toMatch(/every expectation held/)
  }, 180_000)

  it('simulates the algorithms scenario, and ten thousand backends', () => {
    const out = mkdtempSync(join(tmpdir(), 'layerbench-simulate-'))
    const algorithms = layerbench(['simulate', repo('scenarios/algorithms.yaml'), '--quick', '--out', out], { timeoutMs: 120_000 })
    expect(algorithms.code, algorithms.stderr + algorithms.stdout).toBe(0)
    // The 10k scenario, one variant, shortened by --requests (the 1 s warm-up still runs in full).
    const big = layerbench(['simulate', repo('scenarios/scale-10k.yaml'), '--variant', 'algorithm=p2c', '--requests', '200000', '--out', out], { timeoutMs: 120_000 })
    expect(big.code, big.stderr + big.stdout).toBe(0)
    const run = JSON.parse(readFileSync(join(out, 'scale-10k', 'result.json'), 'utf8')).runs[0]
    expect(Object.keys(run.backends)).toHaveLength(10_000)
    expect(run.simulation.backends).toBe(10_000)
    expect(run.summary.requests.sent).toBe(200_000)
  }, 240_000)

  it('replays exactly with a seed, and --requests and --variant narrow the run', () => {
    const out = mkdtempSync(join(tmpdir(), 'layerbench-simulate-'))
    const args = ['simulate', repo('scenarios/failover.yaml'), '--variant', 'balancer=engine', 'fault=dead', 'detection=active', '--seed', '42', '--requests', '20000']
    const a = layerbench([...args, '--out', join(out, 'a')])
    const b = layerbench([...args, '--out', join(out, 'b')])
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0])
    const runOf = (dir: string) => JSON.parse(readFileSync(join(out, dir, 'failover', 'result.json'), 'utf8')).runs
    const [ra, rb] = [runOf('a'), runOf('b')]
    expect(ra).toHaveLength(1)
    expect(ra[0].summary.requests.sent).toBe(20_000)
    expect(ra[0].simulation.seed).toBe(42)
    expect(ra[0].summary).toEqual(rb[0].summary)
    expect(ra[0].timeseries).toEqual(rb[0].timeseries)
  }, 120_000)

  it('exit 2 on bad input, before anything runs; exit 1 when an expectation fails', () => {
    const out = mkdtempSync(join(tmpdir(), 'layerbench-simulate-'))
    expect(layerbench(['simulate', repo('scenarios/failover.yaml'), '--requests', 'many', '--out', out]).code).toBe(2)
    expect(layerbench(['simulate', join(out, 'nothing.yaml'), '--out', out]).code).toBe(2)
    const failing = layerbench(['simulate', repo('scenarios/failover.yaml'), '--variant', 'fault=dead', 'detection=active', 'balancer=engine', '--requests', '800', '--out', out])
    // 800 requests at 400/s end before the fault at 3 s: no failover to measure, so its expectations fail.
    expect(failing.code, failing.stderr).toBe(1)
    expect(failing.stdout).toMatch(/expectation\(s\) failed/)
  }, 120_000)
})
