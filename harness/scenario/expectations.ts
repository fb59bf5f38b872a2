import { chiSquareTest } from '../../reports/statistics/chi-square.js'
import type { RunResult } from '../../reports/result/result-model.js'
import { judgeBackendSees } from './backend-sees.js'
import { groupCounts, judgeFairness, judgeGroupShare, judgeRemap, judgeWindowedErrorRate } from './distribution-expectations.js'
import { backendCountsIn, windowText } from './time-windows.js'
import type { VariantLabel } from './matrix.js'
import type { Expectation } from './scenario-schema.js'

/** One judged expectation, as result.json records it. */
export interface ExpectationOutcome {
  readonly name: string
  readonly expected: string
  readonly actual: string
  readonly pass: boolean
}

/** What an expectation is judged against: the run's measured parts. */
export type JudgedRun = Pick<RunResult, 'summary' | 'groups' | 'backends' | 'failover' | 'sticky' | 'routing'> & Partial<Pick<RunResult, 'load' | 'timeseries' | 'fairness' | 'remap'>>

const fmt = (x: number, digits = 3) => (Number.isInteger(x) ? String(x) : x.toFixed(digits))
const rangeText = (r: { min?: number | undefined; max?: number | undefined }, unit = '') =>
  r.min !== undefined && r.max !== undefined ? `${fmt(r.min)}–${fmt(r.max)}${unit}` : r.min !== undefined ? `≥ ${fmt(r.min)}${unit}` : `≤ ${fmt(r.max!)}${unit}`
const inRange = (x: number, r: { min?: number | undefined; max?: number | undefined }) => (r.min === undefined || x >= r.min) && (r.max === undefined || x <= r.max)

/** Whether an expectation's `when` selects this variant. */
export function appliesTo(e: Expectation, label: VariantLabel): boolean {
  if (e.when === undefined) return true
  return Object.entries(e.when).every(([dim, want]) => (Array.isArray(want) ? want.includes(label[dim]!) : label[dim] === want))
}

/** A share check: per-category tolerance on the observed shares and a χ² test against the weights. */
function judgeShare(name: string | undefined, counts: Record<string, number>, weights: Record<string, number>, tolerance: number, minP: number, what: string): ExpectationOutcome {
  const keys = Object.keys(weights)
  const observed = keys.map((k) => counts[k] ?? 0)
  const total = observed.reduce((a, b) => a + b, 0)
  const weightSum = keys.reduce((s, k) => s + weights[k]!, 0)
  const expectedShares = keys.map((k) => weights[k]! / weightSum)
  const shares = observed.map((o) => (total === 0 ? 0 : o / total))
  const worst = Math.max(...shares.map((s, i) => Math.abs(s - expectedShares[i]!)))
  const chi = total === 0 ? undefined : chiSquareTest(observed, keys.map((k) => weights[k]!))
  const chiOk = minP === 0 || (chi !== undefined && chi.pValue >= minP)
  return {
    name: name ?? `${what} shares ${keys.map((k, i) => `${k} ${fmt(expectedShares[i]! * 100, 1)}%`).join(' / ')}`,
    expected: `each within ±${fmt(tolerance * 100, 1)} points${minP > 0 ? `, χ² p ≥ ${minP}` : ''}`,
    actual: `${keys.map((k, i) => `${k} ${fmt(shares[i]! * 100, 2)}%`).join(' / ')} of ${total}${chi === undefined ? '' : `, χ² p = ${chi.pValue < 1e-4 ? chi.pValue.toExponential(1) : fmt(chi.pValue, 4)}`}`,
    pass: total > 0 && worst <= tolerance && chiOk,
  }
}

/**
 * The shares the scenario's applicable `share` expectations configure, normalised to 1 per
 * expectation: by group (`groups`) or evenly over one group's backends (`backendsOf`). Reports
 * draw measured shares against these. Undefined when no share expectation applies.
 */
export function configuredShares(expectations: readonly Expectation[], label: VariantLabel, backends: JudgedRun['backends']): Record<string, number> | undefined {
  const out: Record<string, number> = {}
  for (const e of expectations) {
    if (!('share' in e) || !appliesTo(e, label)) continue
    if (e.share.groups !== undefined) {
      const sum = Object.values(e.share.groups).reduce((a, b) => a + b, 0)
      if (sum > 0) for (const [g, w] of Object.entries(e.share.groups)) out[g] = w / sum
    } else {
      const ids = Object.entries(backends).filter(([, b]) => b.group === e.share.backendsOf)
      for (const [id] of ids) out[id] = 1 / ids.length
    }
  }
  return Object.keys(out).length === 0 ? undefined : out
}

/**
 * Judges a run against the scenario's expectations. Pure: everything comes from the run's
 * measured result, so a saved result.json can be judged again.
 */
