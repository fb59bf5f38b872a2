import { BALANCER_IMPLEMENTATIONS } from '../../harness/peers/peer-names.js'
import { aggregateRuns, type VariantAggregate } from '../result/aggregate.js'
import type { ResultFile, RunResult } from '../result/result-model.js'
import { type ChartSpec, bandHeight, chartConfig, variantLabel } from './chart-common.js'

/** Implementations that put a balancer in the path. */
const BALANCERS: readonly string[] = BALANCER_IMPLEMENTATIONS.filter((i) => i !== 'direct')

/** A run without a balancer in the path: an implementation that is not a balancer, or `balancer=direct` in its label. */
export function isBaselineRun(run: RunResult): boolean {
  return !BALANCERS.includes(run.balancer.implementation) || variantLabel(run.variant).split(' ').includes('balancer=direct')
}

/** Latency a balancer adds over the baseline, µs, for one variant. */
export interface OverheadRow {
  readonly variant: string
  readonly baseline: string
  readonly percentile: 'p50' | 'p99'
  readonly addedUs: number
  readonly us: number
  readonly baselineUs: number
}

/** The variant's entries other than the one that selects the balancer, to pair it with its baseline. */
function otherDimensions(a: VariantAggregate, baselineKeys: ReadonlySet<string>): string {
  return Object.entries(a.variant)
    .filter(([k]) => !baselineKeys.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}

/** Added p50 and p99 of every balanced variant over its baseline (same other matrix entries, or the only baseline). */
export function overheadRows(result: ResultFile): OverheadRow[] {
  const measured = aggregateRuns(result).filter((a) => a.skipped === undefined)
  const isBase = (a: VariantAggregate) => a.runs.some((r) => r.skipped === undefined && isBaselineRun(r))
  const baselines = measured.filter(isBase)
  if (baselines.length === 0) return []
  // The dimensions in which a baseline differs from balanced variants: `balancer`, when the matrix names it.
  const baselineKeys = new Set(Object.keys(baselines[0]!.variant).filter((k) => k === 'balancer' || baselines.every((b) => b.variant[k] === 'direct')))
  return measured
    .filter((a) => !isBase(a))
    .flatMap((a) => {
      const base = baselines.find((b) => otherDimensions(b, baselineKeys) === otherDimensions(a, baselineKeys)) ?? (baselines.length === 1 ? baselines[0] : undefined)
      if (base === undefined) return []
      return (['p50', 'p99'] as const).map((percentile) => {
        const us = percentile === 'p50' ? a.p50Us.median : a.p99Us.median
        const baselineUs = percentile === 'p50' ? base.p50Us.median : base.p99Us.median
        return { variant: variantLabel(a.variant), baseline: variantLabel(base.variant), percentile, addedUs: us - baselineUs, us, baselineUs }
      })
    })
}

/**
 * What the balancing layer costs in latency: p50 and p99 added over the direct (no balancer)
 * baseline, per variant (medians over repeats). Undefined when no variant is a baseline.
 */
export function layerOverheadChart(result: ResultFile): ChartSpec | undefined {
  const rows = overheadRows(result)
  if (rows.length === 0) return undefined
  const variants = [...new Set(rows.map((r) => r.variant))]
  return {
    title: { text: 'Latency added by the balancer', subtitle: 'median over repeats, minus the direct baseline with the same other settings' },
    config: chartConfig,
    width: 560,
    height: bandHeight(variants.length * 2, 14),
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', title: null, sort: variants, axis: { labelLimit: 320 } },
      yOffset: { field: 'percentile', type: 'nominal', sort: ['p50', 'p99'] },
      x: { field: 'addedUs', type: 'quantitative', title: 'added latency (µs)' },
      color: { field: 'percentile', type: 'nominal', title: 'percentile', sort: ['p50', 'p99'], scale: { range: ['#1f6feb', '#d4a72c'] } },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'baseline', type: 'nominal' },
        { field: 'percentile', type: 'nominal' },
        { field: 'addedUs', type: 'quantitative', title: 'added µs', format: ',.0f' },
        { field: 'us', type: 'quantitative', title: 'with balancer µs', format: ',.0f' },
        { field: 'baselineUs', type: 'quantitative', title: 'direct µs', format: ',.0f' },
      ],
    },
  }
}
