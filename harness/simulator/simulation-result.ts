import type { RunResult, SimulationResult } from '../../reports/result/result-model.js'
import { fairnessOf } from '../runner/fairness.js'
import { compareAssignments, membershipChanges, remapResult } from '../runner/key-remap.js'
import { configuredShares, judgeExpectations, type JudgedRun } from '../scenario/expectations.js'
import { deriveFailover } from '../scenario/failover.js'
import type { ScenarioVariant } from '../scenario/load-scenario.js'
import type { Expectation, Scenario } from '../scenario/scenario-schema.js'
import { labelText } from '../scenario/matrix.js'
import { acrossBackends, fairness } from './fairness.js'
import type { SimModel } from './sim-model.js'
import type { SimulationOutcome } from './simulator.js'

/** What the result needs from around the simulation (the only non-virtual facts). */
export interface RunFacts {
  readonly repeat: number
  readonly startedAt: string
  /** Wall-clock time the run took, ms. */
  readonly wallMs: number
  /** layerbench's version: the simulator's. */
  readonly version: string
}

/** A short description of the arrival process, for the result. */
export function describeArrival(model: SimModel): string {
  const { load } = model
  if (load.closed !== undefined) return `closed ${load.closed.clients} client${load.closed.clients === 1 ? '' : 's'}${load.closed.paceUs > 0 ? `, paced to ${load.rate}/s` : ''}${load.closed.thinkUs > 0 ? `, think ${load.closed.thinkUs / 1000} ms` : ''}`
  const o = load.open!
  switch (o.kind) {
    case 'poisson':
    case 'constant':
      return `${o.kind} ${o.rate}/s`
    case 'bursty':
      return `bursty ${o.rate}/s mean (${o.onUs / 1000} ms on, ${o.offUs / 1000} ms off, ${o.within})`
    case 'replay':
      return `replay of ${o.offsetsUs.length} sends${o.speed === 1 ? '' : ` ×${o.speed}`}${o.loop ? ', looped' : ''}`
  }
}

/**
 * The result of one simulated run in the same model as a live run — summary, per-backend counts,
 * time series, events, failover, expectations — plus the `simulation` block (queues, utilisation,
 * fairness, hash disruption). Expectations are judged by the same code as live runs.
 */
export function simulationRunResult(v: ScenarioVariant, model: SimModel, outcome: SimulationOutcome, facts: RunFacts): RunResult {
  const s = v.scenario
  const rec = outcome.recorder
  const st = outcome.stations
  const measuredS = outcome.measuredUs / 1e6
  const backends: RunResult['backends'] = {}
  model.backends.forEach((b, i) => {
    if (outcome.everPresent[i] !== 1) return
    backends[b.id] = { group: b.group, requests: rec.byBackend[i]!, served: st.servedOf(i) }
  })
  const groups: RunResult['groups'] = {}
  for (const b of Object.values(backends)) (groups[b.group] ??= { requests: 0, share: 0 }).requests += b.requests
  for (const g of Object.values(groups)) g.share = rec.ok === 0 ? 0 : g.requests / rec.ok

  const corrected = rec.corrected?.summary()
  const handshake = rec.handshake?.summary()
  const measured: JudgedRun = {
    summary: {
      rps: measuredS > 0 ? rec.sent / measuredS : 0,
      ...(model.load.rate === undefined ? {} : { requestedRate: model.load.rate }),
      requests: { sent: rec.sent, ok: rec.ok, failed: rec.failed, failures: { byKind: { ...rec.byKind }, byStatus: { ...rec.failedByStatus } } },
      latencyUs: rec.latency.summary(),
      ...(corrected === undefined ? {} : { correctedLatencyUs: corrected }),
      ...(handshake === undefined ? {} : { handshakeUs: handshake }),
    },
    backends,
    groups,
    failover: s.timeline.length > 0 ? deriveFailover(rec.timeseries, outcome.events) : [],
    ...(outcome.routing === undefined ? {} : { routing: outcome.routing }),
    // As a live run: over every backend of the run, those that were ever in service.
    ...(outcome.sticky === undefined ? {} : { sticky: outcome.sticky.result(Object.keys(backends), (b) => model.backends[b]!.id) }),
  }
  const shares = configuredShares(s.expect, v.label, backends)
  const warnings = [...model.notes, ...outcome.warnings]
  const fairness = fairnessOf(Object.values(backends).map((b) => b.requests))
  const remap = keyRemap(s.timeline, model, outcome)
  // What backends report of the data path is not simulated: such expectations are left unjudged
  // (and said so) rather than failed.
  const judgeable = s.expect.filter((e) => !unjudgeable(e))
  for (const e of s.expect.filter(unjudgeable)) warnings.push(`not judged in simulation (the simulator does not model it): ${e.name ?? Object.keys(e).find((k) => k !== 'name' && k !== 'when')}`)
  const load: RunResult['load'] = {
    generator: 'simulator',
    protocol: s.load.protocol ?? (model.layer === 7 ? 'http' : model.protocol === 'udp' ? 'udp' : 'tcp'),
    mode: model.load.mode,
    connections: model.load.closed?.clients ?? (Number.isFinite(model.load.connections) ? model.load.connections : 0),
    ...(model.load.rate === undefined ? {} : { rate: model.load.rate }),
    durationMs: outcome.measuredUs / 1000,
    warmupMs: model.load.warmupUs / 1000,
  }
  const judged: JudgedRun = {
    ...measured,
    load,
    timeseries: rec.timeseries,
    ...(fairness === undefined ? {} : { fairness }),
    ...(remap === undefined ? {} : { remap }),
  }
  if (rec.sent !== rec.ok + rec.failed) warnings.push(`accounting: sent ${rec.sent} ≠ ok ${rec.ok} + failed ${rec.failed}`)
  if (st.n > model.perBackendSeries) warnings.push(`${st.n} backends: per-backend counts per interval are kept up to ${model.perBackendSeries} backends (simulation.perBackendSeries)`)
  return {
    id: `${labelText(v.label) || 'run'} #${facts.repeat}`,
    variant: v.label,
    repeat: facts.repeat,
    balancer: { implementation: 'simulator', version: facts.version, layer: model.layer, protocol: model.protocol },
    provider: 'simulator',
    load,
    startedAt: facts.startedAt,
    durationMs: facts.wallMs,
    ...measured,
    ...(shares === undefined ? {} : { configuredShares: shares }),
    ...(fairness === undefined ? {} : { fairness }),
    ...(remap === undefined ? {} : { remap }),
    timeseries: rec.timeseries,
    events: outcome.events,
    failover: measured.failover,
    cpu: balancerCpu(outcome.balancer),
    machine: { steal: 0, busy: 0, heavySteal: false },
    expectations: judgeExpectations(judgeable, v.label, judged),
    warnings: [...new Set(warnings)],
    histograms: {
      latency: rec.latency.encode(),
      ...(rec.corrected === undefined ? {} : { corrected: rec.corrected.encode() }),
      ...(rec.handshake === undefined ? {} : { handshake: rec.handshake.encode() }),
    },
    simulation: simulationBlock(model, outcome, facts),
  }
}