export function judgeExpectations(expectations: readonly Expectation[], label: VariantLabel, run: JudgedRun): ExpectationOutcome[] {
  const out: ExpectationOutcome[] = []
  for (const e of expectations) {
    if (!appliesTo(e, label)) continue
    if ('share' in e) {
      const s = e.share
      if (s.groups !== undefined) {
        const where = s.window === undefined ? '' : ` in ${windowText(s.window)}`
        out.push(judgeShare(e.name, groupCounts(run, s.window), s.groups, s.tolerance, s.minPValue, `group${where}`))
      } else {
        const ids = Object.entries(run.backends).filter(([, b]) => b.group === s.backendsOf)
        const inWindow = s.window === undefined ? undefined : backendCountsIn(run.timeseries ?? [], s.window)
        const counts = Object.fromEntries(ids.map(([id, b]) => [id, inWindow === undefined ? b.requests : (inWindow[id] ?? 0)]))
        out.push(judgeShare(e.name, counts, Object.fromEntries(ids.map(([id]) => [id, 1])), s.tolerance, s.minPValue, `${s.backendsOf} backend`))
      }
    } else if ('errorRate' in e && e.window !== undefined) {
      out.push(judgeWindowedErrorRate(e.name, e.errorRate, e.window, run))
    } else if ('errorRate' in e) {
      const r = run.summary.requests
      const rate = r.sent === 0 ? 0 : r.failed / r.sent
      out.push({ name: e.name ?? 'error rate', expected: rangeText(e.errorRate), actual: `${fmt(rate, 5)} (${r.failed} of ${r.sent})`, pass: inRange(rate, e.errorRate) })
    } else if ('latency' in e) {
      const l = e.latency
      const summary = l.corrected ? run.summary.correctedLatencyUs : run.summary.latencyUs
      const value = summary?.[l.percentile]
      out.push({
        name: e.name ?? `${l.corrected ? 'corrected ' : ''}latency ${l.percentile}`,
        expected: `≤ ${fmt(l.maxUs)} µs`,
        actual: value === undefined ? 'not measured' : `${fmt(value, 0)} µs`,
        pass: value !== undefined && value <= l.maxUs,
      })
    } else if ('rps' in e) {
      out.push({ name: e.name ?? 'throughput', expected: `${rangeText(e.rps)} req/s`, actual: `${fmt(run.summary.rps, 1)} req/s`, pass: inRange(run.summary.rps, e.rps) })
    } else if ('failover' in e) {
      const f = e.failover
      if (run.failover.length === 0) {
        out.push({ name: e.name ?? 'failover', expected: 'a fault in the timeline', actual: 'no fault measured', pass: false })
      }
      for (const fo of run.failover) {
        const checks: [string, number | null, { min?: number | undefined; max?: number | undefined } | undefined, string][] = [
          ['detection', fo.detectionMs, f.detectionMs, ' ms'],
          ['failed requests', fo.failedRequests, f.failedRequests, ''],
          ['recovery', fo.recoveryMs, f.recoveryMs, ' ms'],
        ]
        for (const [what, value, range, unit] of checks) {
          if (range === undefined) continue
          out.push({
            name: e.name ?? `${fo.fault} ${fo.target}: ${what}`,
            expected: rangeText(range, unit),
            actual: value === null ? 'never' : `${fmt(value, 0)}${unit}`,
            pass: value !== null && inRange(value, range),
          })
        }
      }
    } else if ('stickyViolations' in e) {
      const s = run.sticky
      out.push({
        name: e.name ?? 'sticky-session violations',
        expected: rangeText(e.stickyViolations),
        actual: s === undefined ? 'not measured (load.cookies or clients needed)' : `${fmt(s.violationRate, 4)} (${s.violations} of ${s.requests})`,
        pass: s !== undefined && inRange(s.violationRate, e.stickyViolations),
      })
    } else if ('misrouted' in e) {
      const r = run.routing
      out.push({
        name: e.name ?? 'requests in the wrong pool',
        expected: rangeText(e.misrouted),
        actual: r === undefined ? 'not measured (load.mix with expect needed)' : `${r.misrouted} of ${r.checked}`,
        pass: r !== undefined && r.checked > 0 && inRange(r.misrouted, e.misrouted),
      })
    } else if ('backendSees' in e) {
      out.push(judgeBackendSees(e.name, e.backendSees, run))
    } else if ('groupShare' in e) {
      out.push(judgeGroupShare(e.name, e.groupShare, run))
    } else if ('fairness' in e) {
      out.push(judgeFairness(e.name, e.fairness, run))
    } else if ('remap' in e) {
      out.push(...judgeRemap(e.name, e.remap, run))
    }
  }
  return out
}
