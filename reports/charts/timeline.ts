import type { ResultFile, RunEvent, RunResult } from '../result/result-model.js'
import { type ChartSpec, chartConfig, eventColors, measuredIntervals, measuredRuns, variantLabel } from './chart-common.js'

/** One interval of one run, as plotted. */
export interface TimelinePoint {
  readonly series: string
  readonly run: string
  /** Middle of the interval, s from the start of the measured phase. */
  readonly tS: number
  readonly rps: number
  readonly failedPerS: number
  readonly p50Us: number | null
  readonly p99Us: number | null
}

/** An event drawn as a vertical rule, with the lane its label sits in. */
export interface TimelineRule {
  readonly tS: number
  readonly source: RunEvent['source']
  readonly label: string
  readonly run: string
  readonly lane: number
}

const WIDTH = 680
const PANEL_HEIGHT = 110
const LANE_HEIGHT = 16
const MAX_LANES = 4

function runName(r: RunResult, variantInName: boolean): string {
  return variantInName ? `${variantLabel(r.variant)} #${r.repeat}` : `#${r.repeat}`
}

/** Labels of events, each in the first lane where it does not overlap the previous label (by a character-width estimate). */
export function eventRules(runs: readonly RunResult[], xMaxS: number, variantInName = false): TimelineRule[] {
  const events = runs
    .flatMap((r) => r.events.map((e) => ({ e, run: runName(r, variantInName) })))
    .filter(({ e }) => e.tMs >= 0 && e.tMs / 1000 <= xMaxS)
    .sort((a, b) => a.e.tMs - b.e.tMs)
  const secondsPerChar = (xMaxS / WIDTH) * 6.2
  const laneEnds: number[] = []
  return events.map(({ e, run }) => {
    const tS = e.tMs / 1000
    const label = e.target === undefined ? e.type : `${e.type} ${e.target}`
    let lane = laneEnds.findIndex((end) => end < tS)
    if (lane === -1) lane = laneEnds.length < MAX_LANES ? laneEnds.length : laneEnds.indexOf(Math.min(...laneEnds))
    laneEnds[lane] = tS + (label.length + 2) * secondsPerChar
    return { tS, source: e.source, label, run, lane }
  })
}

/** The runs' intervals as plot points. */
export function timelinePoints(runs: readonly RunResult[], variantInName: boolean): TimelinePoint[] {
  const repeats = new Set(runs.map((r) => r.repeat)).size > 1
  return runs.flatMap((r) =>
    measuredIntervals(r).map((t) => ({
      series: variantInName ? variantLabel(r.variant) : repeats ? `#${r.repeat}` : variantLabel(r.variant),
      run: runName(r, true),
      tS: (t.tMs + t.durationMs / 2) / 1000,
      rps: t.rps,
      failedPerS: (t.failed * 1000) / t.durationMs,
      p50Us: t.latencyUs.count > 0 ? t.latencyUs.p50 : null,
      p99Us: t.latencyUs.count > 0 ? t.latencyUs.p99 : null,
    })),
  )
}

function ruleLayers(rules: readonly TimelineRule[]) {
  const bySource = (sources: readonly string[]) => rules.filter((r) => sources.includes(r.source))
  return [
    { src: ['timeline'], color: eventColors.timeline, dash: [] as number[] },
    { src: ['balancer'], color: eventColors.balancer, dash: [4, 3] },
    { src: ['runner', 'derived'], color: eventColors.runner, dash: [2, 3] },
  ]
    .map((g) => ({ ...g, values: bySource(g.src) }))
    .filter((g) => g.values.length > 0)
}

/**
 * Throughput, latency (p50 and p99, log scale) and errors over time, in panels sharing the x
 * axis (s from the start of the measured phase), with the scenario's timeline events and the
 * balancer's reactions as vertical rules labelled in a strip above. Give `variant` to chart one
 * variant's repeats with their events; without it every run is charted, and events only when
 * the scenario has a single variant. Undefined when no run has two intervals.
 */
