import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { describe, expect, it } from 'vitest'
import { LatencyHistogram } from '../../../engine/stats/latency-histogram.js'
import { backendShareChart, backendShareRows } from '../../../reports/charts/backend-share.js'
import type { ChartSpec } from '../../../reports/charts/chart-common.js'
import { crossScenarioChart, crossScenarioRows } from '../../../reports/charts/cross-scenario.js'
import { failoverChart, failoverRows } from '../../../reports/charts/failover.js'
import { handshakeChart } from '../../../reports/charts/handshake.js'
import { layerOverheadChart, overheadRows } from '../../../reports/charts/layer-overhead.js'
import { latencySpectrumChart, sampleSpectrum } from '../../../reports/charts/latency-spectrum.js'
import { eventRules, timelineChart, timelinePoints } from '../../../reports/charts/timeline.js'
import { variantComparisonChart, comparisonRows } from '../../../reports/charts/variant-comparison.js'
import type { ResultFile, RunResult } from '../../../reports/result/result-model.js'
import { fixtureNames, fixtureResult } from '../../helpers/fixture-results.js'

/** Compiles a spec with vega-lite and renders it headless with vega; returns the SVG. */
async function renderSvg(spec: ChartSpec): Promise<string> {
  const compiled = compile(spec as unknown as TopLevelSpec).spec
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' })
  return view.toSVG()
}

/** Marks vega drew: paths, lines, text and symbols inside mark groups. */
function markCount(svg: string): number {
  return (svg.match(/<(path|line|text|rect|circle)\b/g) ?? []).length
}

const builders: Record<string, (r: ResultFile) => ChartSpec | undefined> = {
  spectrum: latencySpectrumChart,
  variants: variantComparisonChart,
  overhead: layerOverheadChart,
  handshake: handshakeChart,
  failover: failoverChart,
  share: (r) => backendShareChart(r),
  timeline: (r) => timelineChart(r),
}

describe('chart specs of saved results compile with vega-lite and render marks with vega', () => {
  for (const name of fixtureNames) {
    for (const [chart, build] of Object.entries(builders)) {
      it(`${name}: ${chart}`, async () => {
        const spec = build(fixtureResult(name))
        if (spec === undefined) {
          // Only charts whose data a scenario lacks may be absent; the others are asserted below.
          expect(['variants', 'overhead', 'failover', 'handshake', 'share']).toContain(chart)
          return
        }
        const svg = await renderSvg(spec)
        expect(markCount(svg)).toBeGreaterThan(10)
      })
    }
  }

  it('every scenario has a spectrum and a timeline; the failover one a failover chart; one with variants a comparison', () => {
    for (const name of fixtureNames) {
      expect(latencySpectrumChart(fixtureResult(name))).toBeDefined()
      expect(timelineChart(fixtureResult(name))).toBeDefined()
    }
    expect(failoverChart(fixtureResult('failover'))).toBeDefined()
    expect(failoverChart(fixtureResult('canary-split'))).toBeUndefined()
    expect(variantComparisonChart(fixtureResult('algorithm-spread'))).toBeDefined()
    expect(variantComparisonChart(fixtureResult('canary-split'))).toBeUndefined()
  })

  it('the cross-scenario chart renders one row per scenario', async () => {
    const results = fixtureNames.map(fixtureResult)
    const rows = crossScenarioRows(results)
    expect(new Set(rows.map((r) => r.scenario))).toEqual(new Set(fixtureNames))
    expect(markCount(await renderSvg(crossScenarioChart(results)!))).toBeGreaterThan(10)
  })
})

describe('latency spectrum', () => {
  it('samples a histogram at log-spaced percentiles up to the last sample, with latency never decreasing', () => {
    const h = new LatencyHistogram()
    for (let i = 1; i <= 10_000; i++) h.record(i)
    const points = sampleSpectrum(h)
    // 1/(1-p) spans 1 … count: 4 decades at 20 points each, plus the start.
    expect(points).toHaveLength(81)
    expect(points[0]!.percentile).toBe(0)
    expect(points.at(-1)!.x).toBeCloseTo(10_000, 6)
    expect(points.at(-1)!.percentile).toBeCloseTo(99.99, 6)
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.x).toBeGreaterThan(points[i - 1]!.x)
      expect(points[i]!.latencyUs).toBeGreaterThanOrEqual(points[i - 1]!.latencyUs)
    }
    // Uniform 1..10000 µs: the 90th percentile is about 9000 µs (HdrHistogram rounds within 0.1%).
    const p90 = points.find((p) => Math.abs(p.percentile - 90) < 1e-9)!
    expect(p90.latencyUs).toBeGreaterThan(8990)
    expect(p90.latencyUs).toBeLessThan(9020)
  })

  it('draws corrected beside uncorrected latency when the run kept both', () => {
    const spec = latencySpectrumChart(fixtureResult('failover'))!
    const values = (spec.data as { values: { kind: string }[] }).values
    expect(new Set(values.map((v) => v.kind))).toEqual(new Set(['uncorrected', 'corrected']))
  })
})

