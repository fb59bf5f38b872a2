import { PEER_NAMES } from '../../harness/peers/peer-names.js'
import type { ResultFile } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs } from '../render/format.js'
import { errorRate, expectationTally, medianOf, runsWhere, scenarioResult, type VariantMatch } from './measured-runs.js'

/** What this run says about a claim. `not measured` when the suite did not run what it needs. */
export type ClaimVerdict = 'holds' | 'holds with nuance' | 'does not hold here' | 'not measured'

/** A claim of the L4-vs-L7 literature beside what this run measured. */
export interface ClaimOutcome {
  readonly id: string
  /** The claim, as the reference articles make it. */
  readonly claim: string
  /** The scenario that measures it (its report is linked). */
  readonly scenario: string
  readonly verdict: ClaimVerdict
  /** The figures, as measured here. */
  readonly measured: string
  /** Why the verdict, in a sentence. */
  readonly why: string
}

/** A claim and how to judge it from a suite's results. Pure. */
export interface ClaimDefinition {
  readonly id: string
  readonly claim: string
  readonly scenario: string
  judge(result: ResultFile): Omit<ClaimOutcome, 'id' | 'claim' | 'scenario'>
}

const notMeasured = (what: string) => ({ verdict: 'not measured' as const, measured: '—', why: what })
const p50 = (r: { summary: { latencyUs: { p50: number } } }) => r.summary.latencyUs.p50
const lbCpu = (r: { cpu: { perRequestUs: { balancer: number | null } } }) => r.cpu.perRequestUs.balancer
const rps = (r: { summary: { rps: number } }) => r.summary.rps

/** Latency the engine adds over direct at one layer, at the fixed moderate rate, keep-alive. */
function addedP50(result: ResultFile, balancer: string, layer: string): number | undefined {
  const at: VariantMatch = { load: 'fixed-rate', connection: 'keep-alive' }
  const direct = medianOf(runsWhere(result, { ...at, balancer: 'direct' }), p50)
  const through = medianOf(runsWhere(result, { ...at, balancer, layer }), p50)
  return direct === undefined || through === undefined ? undefined : through - direct
}

/** A ratio judged against a margin: above 1 + margin holds, within it is a nuance, below does not hold. */
function byRatio(ratio: number, margin: number): ClaimVerdict {
  return ratio > 1 + margin ? 'holds' : ratio >= 1 - margin ? 'holds with nuance' : 'does not hold here'
}

