import { aggregateRuns } from '../result/aggregate.js'
import type { ResultFile } from '../result/result-model.js'
import { type ChartSpec, bandHeight, chartConfig, median, variantLabel } from './chart-common.js'

/** Handshake and request time of one variant at one percentile (median over repeats). */
export interface HandshakeRow {
  readonly variant: string
  readonly what: 'handshake' | 'request'
  readonly percentile: 'p50' | 'p99'
  readonly us: number
  readonly handshakes: number
}

/** Rows of the variants whose runs measured handshakes. */
export function handshakeRows(result: ResultFile): HandshakeRow[] {
  return aggregateRuns(result).flatMap((a) => {
    const runs = a.runs.filter((r) => r.skipped === undefined && r.summary.handshakeUs !== undefined && r.summary.handshakeUs.count > 0)
    if (runs.length === 0) return []
    const handshakes = runs.reduce((n, r) => n + (r.summary.handshakeUs?.count ?? 0), 0)
    const variant = variantLabel(a.variant)
    return (['p50', 'p99'] as const).flatMap((percentile) => [
      { variant, what: 'handshake' as const, percentile, us: median(runs.map((r) => r.summary.handshakeUs![percentile]))!, handshakes },
      { variant, what: 'request' as const, percentile, us: median(runs.map((r) => r.summary.latencyUs[percentile]))!, handshakes },
    ])
  })
}

/**
 * Connection set-up against request time per variant, at p50 and p99: the TLS handshake for
 * https/tls load, the TCP connect otherwise. Undefined when no run measured handshakes.
 */
export function handshakeChart(result: ResultFile): ChartSpec | undefined {
  const rows = handshakeRows(result)
  if (rows.length === 0) return undefined
  const tls = result.runs.some((r) => r.load.protocol === 'https' || r.load.protocol === 'tls')
  const variants = [...new Set(rows.map((r) => r.variant))]
  const name = tls ? 'TLS handshake' : 'connection set-up'
  return {
    title: { text: tls ? 'TLS handshake vs request' : 'Connection set-up vs request', subtitle: `${name} and request latency, median over repeats` },
    config: chartConfig,
    data: { values: rows.map((r) => ({ ...r, what: r.what === 'handshake' ? name : 'request' })) },
    width: 300,
    height: bandHeight(variants.length * 2, 12),
    mark: { type: 'bar' },
    encoding: {
      column: { field: 'percentile', type: 'nominal', title: null, sort: ['p50', 'p99'], header: { labelFontWeight: 600 } },
      y: { field: 'variant', type: 'nominal', title: null, sort: variants, axis: { labelLimit: 320 } },
      yOffset: { field: 'what', type: 'nominal', sort: [name, 'request'] },
      x: { field: 'us', type: 'quantitative', title: 'µs' },
      color: { field: 'what', type: 'nominal', title: null, sort: [name, 'request'], scale: { range: ['#8250df', '#1f6feb'] } },
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'what', type: 'nominal' },
        { field: 'percentile', type: 'nominal' },
        { field: 'us', type: 'quantitative', title: 'µs', format: ',.0f' },
        { field: 'handshakes', type: 'quantitative', format: ',' },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  }
}
