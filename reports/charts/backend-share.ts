import type { ResultFile, RunResult } from '../result/result-model.js'
import { type ChartSpec, chartConfig, eventColors, measuredIntervals, measuredRuns, runsByVariant } from './chart-common.js'

/** A row of the share chart: a measured point, a whole-run reference, a configured reference or an event. */
export type ShareRow =
  | { readonly kind: 'interval'; readonly variant: string; readonly backend: string; readonly tS: number; readonly share: number; readonly requests: number; readonly total: number }
  | { readonly kind: 'whole-run' | 'configured'; readonly variant: string; readonly backend: string; readonly share: number }
  | { readonly kind: 'event'; readonly variant: string; readonly tS: number; readonly label: string }

/** Options of {@link backendShareChart}. */
export interface BackendShareOptions {
  /** Only this variant (its label). */
  readonly variant?: string
  /**
   * Configured shares (0–1) by backend, or by group (split evenly over the group's backends).
   * Default: what each variant's runs recorded from the scenario's share expectations.
   */
  readonly configuredShares?: Readonly<Record<string, number>>
}

function rowsOfVariant(variant: string, runs: readonly RunResult[], configured: Readonly<Record<string, number>> | undefined): ShareRow[] {
  // Repeats are added interval by interval: intervals start at the same offsets in every repeat.
  const byT = new Map<number, { tS: number; counts: Map<string, number> }>()
  for (const r of runs) {
    for (const t of measuredIntervals(r)) {
      const slot = byT.get(t.tMs) ?? { tS: (t.tMs + t.durationMs / 2) / 1000, counts: new Map<string, number>() }
      for (const [b, n] of Object.entries(t.byBackend)) slot.counts.set(b, (slot.counts.get(b) ?? 0) + n)
      byT.set(t.tMs, slot)
    }
  }
  const totals = new Map<string, number>()
  const groupOf = new Map<string, string>()
  for (const r of runs) {
    for (const [b, info] of Object.entries(r.backends)) {
      totals.set(b, (totals.get(b) ?? 0) + info.requests)
      groupOf.set(b, info.group)
    }
  }
  const backends = [...new Set([...totals.keys(), ...[...byT.values()].flatMap((s) => [...s.counts.keys()])])].sort()
  const rows: ShareRow[] = []
  for (const slot of [...byT.values()].sort((a, b) => a.tS - b.tS)) {
    const total = [...slot.counts.values()].reduce((a, b) => a + b, 0)
    if (total === 0) continue
    for (const b of backends) rows.push({ kind: 'interval', variant, backend: b, tS: slot.tS, share: (slot.counts.get(b) ?? 0) / total, requests: slot.counts.get(b) ?? 0, total })
  }
  const grand = [...totals.values()].reduce((a, b) => a + b, 0)
  if (grand > 0) for (const b of backends) rows.push({ kind: 'whole-run', variant, backend: b, share: (totals.get(b) ?? 0) / grand })
  if (configured !== undefined) {
    for (const b of backends) {
      const group = groupOf.get(b)
      const inGroup = backends.filter((x) => groupOf.get(x) === group).length
      const share = configured[b] ?? (group !== undefined && configured[group] !== undefined ? configured[group] / Math.max(1, inGroup) : undefined)
      if (share !== undefined) rows.push({ kind: 'configured', variant, backend: b, share })
    }
  }
  if (runs.length > 0) {
    const r = runs[0]!
    for (const e of r.events) {
      if (e.source !== 'timeline' || e.tMs < 0 || e.tMs > r.load.durationMs) continue
      rows.push({ kind: 'event', variant, tS: e.tMs / 1000, label: e.target === undefined ? e.type : `${e.type} ${e.target}` })
    }
  }
  return rows
}