/** Every claim the claims page checks, in reading order. */
export const claimDefinitions: readonly ClaimDefinition[] = [
  {
    id: 'latency-added',
    claim: 'Layer 4 adds microseconds of latency; layer 7 adds milliseconds.',
    scenario: 'l4-vs-l7',
    judge(result) {
      const l4 = addedP50(result, 'engine', 'l4')
      const l7 = addedP50(result, 'engine', 'l7')
      if (l4 === undefined || l7 === undefined) return notMeasured('needs the engine at L4 and L7 and the direct baseline at the fixed rate with keep-alive')
      const peers = PEER_NAMES
        .map((p) => [p, addedP50(result, p, 'l4'), addedP50(result, p, 'l7')] as const)
        .filter(([, a, b]) => a !== undefined && b !== undefined)
        .map(([p, a, b]) => `${p} ${formatUs(a)} / ${formatUs(b)}`)
      const measured = `added p50 over direct, L4 / L7: engine ${formatUs(l4)} / ${formatUs(l7)}${peers.length > 0 ? `; ${peers.join('; ')}` : ''}`
      if (l4 < 1000 && l7 >= 1000) return { verdict: 'holds', measured, why: 'L4 stays under a millisecond and L7 adds a millisecond or more' }
      if (l7 > l4 && l7 < 1000) return { verdict: 'holds with nuance', measured, why: `L7 adds ${(l7 / Math.max(l4, 1)).toFixed(1)}× what L4 adds, but both stay in microseconds on a keep-alive path` }
      if (l7 > l4) return { verdict: 'holds with nuance', measured, why: 'L7 adds more than L4, but L4 too adds a millisecond or more here' }
      return { verdict: 'does not hold here', measured, why: 'L7 did not add more latency than L4' }
    },
  },
  {
    id: 'throughput',
    claim: 'Layer 4 is faster: it sustains more requests per second than layer 7.',
    scenario: 'l4-vs-l7',
    judge(result) {
      const at: VariantMatch = { load: 'max', connection: 'keep-alive', balancer: 'engine' }
      const l4 = medianOf(runsWhere(result, { ...at, layer: 'l4' }), rps)
      const l7 = medianOf(runsWhere(result, { ...at, layer: 'l7' }), rps)
      if (l4 === undefined || l7 === undefined || l7 === 0) return notMeasured('needs the engine at L4 and L7 under maximum (closed-loop) load with keep-alive')
      const ratio = l4 / l7
      const measured = `engine at max load: L4 ${formatCount(l4)} req/s, L7 ${formatCount(l7)} req/s (×${ratio.toFixed(2)})`
      const verdict = byRatio(ratio, 0.05)
      return { verdict, measured, why: verdict === 'holds' ? 'L4 sustained more requests per second' : verdict === 'holds with nuance' ? 'within 5%: on this machine the backends or the load generator bound the rate, not the layer' : 'L7 sustained more' }
    },
  },
  {
    id: 'resources',
    claim: 'Layer 7 is resource-intensive: inspecting content costs more CPU per request.',
    scenario: 'l4-vs-l7',
    judge(result) {
      // At maximum load: at a low rate, timers and idle work inflate the per-request figure.
      const at: VariantMatch = { load: 'max', connection: 'keep-alive', balancer: 'engine' }
      const l4 = medianOf(runsWhere(result, { ...at, layer: 'l4' }), lbCpu)
      const l7 = medianOf(runsWhere(result, { ...at, layer: 'l7' }), lbCpu)
      if (l4 === undefined || l7 === undefined || l4 === 0) return notMeasured('needs the engine’s CPU time at L4 and L7 under maximum load with keep-alive')
      const ratio = l7 / l4
      const verdict = byRatio(ratio, 0.1)
      return {
        verdict,
        measured: `engine CPU per request: L4 ${formatUs(l4)}, L7 ${formatUs(l7)} (×${ratio.toFixed(2)})`,
        why: verdict === 'holds' ? 'parsing and proxying HTTP costs more CPU than relaying bytes' : verdict === 'holds with nuance' ? 'within 10% of each other' : 'L7 used less CPU per request than L4',
      }
    },
  },
  {
    id: 'tls',
    claim: 'Layer 7 terminates TLS (backends get plaintext); layer 4 passes it through, end-to-end encrypted.',
    scenario: 'tls-passthrough-vs-termination',
    judge(result) {
      const pass = expectationTally(runsWhere(result, { tls: 'passthrough' }), 'backend receives TLS')
      const term = expectationTally(runsWhere(result, { tls: 'termination' }), 'backend receives plaintext')
      if (pass.total === 0 || term.total === 0) return notMeasured('needs both TLS modes with what the backend received')
      // New connection per request: with keep-alive every handshake happens in one burst before the measured phase.
      const hs = (mode: string) => medianOf(runsWhere(result, { tls: mode, connection: 'new' }), (r) => r.summary.handshakeUs?.p50)
      const req = (mode: string) => medianOf(runsWhere(result, { tls: mode, connection: 'new' }), p50)
      const measured = `backend got TLS under passthrough in ${pass.passed}/${pass.total} runs, plaintext under termination in ${term.passed}/${term.total}; with a new connection per request, handshake p50 ${formatUs(hs('passthrough'))} passthrough vs ${formatUs(hs('termination'))} termination, request p50 ${formatUs(req('passthrough'))} vs ${formatUs(req('termination'))}`
      const holds = pass.passed === pass.total && term.passed === term.total
      return { verdict: holds ? 'holds' : 'does not hold here', measured, why: holds ? 'what the backends saw matches each mode' : 'a backend saw the wrong kind of traffic' }
    },
  },
  {
    id: 'content-routing',
    claim: 'Layer 7 routes on content — URL path, host, headers, cookies — which layer 4 cannot see.',
    scenario: 'path-routing',
    judge(result) {
      const runs = runsWhere(result, {})
      const checked = runs.reduce((s, r) => s + (r.routing?.checked ?? 0), 0)
      if (checked === 0) return notMeasured('needs routed requests whose pool was checked')
      const misrouted = runs.reduce((s, r) => s + (r.routing?.misrouted ?? 0), 0)
      const cost = (n: string) => medianOf(runsWhere(result, { routes: n }), p50)
      const small = cost('10')
      const large = cost('1000')
      const tableCost = small !== undefined && large !== undefined ? `; p50 with 10 routes ${formatUs(small)}, with 1000 ${formatUs(large)}` : ''
      return {
        verdict: misrouted === 0 ? 'holds' : 'does not hold here',
        measured: `${formatCount(checked)} requests checked, ${formatCount(misrouted)} in the wrong pool${tableCost}`,
        why: misrouted === 0 ? 'every request reached the pool its path and host select' : 'some requests reached the wrong pool',
      }
    },
  },
  {
    id: 'health-checks',
    claim: 'Layer 4 health checks only see that a port is open; layer 7 checks see the application.',
    scenario: 'health-checks',
    judge(result) {
      const http = runsWhere(result, { check: 'http' })
      const tcp = runsWhere(result, { check: 'tcp' })
      const h = expectationTally(http, 'http check takes the broken backend out')
      const t = expectationTally(tcp, 'tcp check keeps sending to the broken backend')
      if (h.total === 0 || t.total === 0) return notMeasured('needs a broken application behind an open port under both kinds of check')
      const measured = `error rate with the backend's application broken: TCP check ${formatPercent(errorRate(tcp) ?? 0)}, HTTP check ${formatPercent(errorRate(http) ?? 0)}`
      const holds = h.passed === h.total && t.passed === t.total
      return { verdict: holds ? 'holds' : 'does not hold here', measured, why: holds ? 'the TCP check kept a broken backend in the pool; the HTTP check took it out' : 'the checks did not behave as the claim says' }
    },
  },
  {
    id: 'stickiness',
    claim: 'Layer 4 stickiness is by client IP; layer 7 sticks by cookie, which is more reliable.',
    scenario: 'sticky-sessions',
    judge(result) {
      const rate = (s: string) => medianOf(runsWhere(result, { stickiness: s }), (r) => r.sticky?.violationRate)
      const cookie = rate('cookie')
      const ip = rate('source-ip')
      const none = rate('none')
      if (cookie === undefined || ip === undefined) return notMeasured('needs cookie and source-IP stickiness under a membership change')
      const measured = `sessions that changed backend: cookie ${formatPercent(cookie)}, source IP ${formatPercent(ip)}${none === undefined ? '' : `, none ${formatPercent(none)}`}`
      if (cookie < ip) return { verdict: 'holds', measured, why: 'cookies kept more sessions on their backend through the removal and re-add' }
      if (cookie === ip) return { verdict: 'holds with nuance', measured, why: 'both kept sessions equally well here' }
      return { verdict: 'does not hold here', measured, why: 'source-IP hashing kept more sessions than cookies' }
    },
  },
  {
    id: 'hybrid',
    claim: 'An L4 tier in front of L7 gives both; with the PROXY protocol the backends still see the real client address.',
    scenario: 'proxy-protocol-hybrid',
    judge(result) {
      const both = runsWhere(result, { path: 'l4+l7' })
      const seen = expectationTally(both, 'backend sees the real client address')
      if (seen.total === 0) return notMeasured('needs the L4 + L7 path with the backends reporting the client address')
      const at = (path: string) => medianOf(runsWhere(result, { path }), p50)
      const direct = at('direct')
      const l7 = at('l7')
      const l4l7 = at('l4+l7')
      const costs = direct !== undefined && l7 !== undefined && l4l7 !== undefined ? `; p50 cost of the L7 tier ${formatUs(l7 - direct)}, of the L4 tier in front ${formatUs(l4l7 - l7)}` : ''
      const holds = seen.passed === seen.total
      return { verdict: holds ? 'holds' : 'does not hold here', measured: `real client address seen in ${seen.passed}/${seen.total} runs${costs}`, why: holds ? 'PROXY v2 carried the client address through both tiers' : 'the backends saw a balancer address' }
    },
  },
  {
    id: 'non-http',
    claim: 'Layer 4 balances any TCP or UDP protocol, so it is the choice for non-HTTP workloads.',
    scenario: 'non-http',
    judge(result) {
      const tcp = runsWhere(result, { protocol: 'tcp' })
      const udp = runsWhere(result, { protocol: 'udp' })
      if (tcp.length === 0 || udp.length === 0) return notMeasured('needs TCP and UDP through layer 4')
      const tcpErr = errorRate(tcp) ?? 1
      const udpErr = errorRate(udp) ?? 1
      const measured = `TCP request/response: ${formatCount(medianOf(tcp, rps) ?? 0)} req/s, errors ${formatPercent(tcpErr)}; UDP: ${formatCount(medianOf(udp, rps) ?? 0)} req/s, errors ${formatPercent(udpErr)}`
      const holds = tcpErr === 0 && udpErr < 0.001
      return { verdict: holds ? 'holds' : 'does not hold here', measured, why: holds ? 'a database-style TCP protocol and UDP datagrams went through without HTTP' : 'requests were lost' }
    },
  },
]

/** Judges every claim against a suite's results; a claim whose scenario did not run is `not measured`. */
export function evaluateClaims(results: readonly ResultFile[], definitions: readonly ClaimDefinition[] = claimDefinitions): ClaimOutcome[] {
  return definitions.map((d) => {
    const result = scenarioResult(results, d.scenario)
    const outcome = result === undefined ? notMeasured(`the suite did not run ${d.scenario}`) : d.judge(result)
    return { id: d.id, claim: d.claim, scenario: d.scenario, ...outcome }
  })
}
