/**
 * The one result of a distributed run, merged from what each agent reported: counts added, and
 * distributions merged by adding HDR histograms (never by averaging percentiles), per interval and
 * overall. An agent that died before its summary counts with what it streamed: its requests still
 * in flight become failures (`aborted`), so `sent = ok + failed` holds across agents.
 */
import { LatencyHistogram, type LatencySummary } from '../../../engine/stats/latency-histogram.js'
import type { IntervalSample, LoadSummary } from '../load-types.js'

/** One interval as an agent streams it: the sample and its latency histogram (encoded). */
export interface AgentInterval {
  readonly sample: IntervalSample
  readonly histogram?: string
}

/** How an agent's run went. */
export type AgentState = 'ok' | 'lagging' | 'dead'

/** Everything known of one agent at the end. */
export interface AgentReport {
  readonly id: string
  /** Where it ran (`local`, or a node's name). */
  readonly where: string
  /** Its final summary; absent when it died first. */
  readonly summary?: LoadSummary
  readonly intervals: readonly AgentInterval[]
  readonly state: AgentState
  /** Why it is lagging or dead. */
  readonly reason?: string
  readonly clockOffsetUs: number
  readonly clockRttUs: number
}

/** One agent's line of the breakdown. */
export interface AgentBreakdown {
  readonly id: string
  readonly where: string
  readonly state: AgentState
  readonly reason?: string
  readonly sent: number
  readonly ok: number
  readonly failed: number
  readonly latencyUs: LatencySummary
  readonly clockOffsetUs: number
  readonly clockRttUs: number
}

const addCounts = (into: Record<string, number>, from: Readonly<Record<string, number>>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
}

/** The histogram of `encoded`, or an empty one. */
const decoded = (encoded: string | undefined) => (encoded === undefined ? new LatencyHistogram() : LatencyHistogram.decode(encoded))

/** What a dead agent's streamed intervals add up to, as a summary of its own. */
export function summaryFromIntervals(report: AgentReport, template: Pick<LoadSummary, 'generator' | 'protocol' | 'mode'>): LoadSummary {
  let sent = 0
  let ok = 0
  let failed = 0
  const byBackend: Record<string, number> = {}
  const byStatus: Record<string, number> = {}
  const latency = new LatencyHistogram()
  for (const i of report.intervals) {
    sent += i.sample.sent
    ok += i.sample.ok
    failed += i.sample.failed
    addCounts(byBackend, i.sample.byBackend)
    latency.add(decoded(i.histogram))
  }
  // Failures' kinds are not streamed; what was in flight when it died is lost with it.
  const lost = Math.max(0, sent - ok - failed)
  const starts = report.intervals.map((i) => i.sample.startMs)
  const step = starts.length > 1 ? starts[1]! - starts[0]! : 0
  const elapsedMs = starts.length === 0 ? 0 : Math.max(...starts) + step
  return {
    ...template,
    sent: ok + failed + lost,
    ok,
    failed: failed + lost,
    failures: { byKind: failed + lost === 0 ? {} : { aborted: failed + lost }, byStatus },
    byBackend,
    latencyUs: latency.summary(),
    histograms: { latency: latency.encode() },
    achievedRate: 0,
    elapsedMs,
    timeseries: report.intervals.map((i) => i.sample),
    generatorCpu: { userUs: 0, systemUs: 0, perRequestUs: 0, utilisation: 0 },
    warnings: [],
  }
}

