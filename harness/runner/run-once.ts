import type { LbConfig } from '../../engine/config/lb-config.js'
import type { EngineEvent } from '../../engine/runtime/event-log.js'
import type { EngineStats } from '../../engine/stats/engine-stats.js'
import type { BackendSeen, BackendService, IntervalResult, RunEvent, RunResult } from '../../reports/result/result-model.js'
import { mergeServiceTimes, serviceWarnings, type ServiceTimeSnapshot } from '../backend/service-times.js'
import { createDistributedGenerator, type DistributedSummary } from '../load/distributed/distributed-generator.js'
import { generatorFor } from '../load/index.js'
import { bottleneckWarning, runBottleneck } from '../../reports/result/bottleneck.js'
import type { ClientAbortPoint, GrpcCallShape, IntervalSample, LoadPlan, LoadProtocol, LoadSummary } from '../load/load-types.js'
import type { BackendProvider, BackendSpec, RunningBackend } from '../providers/index.js'
import { configuredShares, judgeExpectations } from '../scenario/expectations.js'
import { deriveFailover } from '../scenario/failover.js'
import type { ScenarioVariant } from '../scenario/load-scenario.js'
import { labelText } from '../scenario/matrix.js'
import { poolGroups, poolPortKind, resolveBalancer, type BackendEndpoint } from '../scenario/resolve-balancer.js'
import type { Scenario } from '../scenario/scenario-schema.js'
import { splitArmsOf } from '../scenario/split-arms.js'
import { cpuUsage, readCpuTimes } from '../system/cpu-stat.js'
import type { RunningBalancer } from './balancer-process.js'
import { clientAddresses, warmupPlan } from './client-addresses.js'
import { requestPlan } from './request-mix.js'
import { fairnessOf } from './fairness.js'
import { KeyAssignments, membershipChanges, withEffectTimes } from './key-remap.js'
import { createRunPki, withRunCertificates } from './run-ca.js'
import { scheduleTimeline, type TimelineContext } from './timeline.js'
import { withFreeTargetPorts } from './target-ports.js'
import { TrafficChecks } from './traffic-checks.js'
import type { ProgressSink } from './run-progress.js'
import { skippedRun } from '../../reports/result/skipped-run.js'
import type { ExternalSpec } from '../peers/external/external-schema.js'
import type { PeerStats } from '../peers/peer-stats.js'

/** Starts the balancer under test for a resolved configuration, or says why it cannot run. */
export type BalancerStarter = (implementation: RunningBalancer['implementation'], config: LbConfig, dir: string, external?: ExternalSpec) => Promise<RunningBalancer | { skipped: string }>

/** What a run needs from around it. */
export interface RunContext {
  readonly provider: BackendProvider
  readonly startBalancer: BalancerStarter
  /** A scratch directory for this scenario's files. */
  readonly dir: string
  readonly log: (line: string) => void
  readonly signal?: AbortSignal
  /** Where the run's progress goes (its start, the measured phase, each interval). */
  readonly onProgress?: ProgressSink
  /**
   * A client-abort fault (the soak's): where client `client` abandons request `index` sent `atMs`
   * into the measured phase, or undefined to let it run. HTTP with the layerbench generator only.
   */
  readonly clientAbort?: (atMs: number, client: number, index: number) => ClientAbortPoint | undefined
}

/** CPU steal above this share marks a run as measured on a noisy host. */
export const HEAVY_STEAL = 0.1
/** How often the balancer's events are fetched during a run. */
const EVENT_POLL_MS = 200

const epochUs = () => (performance.timeOrigin + performance.now()) * 1000

/** A scenario's gRPC call as the generator takes it. */
function grpcCallOf(g: { path?: string | undefined; messageBase64?: string | undefined }): GrpcCallShape {
  return { ...(g.path === undefined ? {} : { path: g.path }), ...(g.messageBase64 === undefined ? {} : { message: Buffer.from(g.messageBase64, 'base64') }) }
}

/** The load protocol a listener implies when the scenario does not say. */
export function defaultProtocol(listenerProtocol: string): LoadProtocol {
  return listenerProtocol === 'https' || listenerProtocol === 'tls' ? 'https' : listenerProtocol === 'udp' ? 'udp' : 'http'
}