/** CPU as a live run reports it: only the balancer's, when its CPU is modelled. */
function balancerCpu(b: SimulationOutcome['balancer']): RunResult['cpu'] {
  const perRequest = b === undefined || b.served === 0 ? null : b.busyUs / b.served
  return { balancerUs: b === undefined ? null : b.busyUs, backendsUs: null, generatorUs: 0, perRequestUs: { balancer: perRequest, backends: null, generator: 0 } }
}

function simulationBlock(model: SimModel, outcome: SimulationOutcome, facts: RunFacts): SimulationResult {
  const rec = outcome.recorder
  const st = outcome.stations
  const span = Math.max(outcome.accountedUs, 1e-9)
  const queue: number[] = []
  const inService: number[] = []
  const utilisation: number[] = []
  const perRequest: number[] = []
  const perBackend: NonNullable<SimulationResult['perBackend']> = {}
  const keepPerBackend = st.n <= model.perBackendSeries
  model.backends.forEach((b, i) => {
    if (outcome.everPresent[i] !== 1) return
    const q = rec.totalQueueArea[i]! / span
    const s = rec.totalBusyArea[i]! / span
    const u = Number.isFinite(b.servers) ? s / b.servers : null
    queue.push(q)
    inService.push(s)
    if (u !== null) utilisation.push(u)
    if (b.weight > 0) perRequest.push(rec.byBackend[i]! / b.weight)
    if (keepPerBackend) perBackend[b.id] = { queue: q, maxQueue: rec.maxQueue[i]!, inService: s, utilisation: u }
  })
  return {
    seed: model.seed,
    requests: outcome.requests,
    events: outcome.eventsProcessed,
    virtualMs: outcome.virtualUs / 1000,
    wallMs: facts.wallMs,
    arrival: describeArrival(model),
    backends: queue.length,
    queue: acrossBackends(queue),
    inService: acrossBackends(inService),
    utilisation: utilisation.length === 0 ? null : acrossBackends(utilisation),
    fairness: fairness(perRequest),
    ...(keepPerBackend ? { perBackend } : {}),
    timeseries: rec.stationSeries.map((x) => ({ ...x })),
    disruption: outcome.disruptions.map((d) => ({ ...d })),
    ...(outcome.balancer === undefined ? {} : { balancer: { cores: outcome.balancer.cores, utilisation: outcome.balancer.utilisation, queue: outcome.balancer.queue, maxQueue: outcome.balancer.maxQueue } }),
  }
}

/** Expectations about what the simulator does not model: what backends see. */
function unjudgeable(e: Expectation): boolean {
  return 'backendSees' in e
}

/**
 * Keys (the load's clients) that changed backend at each remove-/add-backend of the timeline, as
 * a live run reports them (`harness/runner/key-remap.ts`): each key's backend from its last answer
 * before the change against its last answer after it, before the next.
 */
function keyRemap(timeline: Scenario['timeline'], model: SimModel, outcome: SimulationOutcome): RunResult['remap'] {
  const epochs = outcome.keyEpochs
  if (epochs === undefined) return undefined
  const initial = model.backends.filter((b) => b.present).map((b) => b.id)
  const changes = membershipChanges(timeline, initial)
  const assignment = (epoch: Int32Array | undefined) => {
    const out = new Map<number, string>()
    epoch?.forEach((b, key) => {
      if (b >= 0) out.set(key, model.backends[b]!.id)
    })
    return out
  }
  return changes.map((c, i) => remapResult({ atMs: c.atMs, change: c.change }, compareAssignments(assignment(epochs[i]), assignment(epochs[i + 1]), c)))
}