/** Every share row of the chosen runs. */
export function backendShareRows(result: ResultFile, options: BackendShareOptions = {}): ShareRow[] {
  const groups = runsByVariant(measuredRuns(result))
  return [...groups].filter(([v]) => options.variant === undefined || v === options.variant).flatMap(([v, runs]) => rowsOfVariant(v, runs, options.configuredShares ?? runs[0]?.configuredShares))
}

/**
 * Each backend's share of the answered requests per interval (repeats added), one line per
 * backend, against a dashed rule at its share over the whole run, and a dotted rule at its
 * configured share when given. Scenario timeline events (kill, weight change…) are grey rules.
 * One row per variant. Undefined without at least two backends answering in some interval.
 */
export function backendShareChart(result: ResultFile, options: BackendShareOptions = {}): ChartSpec | undefined {
  const rows = backendShareRows(result, options)
  const intervals = rows.filter((r) => r.kind === 'interval')
  if (new Set(intervals.map((r) => r.backend)).size < 2) return undefined
  const variants = [...new Set(intervals.map((r) => r.variant))]
  const xMax = Math.max(...measuredRuns(result).map((r) => r.load.durationMs / 1000))
  const x = { field: 'tS', type: 'quantitative', title: 's from start of measurement', scale: { domain: [0, xMax], nice: false } } as const
  const color = { field: 'backend', type: 'nominal', title: 'backend' } as const
  const hasConfigured = rows.some((r) => r.kind === 'configured')
  const hasEvents = rows.some((r) => r.kind === 'event')
  const layer = [
    {
      transform: [{ filter: "datum.kind == 'interval'" }],
      mark: { type: 'line', point: { size: 16 }, interpolate: 'monotone' },
      encoding: {
        x,
        y: { field: 'share', type: 'quantitative', title: 'share of requests', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
        color,
        tooltip: [
          { field: 'backend', type: 'nominal' },
          { field: 'tS', type: 'quantitative', title: 's', format: '.2f' },
          { field: 'share', type: 'quantitative', format: '.2%' },
          { field: 'requests', type: 'quantitative', format: ',' },
          { field: 'total', type: 'quantitative', title: 'all backends', format: ',' },
        ],
      },
    },
    {
      transform: [{ filter: "datum.kind == 'whole-run'" }],
      mark: { type: 'rule', strokeDash: [6, 4], opacity: 0.7 },
      encoding: { y: { field: 'share', type: 'quantitative' }, color, tooltip: [{ field: 'backend', type: 'nominal' }, { field: 'share', type: 'quantitative', title: 'whole-run share', format: '.2%' }] },
    },
    ...(hasConfigured
      ? [
          {
            transform: [{ filter: "datum.kind == 'configured'" }],
            mark: { type: 'rule', strokeDash: [1, 3], strokeWidth: 2 },
            encoding: { y: { field: 'share', type: 'quantitative' }, color, tooltip: [{ field: 'backend', type: 'nominal' }, { field: 'share', type: 'quantitative', title: 'configured share', format: '.2%' }] },
          },
        ]
      : []),
    ...(hasEvents
      ? [
          {
            transform: [{ filter: "datum.kind == 'event'" }],
            mark: { type: 'rule', color: eventColors.timeline, opacity: 0.6 },
            encoding: { x, tooltip: [{ field: 'label', type: 'nominal', title: 'event' }, { field: 'tS', type: 'quantitative', title: 's', format: '.3f' }] },
          },
        ]
      : []),
  ]
  const subtitle = `lines: share per interval; dashed: share over the whole run${hasConfigured ? '; dotted: configured share' : ''}${hasEvents ? '; red: scenario events' : ''}`
  const base = { title: { text: 'Share of requests per backend', subtitle }, config: chartConfig, data: { values: rows } }
  if (variants.length === 1) return { ...base, width: 640, height: 180, layer }
  return {
    ...base,
    facet: { row: { field: 'variant', type: 'nominal', title: null, sort: variants, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 600 } } },
    spec: { width: 640, height: 140, layer },
    resolve: { scale: { y: 'shared' } },
  }
}