/** A group's maximum connection age as the provider takes it. */
function connectionAgeOf(g: { connectionAge?: { max: number; grace: number } | undefined }): Pick<BackendSpec, 'connectionAge'> {
  return g.connectionAge === undefined ? {} : { connectionAge: { maxMs: g.connectionAge.max, graceMs: g.connectionAge.grace } }
}

/** Instance `index` of backend group `group`, as the provider starts it. */
function backendSpec(s: Scenario, pki: Awaited<ReturnType<typeof createRunPki>>, group: string, index: number, seed: number): BackendSpec {
  const g = s.backends[group]!
  return {
    id: `${group}-${index}`,
    group,
    protocols: g.protocols,
    ...(g.protocols.includes('https') ? { tls: pki.backend } : {}),
    proxyProtocol: g.proxyProtocol,
    ...connectionAgeOf(g),
    behaviour: g.behaviour,
    seed,
    ...(g.limits === undefined ? {} : { limits: g.limits }),
  }
}

function backendSpecs(s: Scenario, pki: Awaited<ReturnType<typeof createRunPki>>): BackendSpec[] {
  let n = 0
  return Object.entries(s.backends).flatMap(([group, g]) => Array.from({ length: g.count }, (_, i) => backendSpec(s, pki, group, i, s.seed * 1000 + n++)))
}

function endpointOf(b: RunningBackend, weight: number): BackendEndpoint {
  return { id: b.spec.id, group: b.spec.group, host: b.host, ports: b.ports, weight }
}

/** CPU used so far by each backend, µs (undefined where it cannot be read). */
async function cpuByBackend(backends: readonly RunningBackend[]): Promise<Map<string, number | undefined>> {
  return new Map(await Promise.all(backends.map(async (b) => [b.spec.id, await b.cpuUs()] as const)))
}

function sum(values: Iterable<number | undefined>): number | undefined {
  let total = 0
  for (const v of values) {
    if (v === undefined) return undefined
    total += v
  }
  return total
}

/** Waits until every pool with active checks has a ready backend (engine), so the run starts steady. */
async function waitReady(balancer: RunningBalancer, deadlineMs: number): Promise<void> {
  const until = performance.now() + deadlineMs
  for (;;) {
    const stats = await balancer.stats()
    if (stats === undefined || stats.pools.every((p) => p.readyBackends > 0)) return
    if (performance.now() > until) return
    await new Promise((r) => setTimeout(r, 50))
  }
}

function intervals(summary: LoadSummary, intervalMs: number): IntervalResult[] {
  return summary.timeseries.map((s) => ({
    tMs: s.startMs,
    durationMs: intervalMs,
    rps: s.sent / (intervalMs / 1000),
    sent: s.sent,
    ok: s.ok,
    failed: s.failed,
    latencyUs: s.latencyUs,
    byBackend: s.byBackend,
    byStatus: s.byStatus,
  }))
}

/** How evenly requests spread over the run's backends (`fairness`), when any were answered. */
function spread(backends: RunResult['backends']): Pick<RunResult, 'fairness'> {
  const f = fairnessOf(Object.values(backends).map((b) => b.requests))
  return f === undefined ? {} : { fairness: f }
}

/** A run's name in results and progress: its variant and repeat. */
function runId(v: ScenarioVariant, repeat: number): string {
  return `${labelText(v.label) || 'run'} #${repeat}`
}

/** A run that could not happen, with its reason and no measurements. */
function skippedVariant(v: ScenarioVariant, repeat: number, implementation: RunResult['balancer']['implementation'], provider: RunResult['provider'], reason: string): RunResult {
  const s = v.scenario
  return skippedRun(
    {
      id: runId(v, repeat),
      variant: v.label,
      repeat,
      balancer: { implementation, version: '', layer: 7, protocol: '' },
      provider,
      load: { generator: s.load.generator, protocol: s.load.protocol ?? '', mode: s.load.mode, connections: s.load.connections, durationMs: s.load.duration, warmupMs: s.load.warmup },
      startedAt: new Date().toISOString(),
    },
    reason,
  )
}

/**
 * One run of one variant: fresh backends and a fresh balancer, a warm-up, then the measured
 * phase with the timeline, the balancer's events and CPU accounting of every party; everything
 * is stopped again before it returns, whatever happened.
 */
