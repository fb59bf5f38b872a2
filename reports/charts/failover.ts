import type { ResultFile } from '../result/result-model.js'
import { type ChartSpec, bandHeight, chartConfig, measuredRuns, variantLabel } from './chart-common.js'

/** One failover measurement of one run; null values mean the event never happened. */
export interface FailoverRow {
  readonly run: string
  readonly fault: string
  readonly metric: 'detection' | 'recovery' | 'failed'
  readonly value: number | null
  readonly text: string
}

const METRICS = [
  { id: 'detection', title: 'detection (ms)' },
  { id: 'recovery', title: 'recovery (ms)' },
  { id: 'failed', title: 'failed requests' },
] as const

/** Rows of every fault of every measured run. */
export function failoverRows(result: ResultFile): FailoverRow[] {
  const runs = measuredRuns(result)
  const repeats = new Set(runs.map((r) => r.repeat)).size > 1
  return runs.flatMap((r) =>
    r.failover.flatMap((f) => {
      const run = repeats ? `${variantLabel(r.variant)} #${r.repeat}` : variantLabel(r.variant)
      const fault = `${f.fault} ${f.target}`
      const ms = (v: number | null) => (v === null ? 'never' : `${Math.round(v)} ms`)
      return [
        { run, fault, metric: 'detection' as const, value: f.detectionMs, text: ms(f.detectionMs) },
        { run, fault, metric: 'recovery' as const, value: f.recoveryMs, text: ms(f.recoveryMs) },
        { run, fault, metric: 'failed' as const, value: f.failedRequests, text: String(f.failedRequests) },
      ]
    }),
  )
}

/**
 * Detection time, recovery time and failed requests per run and fault, as grouped bars; a
 * detection or recovery that never happened is written "never" in red. Undefined without faults.
 */
export function failoverChart(result: ResultFile): ChartSpec | undefined {
  const rows = failoverRows(result)
  if (rows.length === 0) return undefined
  const runs = [...new Set(rows.map((r) => r.run))]
  const faults = [...new Set(rows.map((r) => r.fault))]
  const many = faults.length > 1
  const panels = METRICS.map((m, i) => {
    const y = { field: 'run', type: 'nominal', title: null, sort: runs, scale: { domain: runs }, axis: i === 0 ? { labelLimit: 320 } : { labels: false, ticks: false } } as const
    const yOffset = many ? { yOffset: { field: 'fault', type: 'nominal', sort: faults } } : {}
    const x = { field: 'plotted', type: 'quantitative', title: m.title, scale: { zero: true } } as const
    const tooltip = [
      { field: 'run', type: 'nominal' },
      { field: 'fault', type: 'nominal' },
      { field: 'text', type: 'nominal', title: m.title },
    ]
    return {
      width: 200,
      height: bandHeight(runs.length * (many ? faults.length : 1), many ? 14 : 20),
      transform: [{ filter: `datum.metric == '${m.id}'` }, { calculate: 'isValid(datum.value) ? datum.value : 0', as: 'plotted' }],
      layer: [
        {
          transform: [{ filter: 'isValid(datum.value)' }],
          mark: { type: 'bar' },
          encoding: { x, y, ...yOffset, color: { field: 'fault', type: 'nominal', title: 'fault', sort: faults }, tooltip },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
          encoding: {
            x,
            y,
            ...yOffset,
            text: { field: 'text', type: 'nominal' },
            color: { condition: { test: '!isValid(datum.value)', value: '#c0392b' }, value: '#333' },
            tooltip,
          },
        },
      ],
    }
  })
  return {
    title: { text: 'Failover', subtitle: 'per run and fault: until the balancer took the backend out, until service was back to normal, and requests lost' },
    config: chartConfig,
    data: { values: rows },
    hconcat: panels,
    spacing: 16,
    resolve: { scale: { x: 'independent' } },
  }
}
