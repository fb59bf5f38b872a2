import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ResultFile } from '../../reports/result/result-model.js'
import { layerbench } from '../helpers/cli.js'
import { fixturePath, fixtureResult } from '../helpers/fixture-results.js'
import { syntheticResult } from '../helpers/synthetic-results.js'

/** The fixture with every run's p99 multiplied: a regression far beyond any noise threshold. */
function slowerP99(factor: number): ResultFile {
  const r = fixtureResult('algorithm-spread')
  return { ...r, runs: r.runs.map((run) => ({ ...run, summary: { ...run.summary, latencyUs: { ...run.summary.latencyUs, p99: run.summary.latencyUs.p99 * factor } } })) }
}

describe('layerbench report', () => {
  it('renders a suite report from saved results: index, scenario pages, summary.md, results.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'lb-report-'))
    const r = layerbench(['report', fixturePath('canary-split'), '--out', out])
    expect(r.code, r.stderr).toBe(0)
    for (const f of ['index.html', 'summary.md', 'results.json', 'canary-split/report.html', 'canary-split/result.json']) expect(existsSync(join(out, f)), f).toBe(true)
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('### canary-split')
    // The re-rendered directory is itself valid input.
    expect(layerbench(['report', out]).code).toBe(0)
  })

  it('makes one comparison page of several results', () => {
    const out = mkdtempSync(join(tmpdir(), 'lb-report-'))
    const r = layerbench(['report', fixturePath('algorithm-spread'), fixturePath('canary-split'), '--out', out])
    expect(r.code, r.stderr).toBe(0)
    const html = readFileSync(join(out, 'comparison.html'), 'utf8')
    expect(html).toContain('algorithm-spread')
    expect(html).toContain('canary-split')
  })

  it('sets a live run and its simulation side by side, variant by variant, judging neither', () => {
    const out = mkdtempSync(join(tmpdir(), 'lb-report-'))
    const live = fixtureResult('algorithm-spread')
    const simulated = join(out, 'simulated.json')
    writeFileSync(simulated, JSON.stringify({ ...live, environment: { ...live.environment, provider: 'simulator' } }))
    const r = layerbench(['report', simulated, fixturePath('algorithm-spread'), '--out', out])
    expect(r.code, r.stderr).toBe(0)
    const html = readFileSync(join(out, 'comparison.html'), 'utf8')
    expect(html).toContain('Live and simulated, variant by variant')
    expect(html).toContain('algorithm=least-connections')
    expect(html).not.toContain('Against the baseline')
  })

  it('exits 2 with the problems and their paths on invalid results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-report-'))
    const bad = join(dir, 'result.json')
    writeFileSync(bad, JSON.stringify({ ...fixtureResult('canary-split'), runs: 'none', extra: 1 }))
    const r = layerbench(['report', bad, '--out', dir])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('LB_ERR_INVALID_RESULTS')
    expect(r.stderr).toMatch(/runs: .*expected array/)
    expect(r.stderr).toMatch(/extra: unknown key/)
  })
})

