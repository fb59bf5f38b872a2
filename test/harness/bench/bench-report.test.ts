import { describe, expect, it } from 'vitest'
import { benchCases } from '../../../harness/bench/bench-cases.js'
import type { BenchMeasurement, BenchReport } from '../../../harness/bench/bench-result.js'
import { formatNs, renderBenchTable } from '../../../harness/bench/bench-table.js'
import { judgeTargets } from '../../../harness/bench/run-bench.js'

const measured = (id: string, medianNs: number): BenchMeasurement => {
  const c = benchCases().find((x) => x.id === id)
  if (c === undefined) throw new Error(`no case ${id}`)
  return { case: c, medianNs, meanNs: medianNs, p99Ns: medianNs * 2, rme: 1, samples: 100 }
}

describe('bench model and rendering', () => {
  it('covers every algorithm at N = 10, 100, 1000, feedback where the algorithm uses it, and the table builds', () => {
    const ids = benchCases().map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ['p2c/pick/mixed/1000', 'peak-ewma/pick+feedback/equal/10', 'maglev M=65537/build/1000', 'murmur3/string']) expect(ids).toContain(id)
    expect(ids).not.toContain('round-robin/pick+feedback/equal/10')
    expect(ids).not.toContain('round-robin/pick/mixed/10')
  })

  it('judges pick targets at N = 100 (defaults only) and the Maglev build at N = 1000', () => {
    const targets = judgeTargets([
      measured('maglev/pick/equal/100', 40),
      measured('p2c/pick/mixed/100', 250),
      measured('maglev/pick/equal/10', 500),
      measured('rendezvous, exact scoring (bucketBits 0)/pick/equal/100', 900),
      measured('maglev M=65537/build/1000', 19e6),
    ])
    expect(targets.map((t) => [t.caseId, t.met])).toEqual([
      ['maglev/pick/equal/100', true],
      ['p2c/pick/mixed/100', false],
      ['maglev M=65537/build/1000', true],
    ])
  })

  it.each([
    [12.345, '12.3 ns'],
    [250, '250 ns'],
    [9_999, '9999 ns'],
    [12_345, '12.3 µs'],
    [25_000_000, '25.00 ms'],
    [undefined, '—'],
  ])('formats %f ns as %s', (ns, text) => {
    expect(formatNs(ns)).toBe(text)
  })

  it('renders tables with targets and warnings', () => {
    const report: BenchReport = {
      schema: 'layerbench/bench@1',
      startedAt: '2026-11-21T00:00:00Z',
      machine: { node: 'v20', platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpus: 2, memoryGiB: 24, layerbench: '0.1.0' },
      cpu: { steal: 0.25, busy: 0.5, idle: 0.25, spanCpuSeconds: 10 },
      measurements: [measured('maglev/pick/equal/100', 40)],
      targets: judgeTargets([measured('maglev/pick/equal/100', 40)]),
      warnings: ['CPU steal was 25.0%'],
    }
    const text = renderBenchTable(report)
    expect(text).toContain('steal 25.0%')
    expect(text).toMatch(/N=100\n/)
    expect(text).toMatch(/maglev\s+equal\s+40\.0 ns/)
    expect(text).toContain('targets — 1 of 1 met')
    expect(text).toContain('warning: CPU steal was 25.0%')
  })
})