export async function runOnce(v: ScenarioVariant, repeat: number, ctx: RunContext): Promise<RunResult> {
  const s = v.scenario
  const startedAt = new Date().toISOString()
  const started = performance.now()
  const warnings: string[] = []
  const id = runId(v, repeat)
  ctx.onProgress?.({ type: 'run-start', scenario: s.name, run: id, warmupMs: s.load.warmup, durationMs: s.load.duration, atMs: started })
  const pki = await createRunPki(s.balancer)
  // A listener another listener's pool sends to needs its port before the balancer starts.
  const section = await withFreeTargetPorts(await withRunCertificates(s.balancer, pki))
  const specs = backendSpecs(s, pki)
  const instances = new Map<string, RunningBackend[]>()
  let balancer: RunningBalancer | undefined
  try {
    const backends = await ctx.provider.start(specs, ctx.signal)
    for (const b of backends) instances.set(b.spec.group, [...(instances.get(b.spec.group) ?? []), b])
    const all = () => [...instances.values()].flat()
    const endpoints = backends.map((b) => endpointOf(b, s.backends[b.spec.group]!.weight))
    const config = resolveBalancer(section, endpoints, `${s.name} balancer`)
    const started_ = await ctx.startBalancer(section.implementation, config, ctx.dir, section.external)
    if ('skipped' in started_) return skippedVariant(v, repeat, section.implementation, ctx.provider.kind, started_.skipped)
    balancer = started_
    await waitReady(balancer, 10_000)

    const listenerName = s.load.listener ?? section.listeners[0]!.name
    const listener = balancer.listeners.get(listenerName)
    if (listener === undefined) throw new Error(`the balancer did not report listener ${listenerName}`)
    const protocol = s.load.protocol ?? defaultProtocol(listener.protocol)
    const groupOf = new Map(endpoints.map((e) => [e.id, e.group]))
    const requests = requestPlan(s.load, s.seed)
    const checks = new TrafficChecks((id) => groupOf.get(id), requests.expectedGroups)
    const sni = s.load.request.host ?? section.listeners.find((l) => l.name === listenerName)?.sni?.[0]?.serverNames[0]?.replace(/^\*\./, 'www.')
    const plan: LoadPlan = {
      protocol,
      target: { host: listener.host, port: listener.port, ca: pki.ca.cert, ...(sni === undefined ? {} : { serverName: sni }) },
      mode: s.load.mode,
      connections: s.load.connections,
      ...(s.load.mode === 'open' ? { rate: s.load.rate! } : {}),
      durationMs: s.load.duration,
      ...(s.load.maxRequests === undefined ? {} : { maxRequests: s.load.maxRequests }),
      newConnectionPerRequest: s.load.newConnectionPerRequest,
      timeoutMs: s.load.timeout,
      intervalMs: s.load.intervalMs,
      tcpPayload: s.load.tcpPayload,
      udpPayloadBytes: s.load.udpPayloadBytes,
      seed: s.seed,
      ...(protocol === 'http' || protocol === 'https' || protocol === 'h2' ? { http: requests.base } : {}),
      ...(s.load.streamsPerConnection === undefined ? {} : { streamsPerConnection: s.load.streamsPerConnection }),
      ...(s.load.grpc === undefined ? {} : { grpc: grpcCallOf(s.load.grpc) }),
      ...(requests.requestFor === undefined ? {} : { requestFor: requests.requestFor, mix: requests.mix }),
      ...(s.load.cookies ? { cookies: true } : {}),
      ...(s.load.clients > 1 ? { localAddresses: clientAddresses(s.load.clients) } : {}),
    }
    // Several agents (`load.agents`): processes of their own, merged into one summary.
    const generator = s.load.agents > 1 ? createDistributedGenerator({ agents: s.load.agents, log: ctx.log }) : generatorFor(s.load.generator)
    // Load agents check a mix's routing themselves and send tallies back (`mixAnswers`): no per-response callback then.
    const clientFeatures = (requests.requestFor !== undefined && s.load.agents <= 1) || s.load.cookies || s.load.clients > 1
    if (s.load.warmup > 0) await generator.run(warmupPlan(plan, s.load.warmup), ctx.signal)

    // The measured phase: t = 0 is now for the timeline, the events and the time series.
    const t0 = performance.now()
    const t0Us = epochUs()
    ctx.onProgress?.({ type: 'measuring', atMs: t0 })
    const events: RunEvent[] = []
    const nowMs = () => performance.now() - t0
    const toEvent = (e: EngineEvent): RunEvent => ({
      tMs: (e.atUs - t0Us) / 1000,
      source: 'balancer',
      type: e.type,
      ...(e.backend === undefined ? {} : { target: e.backend }),
      ...(e.detail === undefined && e.pool === undefined ? {} : { detail: [e.pool && `pool ${e.pool}`, e.detail].filter(Boolean).join(': ') }),
    })
    await balancer.pollEvents() // everything before t = 0 is start-up
    const cpuBefore = { balancer: balancer.cpuUs(), backends: await cpuByBackend(all()), machine: readCpuTimes() }
    const timelineCtx: TimelineContext = {
      balancer,
      instances: (g) => instances.get(g) ?? [],
      poolsOf: (g) => Object.keys(section.pools).filter((p) => poolGroups(section, p).groups.includes(g)).map((pool) => ({ pool, port: poolPortKind(section, pool) })),
      backendId: (g, i) => `${g}-${i}`,
      addInstance: async (g) => {
        const index = (instances.get(g) ?? []).length
        const [b] = await ctx.provider.start([backendSpec(s, pki, g, index, s.seed * 1000 + 500 + index)])
        instances.set(g, [...(instances.get(g) ?? []), b!])
        groupOf.set(b!.spec.id, g)
        return b!
      },
      weightOf: (g) => s.backends[g]!.weight,
      splitArms: (route, g) => splitArmsOf(section, route, g),
      nowMs,
      record: (e) => events.push(e),
      warn: (m) => warnings.push(m),
    }
    const timeline = scheduleTimeline(s.timeline, timelineCtx)
    const poller = setInterval(() => {
      balancer!.pollEvents().then(
        (es) => events.push(...es.map(toEvent)),
        () => {},
      )
    }, EVENT_POLL_MS)
    // Keys (clients) and their backends between membership changes, for `remap`.
    const changes = membershipChanges(s.timeline, all().map((b) => b.spec.id))
    const keys = changes.length > 0 && (s.load.cookies || s.load.clients > 1) ? new KeyAssignments(nowMs) : undefined
    const onResponse: LoadPlan['onResponse'] =
      keys === undefined
        ? checks.onResponse
        : (r) => {
            checks.onResponse(r)
            if (r.ok && r.backend !== undefined) keys.record(r.client, r.backend)
          }
    let summary: LoadSummary
    try {
      const progress = ctx.onProgress
      const onSample =
        progress === undefined
          ? undefined
          : (i: IntervalSample) => progress({ type: 'sample', sent: i.sent, failed: i.failed, untilMs: i.startMs + s.load.intervalMs, atMs: performance.now() })
      const clientAbort = ctx.clientAbort
      const aborts = clientAbort === undefined ? {} : { clientAbort: (client: number, index: number) => clientAbort(nowMs(), client, index) }
      summary = await generator.run({ ...plan, warmupMs: 0, ...(clientFeatures ? { onResponse } : {}), ...aborts }, ctx.signal, onSample)
    } finally {
      timeline.stop()
      clearInterval(poller)
    }
    await timeline.settled()
    const mixAnswers = (summary as Partial<DistributedSummary>).mixAnswers
    if (mixAnswers !== undefined && requests.expectedOfEntry !== undefined) for (const a of mixAnswers) checks.addAnswers(requests.expectedOfEntry(a.entry), a.backend, a.count)
    events.push(...(await balancer.pollEvents()).map(toEvent))
    events.sort((a, b) => a.tMs - b.tMs)
    const cpuAfter = { balancer: balancer.cpuUs(), backends: await cpuByBackend(all()), machine: readCpuTimes() }
    const memory = new Map(await Promise.all(all().map(async (b) => [b.spec.id, (await b.stats().catch(() => ({}) as { memoryBytes?: number })).memoryBytes] as const)))
    // A backend added during the run counts from zero.
    const backendCpu = new Map([...cpuAfter.backends].map(([id, after]) => [id, after === undefined ? undefined : after - (cpuBefore.backends.has(id) ? (cpuBefore.backends.get(id) ?? after) : 0)]))
    const stats: EngineStats | undefined = await balancer.stats()
    // A peer's own statistics; a peer that cannot answer leaves the run without them, with the reason.
    let peerStats: PeerStats | undefined
    if (stats === undefined && balancer.metrics !== undefined) {
      try {
        peerStats = await balancer.metrics()
      } catch (e) {
        warnings.push(`${balancer.implementation}'s own statistics could not be read: ${(e as Error).message}`)
      }
    }
    const served = new Map<string, number>()
    const seen = new Map<string, BackendSeen>()
    const service = new Map<string, ServiceTimeSnapshot>()
    await Promise.all(
      all().map(async (b) => {
        try {
          const st = (await b.state()) as { served?: { http?: { requests?: number }; grpc?: { requests?: number }; tcp?: { requests?: number }; udp?: { datagrams?: number } }; seen?: BackendSeen; service?: ServiceTimeSnapshot }
          served.set(b.spec.id, (st.served?.http?.requests ?? 0) + (st.served?.grpc?.requests ?? 0) + (st.served?.tcp?.requests ?? 0) + (st.served?.udp?.datagrams ?? 0))
          if (st.seen !== undefined) seen.set(b.spec.id, st.seen)
          if (st.service !== undefined) service.set(b.spec.id, st.service)
        } catch {
          // A backend killed and not restarted cannot say; its traffic is still counted by the generator.
        }
      }),
    )

    const sent = summary.sent
    const elapsedS = summary.elapsedMs / 1000
    const ts = intervals(summary, s.load.intervalMs)
    const backendsResult: RunResult['backends'] = {}
    for (const b of all()) {
      const cpuUs = backendCpu.get(b.spec.id)
      const memoryBytes = memory.get(b.spec.id)
      backendsResult[b.spec.id] = {
        group: b.spec.group,
        requests: summary.byBackend[b.spec.id] ?? 0,
        ...(served.has(b.spec.id) ? { served: served.get(b.spec.id)! } : {}),
        ...(cpuUs === undefined ? {} : { cpuUs }),
        ...(memoryBytes === undefined ? {} : { memoryBytes }),
        ...(seen.has(b.spec.id) ? { seen: seen.get(b.spec.id)! } : {}),
        ...serviceOf(service.get(b.spec.id)),
      }
    }
    for (const [id, n] of Object.entries(summary.byBackend)) backendsResult[id] ??= { group: groupOf.get(id) ?? 'unknown', requests: n }
    const groups: RunResult['groups'] = {}
    for (const [id, b] of Object.entries(backendsResult)) {
      const g = (groups[b.group] ??= { requests: 0, share: 0 })
      g.requests += b.requests
      void id
    }
    for (const g of Object.values(groups)) g.share = summary.ok === 0 ? 0 : g.requests / summary.ok
    const machine = cpuBefore.machine !== undefined && cpuAfter.machine !== undefined ? cpuUsage(cpuBefore.machine, cpuAfter.machine) : undefined
    const balancerUs = cpuBefore.balancer !== undefined && cpuAfter.balancer !== undefined ? cpuAfter.balancer - cpuBefore.balancer : null
    const backendsUs = sum(backendCpu.values()) ?? null
    const generatorUs = summary.generatorCpu.userUs + summary.generatorCpu.systemUs
    if (machine !== undefined && machine.steal > HEAVY_STEAL) warnings.push(`CPU steal was ${(machine.steal * 100).toFixed(1)}% of CPU time: this run was measured on a noisy host`)
    const aborted = summary.clientAborts?.total ?? 0
    if (summary.sent !== summary.ok + summary.failed + aborted) warnings.push(`accounting: sent ${summary.sent} ≠ ok ${summary.ok} + failed ${summary.failed}${aborted === 0 ? '' : ` + aborted by the clients ${aborted}`}`)
    const backendService = mergeServiceTimes([...service.values()])
    warnings.push(...summary.warnings, ...serviceWarnings(backendService), ...ctx.provider.warnings)
    const loaded = stats?.listeners.find((l) => l.name === listenerName)
    const load: RunResult['load'] = {
      generator: generator.name,
      protocol,
      mode: s.load.mode,
      connections: s.load.connections,
      ...(s.load.rate === undefined ? {} : { rate: s.load.rate }),
      durationMs: s.load.duration,
      warmupMs: s.load.warmup,
      ...(plan.localAddresses === undefined ? {} : { clientAddresses: [...plan.localAddresses] }),
      ...('agents' in summary ? { agents: [...(summary as DistributedSummary).agents] } : {}),
    }
    const measured = {
      summary: {
        rps: elapsedS > 0 ? sent / elapsedS : 0,
        ...(summary.requestedRate === undefined ? {} : { requestedRate: summary.requestedRate }),
        requests: {
          sent,
          ok: summary.ok,
          failed: summary.failed,
          failures: summary.failures,
          ...(summary.clientAborts === undefined ? {} : { clientAborts: summary.clientAborts }),
          ...(summary.grpcStatus === undefined ? {} : { grpcStatus: summary.grpcStatus }),
        },
        latencyUs: summary.latencyUs,
        ...(summary.correctedLatencyUs === undefined ? {} : { correctedLatencyUs: summary.correctedLatencyUs }),
        ...(summary.handshakeUs === undefined ? {} : { handshakeUs: summary.handshakeUs }),
        ...(summary.sendLagUs === undefined ? {} : { sendLagUs: summary.sendLagUs }),
      },
      backends: backendsResult,
      ...(backendService === undefined ? {} : { backendService }),
      groups,
      failover: s.timeline.length > 0 ? deriveFailover(ts, events) : [],
      ...(s.load.cookies || s.load.clients > 1 ? { sticky: checks.sticky(all().map((b) => b.spec.id)) } : {}),
      ...(requests.expectedGroups === undefined ? {} : { routing: checks.routing() }),
      ...spread(backendsResult),
      ...(keys === undefined ? {} : { remap: keys.results(withEffectTimes(changes, events)) }),
    }
    const shares = configuredShares(s.expect, v.label, backendsResult)
    const cpu: RunResult['cpu'] = {
      balancerUs,
      backendsUs,
      generatorUs,
      perRequestUs: { balancer: balancerUs === null || sent === 0 ? null : balancerUs / sent, backends: backendsUs === null || sent === 0 ? null : backendsUs / sent, generator: sent === 0 ? 0 : generatorUs / sent },
    }
    const machineResult: RunResult['machine'] = {
      steal: machine?.steal ?? 0,
      busy: machine?.busy ?? 0,
      ...(machine === undefined || machine.spanCpuSeconds === 0 ? {} : { foreign: Math.max(0, machine.busy - ((balancerUs ?? 0) + (backendsUs ?? 0) + generatorUs) / 1e6 / machine.spanCpuSeconds) }),
      heavySteal: (machine?.steal ?? 0) > HEAVY_STEAL,
    }
    const bottleneck = runBottleneck({ summary: measured.summary, cpu, backends: backendsResult, machine: machineResult, load })
    const bottleneckWarned = bottleneck === undefined ? undefined : bottleneckWarning(bottleneck)
    if (bottleneckWarned !== undefined) warnings.push(bottleneckWarned)
    return {
      id,
      variant: v.label,
      repeat,
      balancer: { implementation: balancer.implementation, ...(balancer.name === undefined ? {} : { name: balancer.name }), version: balancer.version, layer: listener.layer, protocol: listener.protocol },
      provider: ctx.provider.kind,
      load,
      startedAt,
      durationMs: performance.now() - started,
      ...measured,
      ...(shares === undefined ? {} : { configuredShares: shares }),
      timeseries: ts,
      events,
      cpu,
      machine: machineResult,
      ...(bottleneck === undefined ? {} : { bottleneck }),
      ...(loaded === undefined ? {} : { engineTimeUs: loaded.engineTimeUs, observed: { source: 'engine /stats', connections: loaded.connections.total, requests: loaded.requests, responses: { ...loaded.responses } } }),
      ...observedByPeer(peerStats, listenerName),
      expectations: judgeExpectations(s.expect, v.label, { ...measured, load, timeseries: ts }),
      warnings: [...new Set(warnings)],
      histograms: summary.histograms,
    }
  } finally {
    await balancer?.stop()
    await ctx.provider.stopAll()
  }
}

/** A backend's `service` for the result: only when it held a request, without its histogram. */
function serviceOf(snapshot: ServiceTimeSnapshot | undefined): { service?: BackendService } {
  if (snapshot === undefined || snapshot.holds === 0) return {}
  const { histogram: _histogram, ...service } = snapshot
  return { service }
}

/** A peer's own statistics as result fields: its listener's counts as `observed`, the rest as `peerCounters`. */
function observedByPeer(stats: PeerStats | undefined, listener: string): Pick<RunResult, 'observed' | 'peerCounters'> {
  if (stats === undefined) return {}
  const seen = stats.listeners[listener]
  return {
    ...(seen === undefined ? {} : { observed: { source: stats.source, connections: seen.connections, requests: seen.requests, responses: { ...seen.responses } } }),
    ...(Object.keys(stats.counters).length === 0 ? {} : { peerCounters: { ...stats.counters } }),
  }
}