describe('layerbench report: the claims page', () => {
  /** l4-vs-l7 with five repeats of what the claims read: the engine 30 µs (L4) and 90 µs (L7) over direct, 36 and 72 µs of CPU a request. */
  const layers = () =>
    syntheticResult({
      name: 'l4-vs-l7',
      variants: [
        { seed: 1, variant: { balancer: 'direct', layer: 'l4', connection: 'keep-alive', load: 'fixed-rate' }, p50Us: 200 },
        { seed: 2, variant: { balancer: 'engine', layer: 'l4', connection: 'keep-alive', load: 'fixed-rate' }, p50Us: 230 },
        { seed: 3, variant: { balancer: 'engine', layer: 'l7', connection: 'keep-alive', load: 'fixed-rate' }, p50Us: 290 },
        { seed: 4, variant: { balancer: 'engine', layer: 'l4', connection: 'keep-alive', load: 'max' }, balancerCpuUs: 36 },
        { seed: 5, variant: { balancer: 'engine', layer: 'l7', connection: 'keep-alive', load: 'max' }, balancerCpuUs: 72 },
      ],
    })

  it('shows each figure with its interval and prices the CPU at the price given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-report-'))
    const file = join(dir, 'result.json')
    writeFileSync(file, JSON.stringify(layers()))
    const r = layerbench(['report', file, '--out', dir, '--price-per-core-hour', '1'])
    expect(r.code, r.stderr).toBe(0)
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8')
    expect(summary).toContain('A claim holds or does not hold only when the interval clears')
    expect(summary).toMatch(/engine L4 added p50 \+\d+\.\d µs \[\+\d+\.\d, \+\d+\.\d\] \(93\.7%, 5 repeats\)/)
    expect(summary).toContain('balancer CPU at $1 per core-hour')
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('L7 ÷ L4 CPU per request')
  })

  it('exits 2 on a price that is not a positive number', () => {
    const r = layerbench(['report', fixturePath('canary-split'), '--out', mkdtempSync(join(tmpdir(), 'lb-report-')), '--price-per-core-hour', 'cheap'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--price-per-core-hour: expected a positive number of USD, got "cheap"')
  })
})

describe('layerbench compare', () => {
  it('fails the gate (exit 1) when a baseline variant was not measured now, unless --allow-missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-compare-'))
    const empty = join(dir, 'empty.json')
    writeFileSync(empty, JSON.stringify({ ...fixtureResult('algorithm-spread'), runs: [] }))
    const r = layerbench(['compare', fixturePath('algorithm-spread'), empty])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/missing/)
    expect(r.stdout).toMatch(/--allow-missing/)
    expect(layerbench(['compare', fixturePath('algorithm-spread'), empty, '--allow-missing']).code).toBe(0)
    // One variant dropped of several: still a failure.
    const one = fixtureResult('algorithm-spread')
    const fewer = join(dir, 'fewer.json')
    writeFileSync(fewer, JSON.stringify({ ...one, runs: one.runs.filter((run) => JSON.stringify(run.variant) !== JSON.stringify(one.runs[0]!.variant)) }))
    expect(layerbench(['compare', fixturePath('algorithm-spread'), fewer]).code).toBe(1)
  })

  it('exits 0 when nothing changed and 1 on a regression, naming it and why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-compare-'))
    const slower = join(dir, 'slower.json')
    writeFileSync(slower, JSON.stringify(slowerP99(2)))
    expect(layerbench(['compare', fixturePath('algorithm-spread'), fixturePath('algorithm-spread')]).code).toBe(0)
    const r = layerbench(['compare', fixturePath('algorithm-spread'), slower, '--markdown', join(dir, 'cmp.md')])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/p99.*regression/)
    expect(r.stdout).toMatch(/\+100\.0%/)
    expect(readFileSync(join(dir, 'cmp.md'), 'utf8')).toContain('**regression**')
  })

  it('exits 2 on a missing baseline and on bad options', () => {
    expect(layerbench(['compare', '/nonexistent/results.json', fixturePath('canary-split')]).stderr).toContain('LB_ERR_RESULTS_UNREADABLE')
    expect(layerbench(['compare', '/nonexistent/results.json', fixturePath('canary-split')]).code).toBe(2)
    const r = layerbench(['compare', fixturePath('canary-split'), fixturePath('canary-split'), '--alpha', '2'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--alpha')
  })
})

describe('layerbench run --baseline', () => {
  it('rejects an invalid baseline before running anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-run-'))
    const r = layerbench(['run', 'scenarios/canary-split.yaml', '--provider', 'process', '--out', join(dir, 'out'), '--baseline', join(dir, 'missing.json')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--baseline: LB_ERR_RESULTS_UNREADABLE')
    expect(existsSync(join(dir, 'out'))).toBe(false)
  })
})
