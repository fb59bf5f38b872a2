/**
 * How well the instruments kept time in each run: the open loop's send lag (due → sent), which the
 * corrected latency charges to the system under test, and the backends' injected latency as they
 * waited it (made against asked), which every latency measured includes.
 */
import type { RunResult } from '../result/result-model.js'
import { formatCount, formatUs } from './format.js'
import { htmlTable, type HtmlCell } from './html-table.js'

/** The section, or '' when no run has either figure. */
export function timingSection(runs: readonly RunResult[]): string {
  const timed = runs.filter((r) => r.skipped === undefined && (r.summary.sendLagUs !== undefined || r.backendService !== undefined))
  if (timed.length === 0) return ''
  const rows = timed.map((r): HtmlCell[] => {
    const lag = r.summary.sendLagUs
    const s = r.backendService
    return [
      r.id,
      formatUs(lag?.p50),
      formatUs(lag?.p99),
      s === undefined ? '—' : formatCount(s.holds),
      formatUs(s?.requestedMeanUs),
      formatUs(s?.actualMeanUs),
      s === undefined ? '—' : s.overshootUs.min < 0 ? { text: formatUs(s.overshootUs.min), class: 'fail' } : formatUs(s.overshootUs.min),
      formatUs(s?.overshootUs.p50),
      formatUs(s?.overshootUs.p99),
    ]
  })
  return (
    '<h3>Timing of the instruments</h3>' +
    '<p>Send lag: how long after its due time an open-loop request left (the corrected latency counts it against the system under test). ' +
    'Backend wait: the injected latency asked for against the wait made, by the backends’ own clocks; over = made − asked, never negative.</p>' +
    htmlTable(['run', 'send lag p50', 'send lag p99', 'held', 'asked (mean)', 'waited (mean)', 'over min', 'over p50', 'over p99'], rows, [1, 2, 3, 4, 5, 6, 7, 8])
  )
}
