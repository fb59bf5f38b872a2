import { aggregateRuns } from '../result/aggregate.js'
import { balancerName, type ResultFile } from '../result/result-model.js'
import { type ChartSpec, bandHeight, chartConfig, variantLabel } from './chart-common.js'

/** Throughput and p99 of one variant of one scenario (medians over repeats). */
export interface ScenarioVariantRow {
  readonly scenario: string
  readonly variant: string
  readonly rps: number
  readonly p99Us: number
  readonly implementation: string
}

/** Rows of every measured variant of every result. */
export function crossScenarioRows(results: readonly ResultFile[]): ScenarioVariantRow[] {
  return results.flatMap((result) =>
    aggregateRuns(result)
      .filter((a) => a.skipped === undefined)
      .map((a) => ({
        scenario: result.scenario.name,
        variant: variantLabel(a.variant),
        rps: a.rps.median,
        p99Us: a.p99Us.median,
        implementation: ((r) => (r === undefined ? 'engine' : balancerName(r.balancer)))(a.runs.find((r) => r.skipped === undefined)),
      })),
  )
}

/**
 * Small multiples, one row per scenario: throughput and p99 of each of its variants, each
 * scenario on its own scales (their loads differ). Undefined when nothing was measured.
 */
export function crossScenarioChart(results: readonly ResultFile[]): ChartSpec | undefined {
  const rows = crossScenarioRows(results)
  if (rows.length === 0) return undefined
  const scenarios = [...new Set(rows.map((r) => r.scenario))]
  const implementations = [...new Set(rows.map((r) => r.implementation))]
  const color = implementations.length > 1 ? { field: 'implementation', type: 'nominal', title: 'balancer', sort: implementations } : { value: '#1f6feb' }
  const bars = (scenario: string, variants: readonly string[], field: 'rps' | 'p99Us', title: string, labels: boolean) => ({
    width: 260,
    height: bandHeight(variants.length, 16),
    transform: [{ filter: { field: 'scenario', equal: scenario } }],
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', title: labels ? scenario : null, sort: variants, axis: labels ? { labelLimit: 300, titleFontWeight: 700, titleColor: '#111' } : { labels: false, ticks: false } },
      x: { field, type: 'quantitative', title },
      color,
      tooltip: [
        { field: 'scenario', type: 'nominal' },
        { field: 'variant', type: 'nominal' },
        { field: 'rps', type: 'quantitative', title: 'req/s', format: ',.0f' },
        { field: 'p99Us', type: 'quantitative', title: 'p99 µs', format: ',.0f' },
      ],
    },
  })
  return {
    title: { text: 'Every scenario at a glance', subtitle: 'median over repeats of each variant' },
    config: chartConfig,
    data: { values: rows },
    vconcat: scenarios.map((s) => {
      const variants = [...new Set(rows.filter((r) => r.scenario === s).map((r) => r.variant))]
      return { hconcat: [bars(s, variants, 'rps', 'req/s', true), bars(s, variants, 'p99Us', 'p99 latency (µs)', false)], resolve: { scale: { x: 'independent', y: 'shared' } } }
    }),
    spacing: 18,
    resolve: { scale: { x: 'independent', y: 'independent' } },
  }
}