describe('timeline', () => {
  it('has one point per measured interval of every run and the scenario’s events as rules', () => {
    const result = fixtureResult('failover')
    const run = result.runs[0]!
    const measured = run.timeseries.filter((t) => t.tMs < run.load.durationMs && t.durationMs > 0)
    expect(timelinePoints([run], false)).toHaveLength(measured.length)
    const rules = eventRules([run], run.load.durationMs / 1000)
    const kill = rules.find((r) => r.source === 'timeline' && r.label.startsWith('kill'))
    expect(kill?.tS).toBeCloseTo(3, 1)
  })

  it('puts overlapping labels in different lanes', () => {
    const run = { ...fixtureResult('failover').runs[0]!, events: [0, 10, 20].map((t) => ({ tMs: 3000 + t, source: 'timeline' as const, type: 'something-long', target: 'web[0]' })) }
    const lanes = eventRules([run], 10).map((r) => r.lane)
    expect(new Set(lanes).size).toBe(3)
  })
})

describe('backend share', () => {
  it('shares of each interval add up to 1, and whole-run shares match the counts', () => {
    const rows = backendShareRows(fixtureResult('algorithm-spread'))
    const byInterval = new Map<string, number>()
    for (const r of rows) if (r.kind === 'interval') byInterval.set(`${r.variant}@${r.tS}`, (byInterval.get(`${r.variant}@${r.tS}`) ?? 0) + r.share)
    expect(byInterval.size).toBeGreaterThan(3)
    for (const sum of byInterval.values()) expect(sum).toBeCloseTo(1, 9)
    const wholeRun = rows.filter((r): r is Extract<typeof r, { kind: 'whole-run' | 'configured' }> => r.kind === 'whole-run')
    for (const variant of new Set(wholeRun.map((r) => r.variant))) {
      expect(wholeRun.filter((r) => r.variant === variant).reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 9)
    }
  })

  it('draws configured shares recorded by the run, split evenly within a group', () => {
    const base = fixtureResult('canary-split')
    const runs: RunResult[] = base.runs.map((r) => ({ ...r, configuredShares: { stable: 0.95, canary: 0.05 } }))
    const rows = backendShareRows({ ...base, runs }).filter((r): r is Extract<typeof r, { kind: 'whole-run' | 'configured' }> => r.kind === 'configured')
    const share = Object.fromEntries(rows.map((r) => [r.backend, r.share]))
    expect(share).toEqual({ 'canary-0': 0.05, 'stable-0': 0.475, 'stable-1': 0.475 })
  })
})

describe('failover, overhead and comparison rows', () => {
  it('has detection, recovery and failed requests for each fault of every measured run; "never" when it did not happen', () => {
    const result = fixtureResult('failover')
    const rows = failoverRows(result)
    expect(rows).toHaveLength(3 * result.runs.reduce((n, r) => n + r.failover.length, 0))
    const first = result.runs[0]!.failover[0]!
    const detection = rows.find((r) => r.run === 'balancer=engine fault=dead detection=active' && r.metric === 'detection')!
    expect(detection.value).toBe(first.detectionMs)
    const never = failoverRows({ ...result, runs: [{ ...result.runs[0]!, failover: [{ ...first, recoveryMs: null }] }] })
    expect(never.find((r) => r.metric === 'recovery')!.text).toBe('never')
  })

  it('computes added latency over a direct baseline variant of the same matrix entries', () => {
    const base = fixtureResult('canary-split')
    const run = base.runs[0]!
    const withLatency = (variant: string, p50: number, p99: number): RunResult => ({
      ...run,
      id: variant,
      variant: { balancer: variant },
      summary: { ...run.summary, latencyUs: { ...run.summary.latencyUs, p50, p99 } },
    })
    const result = { ...base, runs: [withLatency('direct', 100, 400), withLatency('engine', 130, 520)] }
    expect(overheadRows(result).map((r) => [r.variant, r.percentile, r.addedUs])).toEqual([
      ['balancer=engine', 'p50', 30],
      ['balancer=engine', 'p99', 120],
    ])
    expect(layerOverheadChart(result)).toBeDefined()
    expect(layerOverheadChart(base)).toBeUndefined()
  })

  it('compares variants by the medians over their repeats', () => {
    const result = fixtureResult('algorithm-spread')
    const rows = comparisonRows(result).filter((r) => r.metric === 'rps')
    expect(rows.length).toBe(new Set(result.runs.map((r) => r.variant.algorithm)).size)
    for (const row of rows) {
      const values = result.runs.filter((r) => `algorithm=${r.variant.algorithm}` === row.variant).map((r) => r.summary.rps).sort((a, b) => a - b)
      expect(row.repeats).toBe(3)
      expect(row.median).toBe(values[1])
      expect(row.min).toBe(values[0])
      expect(row.max).toBe(values[2])
    }
  })
})
