import { aggregateRuns, type Spread, type VariantAggregate } from '../result/aggregate.js'
import { balancerName, type ResultFile } from '../result/result-model.js'
import { type ChartSpec, bandHeight, chartConfig, variantLabel } from './chart-common.js'

/** The metrics compared across variants, in panel order. */
export const comparisonMetrics = [
  { id: 'rps', title: 'throughput (req/s)', format: ',.0f', log: false },
  { id: 'p50', title: 'p50 latency (µs)', format: ',.0f', log: true },
  { id: 'p99', title: 'p99 latency (µs)', format: ',.0f', log: true },
  { id: 'p999', title: 'p99.9 latency (µs)', format: ',.0f', log: true },
  { id: 'cpu', title: 'balancer CPU per request (µs)', format: ',.1f', log: false },
  { id: 'errors', title: 'error rate', format: '.3%', log: false },
] as const

/** One metric of one variant of one series: median and min–max over repeats. */
export interface ComparisonRow {
  readonly series: string
  readonly variant: string
  readonly metric: (typeof comparisonMetrics)[number]['id']
  readonly median: number
  readonly min: number
  readonly max: number
  readonly repeats: number
}

function spreadOf(a: VariantAggregate, metric: ComparisonRow['metric']): Spread | undefined {
  switch (metric) {
    case 'rps':
      return a.rps
    case 'p50':
      return a.p50Us
    case 'p99':
      return a.p99Us
    case 'p999':
      return a.p999Us
    case 'cpu':
      return a.balancerCpuPerRequestUs
    case 'errors':
      return a.errorRate
  }
}

/** Rows of every measured variant; `series` is the label when given, else the balancer implementation. */
export function comparisonRows(result: ResultFile, label?: string): ComparisonRow[] {
  return aggregateRuns(result)
    .filter((a) => a.skipped === undefined)
    .flatMap((a) => {
      const measured = a.runs.filter((r) => r.skipped === undefined)
      const series = label ?? (measured[0] === undefined ? 'engine' : balancerName(measured[0].balancer))
      return comparisonMetrics.flatMap(({ id }) => {
        const s = spreadOf(a, id)
        return s === undefined || s.values.length === 0 ? [] : [{ series, variant: variantLabel(a.variant), metric: id, median: s.median, min: s.min, max: s.max, repeats: s.values.length }]
      })
    })
}

/** Panels of median points with min–max rules, one per metric, coloured by series. */
export function comparisonSpec(rows: readonly ComparisonRow[], title: string, seriesTitle: string): ChartSpec | undefined {
  const variants = [...new Set(rows.map((r) => r.variant))]
  const series = [...new Set(rows.map((r) => r.series))]
  const many = series.length > 1
  const panels = comparisonMetrics
    .filter((m) => rows.some((r) => r.metric === m.id))
    .map((m, i) => {
      const log = m.log && rows.filter((r) => r.metric === m.id).every((r) => r.min > 0)
      const x = { type: 'quantitative', title: m.title, scale: log ? { type: 'log' } : { zero: true }, axis: { format: m.id === 'errors' ? '.1%' : '~s' } } as const
      const y = { field: 'variant', type: 'nominal', title: null, sort: variants, scale: { domain: variants }, axis: i % 3 === 0 ? { labelLimit: 320 } : { labels: false, ticks: false } } as const
      const yOffset = many ? { yOffset: { field: 'series', type: 'nominal', sort: series } } : {}
      const color = many ? { field: 'series', type: 'nominal', title: seriesTitle, sort: series } : { value: '#1f6feb' }
      const tooltip = [
        { field: 'variant', type: 'nominal' },
        { field: 'series', type: 'nominal', title: seriesTitle },
        { field: 'median', type: 'quantitative', format: m.format },
        { field: 'min', type: 'quantitative', format: m.format },
        { field: 'max', type: 'quantitative', format: m.format },
        { field: 'repeats', type: 'quantitative' },
      ]
      return {
        width: 220,
        height: bandHeight(variants.length * (many ? series.length : 1), many ? 12 : 20),
        transform: [{ filter: `datum.metric == '${m.id}'` }],
        layer: [
          { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { ...x, field: 'min' }, x2: { field: 'max' }, y, ...yOffset, color, tooltip } },
          { mark: { type: 'point', filled: true, size: 50 }, encoding: { x: { ...x, field: 'median' }, y, ...yOffset, color, tooltip } },
        ],
      }
    })
  if (panels.length === 0) return undefined
  return {
    title: { text: title, subtitle: 'dot: median over repeats; line: min–max' },
    config: chartConfig,
    data: { values: rows },
    columns: 3,
    concat: panels,
    spacing: 14,
    resolve: { scale: { x: 'independent', color: 'shared' } },
  }
}

/**
 * Throughput, p50/p99/p99.9 latency, balancer CPU per request and error rate of every variant
 * (median over repeats with min–max), coloured by balancer implementation when there are several.
 * Undefined with fewer than two measured variants: there is nothing to compare.
 */
export function variantComparisonChart(result: ResultFile): ChartSpec | undefined {
  const rows = comparisonRows(result)
  if (new Set(rows.map((r) => r.variant)).size < 2) return undefined
  return comparisonSpec(rows, 'Variants compared', 'balancer')
}

/** The same panels for several labelled results, overlaid by label. Undefined when nothing was measured. */
export function variantComparisonOverlayChart(entries: readonly { label: string; result: ResultFile }[]): ChartSpec | undefined {
  const rows = entries.flatMap((e) => comparisonRows(e.result, e.label))
  return rows.length === 0 ? undefined : comparisonSpec(rows, 'Results compared', 'result')
}
