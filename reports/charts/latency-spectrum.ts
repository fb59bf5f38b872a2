import { LatencyHistogram } from '../../engine/stats/latency-histogram.js'
import type { ResultFile, RunResult } from '../result/result-model.js'
import { type ChartSpec, chartConfig, measuredRuns, runsByVariant } from './chart-common.js'

/** One sampled point of a percentile spectrum. */
export interface SpectrumPoint {
  readonly series: string
  readonly kind: 'uncorrected' | 'corrected'
  /** 1 / (1 − p): 1 at 0 %, 10 at 90 %, 1000 at 99.9 %. */
  readonly x: number
  readonly percentile: number
  readonly latencyUs: number
}

/** A set of runs whose histograms are added into one line (the repeats of a variant). */
export interface SpectrumSeries {
  readonly name: string
  readonly runs: readonly RunResult[]
}

const STEPS_PER_DECADE = 20

/** Adds the runs' encoded histograms of one kind; undefined when none has samples. */
function merged(runs: readonly RunResult[], kind: 'latency' | 'corrected'): LatencyHistogram | undefined {
  let sum: LatencyHistogram | undefined
  for (const r of runs) {
    const encoded = r.histograms[kind]
    if (encoded === undefined || encoded === '') continue
    const h = LatencyHistogram.decode(encoded)
    if (sum === undefined) sum = h
    else sum.add(h)
  }
  return sum === undefined || sum.count === 0 ? undefined : sum
}

/**
 * Samples a histogram at log-spaced percentiles, HdrHistogram style: from 0 % up to the
 * percentile of the last sample (1 / (1 − p) = count), 20 points per decade of 1 / (1 − p).
 */
export function sampleSpectrum(h: LatencyHistogram): { x: number; percentile: number; latencyUs: number }[] {
  const decades = Math.log10(h.count)
  const out: { x: number; percentile: number; latencyUs: number }[] = []
  const steps = Math.floor(decades * STEPS_PER_DECADE)
  for (let i = 0; i <= steps; i++) {
    const x = 10 ** (i / STEPS_PER_DECADE)
    const percentile = 100 * (1 - 1 / x)
    out.push({ x, percentile, latencyUs: h.percentile(percentile) })
  }
  if (steps / STEPS_PER_DECADE < decades) out.push({ x: h.count, percentile: 100 * (1 - 1 / h.count), latencyUs: h.percentile(100 * (1 - 1 / h.count)) })
  return out
}

/** Every series' uncorrected and corrected spectrum points. */
export function spectrumPoints(series: readonly SpectrumSeries[]): SpectrumPoint[] {
  const points: SpectrumPoint[] = []
  for (const s of series) {
    for (const [kind, field] of [
      ['uncorrected', 'latency'],
      ['corrected', 'corrected'],
    ] as const) {
      const h = merged(s.runs, field)
      if (h === undefined) continue
      for (const p of sampleSpectrum(h)) if (p.latencyUs > 0) points.push({ series: s.name, kind, ...p })
    }
  }
  return points
}

/** Axis labels of 1 / (1 − p): 0 %, 50 %, 90 %, 99 %, 99.9 %, … up to `max`. */
function percentileTicks(max: number): { values: number[]; labelExpr: string } {
  const values = [1, 2]
  for (let v = 10; v <= max * 1.0001; v *= 10) values.push(v)
  const label = (v: number) => (v === 1 ? '0%' : v === 2 ? '50%' : `${(100 - 100 / v).toFixed(Math.max(0, Math.round(Math.log10(v)) - 2))}%`)
  const labelExpr = values.reduceRight((rest, v) => `datum.value == ${v} ? '${label(v)}' : ${rest}`, "''")
  return { values, labelExpr }
}

/** The spectrum of the given series; undefined when none has a histogram. */
export function latencySpectrumSpec(series: readonly SpectrumSeries[], title = 'Latency by percentile'): ChartSpec | undefined {
  const values = spectrumPoints(series)
  if (values.length === 0) return undefined
  const maxX = Math.max(...values.map((p) => p.x))
  const ticks = percentileTicks(maxX)
  const names = [...new Set(values.map((p) => p.series))]
  const kinds = (['uncorrected', 'corrected'] as const).filter((k) => values.some((p) => p.kind === k))
  return {
    title: { text: title, subtitle: kinds.length > 1 ? 'solid: as measured; dashed: corrected for coordinated omission (from each request’s intended start)' : 'as measured' },
    config: chartConfig,
    width: 640,
    height: 300,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'percentile', scale: { type: 'log', domain: [1, maxX] }, axis: { values: ticks.values, labelExpr: ticks.labelExpr, grid: true } },
      y: { field: 'latencyUs', type: 'quantitative', title: 'latency (µs)', scale: { type: 'log' } },
      color: names.length > 1 ? { field: 'series', type: 'nominal', title: 'variant', sort: names } : { value: '#1f6feb' },
      // Only the kinds present get a legend entry: a closed-loop run has no corrected latency.
      strokeDash: { field: 'kind', type: 'nominal', title: 'latency', sort: kinds, scale: { domain: kinds, range: kinds.map((k) => (k === 'uncorrected' ? [1, 0] : [5, 3])) } },
      tooltip: [
        { field: 'series', type: 'nominal', title: 'variant' },
        { field: 'kind', type: 'nominal', title: 'latency' },
        { field: 'percentile', type: 'quantitative', title: 'percentile', format: '.4f' },
        { field: 'latencyUs', type: 'quantitative', title: 'µs', format: ',.0f' },
      ],
    },
  }
}

/**
 * Latency percentile spectrum of a scenario: one line per variant (its repeats' histograms
 * added), as measured and corrected; undefined when the runs kept no histograms.
 */
export function latencySpectrumChart(result: ResultFile): ChartSpec | undefined {
  return latencySpectrumSpec([...runsByVariant(measuredRuns(result))].map(([name, runs]) => ({ name, runs })))
}

/** Spectra of several labelled results of the same scenario, overlaid: one line per label and variant. */
export function latencySpectrumOverlayChart(entries: readonly { label: string; result: ResultFile }[]): ChartSpec | undefined {
  const series = entries.flatMap((e) => [...runsByVariant(measuredRuns(e.result))].map(([name, runs]) => ({ name: `${e.label} · ${name}`, runs })))
  return latencySpectrumSpec(series, 'Latency by percentile, compared')
}