export function timelineChart(result: ResultFile, options: { variant?: string } = {}): ChartSpec | undefined {
  const all = measuredRuns(result)
  const runs = options.variant === undefined ? all : all.filter((r) => variantLabel(r.variant) === options.variant)
  if (!runs.some((r) => measuredIntervals(r).length >= 2)) return undefined
  const variants = new Set(runs.map((r) => variantLabel(r.variant)))
  const variantInName = variants.size > 1
  const points = timelinePoints(runs, variantInName)
  const xMaxS = Math.max(...runs.map((r) => r.load.durationMs / 1000))
  const rules = variants.size === 1 ? eventRules(runs, xMaxS, false) : []
  const layers = ruleLayers(rules)
  const series = [...new Set(points.map((p) => p.series))]
  const x = { field: 'tS', type: 'quantitative', title: 's from start of measurement', scale: { domain: [0, xMaxS], nice: false } } as const
  const color = series.length > 1 ? ({ field: 'series', type: 'nominal', title: variantInName ? 'variant' : 'repeat', sort: series } as const) : ({ value: '#1f6feb' } as const)
  const tooltipBase = [
    { field: 'run', type: 'nominal', title: 'run' },
    { field: 'tS', type: 'quantitative', title: 's', format: '.2f' },
  ] as const
  const rulesFor = (xTitle: boolean) =>
    layers.map((g) => ({
      data: { values: g.values },
      mark: { type: 'rule', color: g.color, strokeDash: g.dash, strokeWidth: 1.2, opacity: 0.8 },
      encoding: {
        x: { ...x, axis: xTitle ? {} : { title: null, labels: false } },
        tooltip: [
          { field: 'label', type: 'nominal', title: 'event' },
          { field: 'source', type: 'nominal', title: 'by' },
          { field: 'tS', type: 'quantitative', title: 's', format: '.3f' },
        ],
      },
    }))
  const panel = (title: string, field: string, extra: { log?: boolean; xAxis?: boolean }) => ({
    height: PANEL_HEIGHT,
    width: WIDTH,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', point: points.length <= 60 ? { size: 14 } : false, interpolate: 'monotone' },
        transform: [{ filter: `isValid(datum.${field})` }],
        encoding: {
          x: { ...x, axis: extra.xAxis === true ? {} : { title: null, labels: false } },
          y: { field, type: 'quantitative', title, scale: extra.log === true ? { type: 'log' } : { zero: true }, axis: { format: '~s' } },
          color,
          detail: { field: 'run', type: 'nominal' },
          tooltip: [...tooltipBase, { field, type: 'quantitative', title, format: ',.0f' }],
        },
      },
      ...rulesFor(extra.xAxis === true),
    ],
  })
  const latency = {
    height: PANEL_HEIGHT,
    width: WIDTH,
    layer: [
      {
        data: { values: points },
        transform: [{ fold: ['p50Us', 'p99Us'], as: ['percentile', 'us'] }, { filter: 'isValid(datum.us) && datum.us > 0' }, { calculate: "datum.percentile == 'p50Us' ? 'p50' : 'p99'", as: 'pct' }],
        mark: { type: 'line', interpolate: 'monotone' },
        encoding: {
          x: { ...x, axis: { title: null, labels: false } },
          y: { field: 'us', type: 'quantitative', title: 'latency (µs)', scale: { type: 'log' } },
          color,
          strokeDash: { field: 'pct', type: 'nominal', title: 'percentile', scale: { domain: ['p50', 'p99'], range: [[1, 0], [5, 3]] } },
          detail: { field: 'run', type: 'nominal' },
          tooltip: [...tooltipBase, { field: 'pct', type: 'nominal', title: 'percentile' }, { field: 'us', type: 'quantitative', title: 'µs', format: ',.0f' }],
        },
      },
      ...rulesFor(false),
    ],
  }
  const lanes = Math.max(0, ...rules.map((r) => r.lane + 1))
  const strip =
    rules.length === 0
      ? []
      : [
          {
            height: lanes * LANE_HEIGHT + 4,
            width: WIDTH,
            view: { stroke: null },
            layer: layers.map((g) => ({
              data: { values: g.values },
              mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 11, color: g.color },
              encoding: {
                x: { ...x, axis: null },
                y: { field: 'lane', type: 'ordinal', axis: null, scale: { domain: Array.from({ length: lanes }, (_, i) => i) } },
                text: { field: 'label', type: 'nominal' },
                tooltip: [
                  { field: 'label', type: 'nominal', title: 'event' },
                  { field: 'source', type: 'nominal', title: 'by' },
                  { field: 'tS', type: 'quantitative', title: 's', format: '.3f' },
                ],
              },
            })),
          },
        ]
  return {
    title: {
      text: options.variant === undefined ? 'Over time' : `Over time: ${options.variant}`,
      subtitle:
        rules.length === 0
          ? 'throughput, latency and errors per interval'
          : 'throughput, latency and errors per interval; rules: red solid = scenario timeline, blue dashed = balancer',
    },
    config: chartConfig,
    vconcat: [...strip, panel('req/s', 'rps', {}), latency, panel('failed/s', 'failedPerS', { xAxis: true })],
    spacing: 6,
    resolve: { scale: { x: 'shared', color: 'shared', y: 'independent' } },
  }
}