/** Merges the agents' reports into one summary, with the per-agent breakdown beside it. */
export function mergeAgents(reports: readonly AgentReport[], template: Pick<LoadSummary, 'generator' | 'protocol' | 'mode'>): { summary: LoadSummary; agents: AgentBreakdown[] } {
  const summaries = reports.map((r) => r.summary ?? summaryFromIntervals(r, template))
  const byKind: Record<string, number> = {}
  const failedByStatus: Record<string, number> = {}
  const byBackend: Record<string, number> = {}
  const latency = new LatencyHistogram()
  let corrected: LatencyHistogram | undefined
  let handshake: LatencyHistogram | undefined
  let sent = 0
  let ok = 0
  let failed = 0
  let userUs = 0
  let systemUs = 0
  let utilisation = 0
  let requestedRate: number | undefined
  const warnings: string[] = []
  summaries.forEach((s, i) => {
    const id = reports[i]!.id
    sent += s.sent
    ok += s.ok
    failed += s.failed
    addCounts(byKind, s.failures.byKind)
    addCounts(failedByStatus, s.failures.byStatus)
    addCounts(byBackend, s.byBackend)
    latency.add(decoded(s.histograms.latency))
    if (s.histograms.corrected !== undefined) (corrected ??= new LatencyHistogram()).add(decoded(s.histograms.corrected))
    if (s.histograms.handshake !== undefined) (handshake ??= new LatencyHistogram()).add(decoded(s.histograms.handshake))
    userUs += s.generatorCpu.userUs
    systemUs += s.generatorCpu.systemUs
    utilisation = Math.max(utilisation, s.generatorCpu.utilisation)
    if (s.requestedRate !== undefined) requestedRate = (requestedRate ?? 0) + s.requestedRate
    for (const w of s.warnings) warnings.push(`agent ${id}: ${w}`)
    const r = reports[i]!
    if (r.state !== 'ok') warnings.push(`agent ${id} (${r.where}) ${r.state === 'dead' ? 'died' : 'fell behind'}${r.reason === undefined ? '' : `: ${r.reason}`}; its ${s.sent} request(s) are counted${r.state === 'dead' ? ', those in flight as failed (aborted)' : ''}`)
  })
  const elapsedMs = Math.max(0, ...summaries.map((s) => s.elapsedMs))
  const summary: LoadSummary = {
    ...template,
    sent,
    ok,
    failed,
    failures: { byKind, byStatus: failedByStatus },
    byBackend,
    latencyUs: latency.summary(),
    ...(corrected === undefined ? {} : { correctedLatencyUs: corrected.summary() }),
    ...(handshake === undefined ? {} : { handshakeUs: handshake.summary() }),
    histograms: { latency: latency.encode(), ...(corrected === undefined ? {} : { corrected: corrected.encode() }), ...(handshake === undefined ? {} : { handshake: handshake.encode() }) },
    ...(requestedRate === undefined ? {} : { requestedRate }),
    achievedRate: elapsedMs > 0 ? sent / (elapsedMs / 1000) : 0,
    elapsedMs,
    timeseries: mergeIntervals(reports),
    // Utilisation is the busiest agent's: each agent has a core (or a node) of its own.
    generatorCpu: { userUs, systemUs, perRequestUs: sent === 0 ? 0 : (userUs + systemUs) / sent, utilisation },
    warnings,
  }
  const agents = reports.map((r, i): AgentBreakdown => {
    const s = summaries[i]!
    return { id: r.id, where: r.where, state: r.state, ...(r.reason === undefined ? {} : { reason: r.reason }), sent: s.sent, ok: s.ok, failed: s.failed, latencyUs: s.latencyUs, clockOffsetUs: r.clockOffsetUs, clockRttUs: r.clockRttUs }
  })
  return { summary, agents }
}

/** The merged time series: interval k of every agent added together (each agent's k starts at the one start instant). */
export function mergeIntervals(reports: readonly AgentReport[]): IntervalSample[] {
  const slots = new Map<number, { startMs: number; sent: number; ok: number; failed: number; latency: LatencyHistogram; byBackend: Record<string, number>; byStatus: Record<string, number> }>()
  for (const r of reports) {
    for (const { sample, histogram } of r.intervals) {
      const slot = slots.get(sample.startMs) ?? { startMs: sample.startMs, sent: 0, ok: 0, failed: 0, latency: new LatencyHistogram(), byBackend: {}, byStatus: {} }
      slot.sent += sample.sent
      slot.ok += sample.ok
      slot.failed += sample.failed
      slot.latency.add(decoded(histogram))
      addCounts(slot.byBackend, sample.byBackend)
      addCounts(slot.byStatus, sample.byStatus)
      slots.set(sample.startMs, slot)
    }
  }
  return [...slots.values()].sort((a, b) => a.startMs - b.startMs).map((s) => ({ startMs: s.startMs, sent: s.sent, ok: s.ok, failed: s.failed, latencyUs: s.latency.summary(), byBackend: s.byBackend, byStatus: s.byStatus }))
}
