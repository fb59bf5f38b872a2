import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { layerbench } from '../helpers/cli.js'

describe('layerbench CLI', () => {
  it('prints its version from package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    const r = layerbench(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(pkg.version)
  })

  it('lists its verbs in --help', () => {
    const r = layerbench(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Usage: layerbench/)
    expect(r.stdout).toMatch(/bench/)
  })

  it('exits 2 with a clear message on an unknown verb', () => {
    const r = layerbench(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/)
    expect(r.stderr).toMatch(/--help/)
  })

  it('exits 2 when called without a verb, showing usage', () => {
    const r = layerbench([])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Usage: layerbench/)
  })

  it.each([
    [['bench', '--only', 'fastest'], /unknown "fastest"/],
    [['bench', '--sizes', '10,zero'], /"zero" is not a backend count/],
    [['bench', '--time', '5'], /--time/],
    [['bench', '--no-such-flag'], /unknown option/],
  ])('bench %j exits 2: %s', (args, message) => {
    const r = layerbench(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('bench measures, prints a table and writes bench.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'layerbench-bench-'))
    const r = layerbench(['bench', '--only', 'round-robin,maglev', '--sizes', '10,100', '--time', '30', '--out', out])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/round-robin\s+equal/)
    expect(r.stdout).toMatch(/maglev M=65537/)
    const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'))
    expect(report.schema).toBe('layerbench/bench@1')
    expect(report.machine.node).toBe(process.version)
    const ids = report.measurements.map((m: { case: { id: string } }) => m.case.id)
    expect(ids).toEqual(
      expect.arrayContaining(['round-robin/pick/equal/10', 'round-robin/pick/equal/100', 'maglev/pick/mixed/100', 'maglev M=65537/build/100']),
    )
    for (const m of report.measurements) {
      expect(m.medianNs).toBeGreaterThan(0)
      expect(m.samples).toBeGreaterThanOrEqual(16)
    }
    // N=100 picks are judged; builds are judged only at N=1000, which did not run.
    expect(report.targets.map((t: { caseId: string }) => t.caseId).sort()).toEqual(['maglev/pick/equal/100', 'maglev/pick/mixed/100', 'round-robin/pick/equal/100'])
  })
})
