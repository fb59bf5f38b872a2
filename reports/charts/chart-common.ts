import { variantKey } from '../result/aggregate.js'
import type { ResultFile, RunResult } from '../result/result-model.js'

/**
 * A vega-lite specification with its data inlined: what every chart builder returns. Kept as
 * plain JSON rather than vega-lite's `TopLevelSpec` because the builders compose specs from
 * fragments whose literal types TypeScript widens; the chart tests compile every spec with
 * vega-lite and render it with vega instead, which checks more than the types could.
 */
export type ChartSpec = { readonly [key: string]: unknown }

/** Shared look of every chart: readable on a light page, no web fonts. */
export const chartConfig = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  view: { stroke: '#d0d7de' },
  axis: { labelColor: '#333', titleColor: '#333', gridColor: '#eceff3', domainColor: '#888', tickColor: '#888', labelFontSize: 11, titleFontSize: 11, titleFontWeight: 600 },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 360 },
  title: { fontSize: 14, fontWeight: 600, anchor: 'start', subtitleColor: '#555', subtitleFontSize: 11 },
  header: { labelFontSize: 11, titleFontSize: 11 },
  line: { strokeWidth: 1.6 },
} as const

/** Colours of event rules: what the scenario did, and what the balancer did in reply. */
export const eventColors = { timeline: '#c0392b', balancer: '#1f6feb', runner: '#6e7781', derived: '#8250df' } as const

/** A variant's label for people: its matrix entries, or "default" for a scenario without a matrix. */
export function variantLabel(variant: RunResult['variant']): string {
  return variantKey(variant) || 'default'
}

/** Runs that measured something (not skipped). */
export function measuredRuns(result: ResultFile): RunResult[] {
  return result.runs.filter((r) => r.skipped === undefined)
}

/** Measured runs grouped by variant label, in first-seen order. */
export function runsByVariant(runs: readonly RunResult[]): Map<string, RunResult[]> {
  const out = new Map<string, RunResult[]>()
  for (const r of runs) {
    const key = variantLabel(r.variant)
    out.set(key, [...(out.get(key) ?? []), r])
  }
  return out
}

/** Intervals of the measured phase: the trailing interval that only collects late replies is left out. */
export function measuredIntervals(run: RunResult): RunResult['timeseries'] {
  return run.timeseries.filter((t) => t.tMs < run.load.durationMs && t.durationMs > 0)
}

/** Median of a list (lower middle for an even count, as `aggregateRuns` does); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

/** Height for a band axis of `n` rows. */
export function bandHeight(n: number, step = 18): number {
  return Math.max(40, n * step)
}
