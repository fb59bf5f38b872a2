import { PEER_NAMES } from '../../harness/peers/peer-names.js'
import type { ResultFile, RunResult } from '../result/result-model.js'
import { formatCount, formatPercent, formatUs } from '../render/format.js'
import { formatFigure } from './claim-figure.js'
import type { ClaimContext, ClaimDefinition, ClaimOutcome } from './claim-types.js'
import { addedP50Figure, layerClaims, unmeasuredClaims } from './layer-claims.js'
import { errorRate, expectationTally, medianOf, runsWhere, scenarioResult, type VariantMatch } from './measured-runs.js'
import { dsrClaim } from './dsr-claim.js'
import { websocketClaim } from './websocket-claim.js'

export { claimVerdicts, type ClaimContext, type ClaimDefinition, type ClaimJudgement, type ClaimOutcome, type ClaimVerdict } from './claim-types.js'

const notMeasured = (what: string) => ({ verdict: 'not measured' as const, measured: '—', why: what })
const p50 = (r: { summary: { latencyUs: { p50: number } } }) => r.summary.latencyUs.p50
const rps = (r: { summary: { rps: number } }) => r.summary.rps

/** Every claim the claims page checks, in reading order. */
export const claimDefinitions: readonly ClaimDefinition[] = [
  ...layerClaims,
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
      // The engine's own runs: a peer's cookie runs (Caddy's, in the full suite) answer for the peer, not the layer.
      const rate = (s: string) => medianOf(runsWhere(result, { stickiness: s }).filter((r) => r.balancer.implementation === 'engine'), (r) => r.sticky?.violationRate)
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
      const at = (path: string) => runsWhere(result, { path })
      const costs = [addedP50Figure('p50 cost of the L7 tier', at('l7'), at('direct')), addedP50Figure('of the L4 tier in front', at('l4+l7'), at('l7'))]
        .filter((f) => f !== undefined)
        .map((f) => `; ${formatFigure(f)}`)
        .join('')
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
  {
    id: 'rate-limiting',
    claim: 'Layer 7 rate limiting at the edge refuses a client over its limit at the balancer, so the excess never reaches the backends.',
    scenario: 'rate-limiting',
    judge(result) {
      // The engine's runs: a peer's rows answer for the peer.
      const engine = (offered: string) => runsWhere(result, { offered }).filter((r) => r.balancer.implementation === 'engine')
      const over = [
        ['2×', '400', 'at twice the limit about half is refused', 0.5],
        ['10×', '2000', 'at ten times the limit about nine in ten are refused', 0.9],
      ] as const
      const tallies = over.map(([, offered, name]) => expectationTally(engine(offered), name))
      if (tallies.some((t) => t.total === 0)) return notMeasured('needs the engine at twice and ten times the limit')
      const refused = (runs: readonly RunResult[]) => runs.reduce((n, r) => n + (r.summary.requests.failures.byStatus['429'] ?? 0), 0)
      const failed = (runs: readonly RunResult[]) => runs.reduce((n, r) => n + r.summary.requests.failed, 0)
      const all = over.flatMap(([, offered]) => engine(offered))
      const shares = over.map(([what, offered, , expected]) => `${what} the limit: ${formatPercent(errorRate(engine(offered)) ?? 0)} refused (1 − limit/offered: ${formatPercent(expected)})`).join('; ')
      const measured = `${shares}; ${formatCount(refused(all))} of ${formatCount(failed(all))} failures were the balancer's 429`
      const holds = tallies.every((t) => t.passed === t.total) && refused(all) === failed(all)
      return { verdict: holds ? 'holds' : 'does not hold here', measured, why: holds ? 'the balancer answered exactly the excess over the limit with 429s, and nothing else failed' : 'the refused share strayed from the limit, or requests failed otherwise' }
    },
  },
  {
    id: 'auth-offload',
    claim: 'Layer 7 validates JWTs before traffic reaches the backends: only authenticated requests get through.',
    scenario: 'auth-offload',
    judge(result) {
      const engine = (credential: string) => runsWhere(result, { credential }).filter((r) => r.balancer.implementation === 'engine')
      const valid = ['hs256', 'es256'].flatMap(engine)
      const invalid = ['bad-signature', 'none'].flatMap(engine)
      const passed = expectationTally(valid, 'valid tokens all pass')
      const refused = expectationTally(invalid, 'invalid or missing tokens are all refused')
      if (passed.total === 0 || refused.total === 0) return notMeasured('needs the engine with valid and with invalid or missing tokens')
      const sum = (runs: readonly RunResult[], f: (r: RunResult) => number) => runs.reduce((n, r) => n + f(r), 0)
      const reached = sum(invalid, (r) => Object.values(r.backends).reduce((n, b) => n + b.requests, 0))
      const unauthorized = sum(invalid, (r) => r.summary.requests.failures.byStatus['401'] ?? 0)
      const cpu = (credential: string) => medianOf(engine(credential), (r) => r.cpu?.perRequestUs.balancer)
      const costs = ['hs256', 'es256', 'bad-signature', 'none'].map((c) => `${c} ${formatUs(cpu(c))}`).join(', ')
      const measured = `valid tokens passed in ${passed.passed}/${passed.total} runs; of ${formatCount(sum(invalid, (r) => r.summary.requests.sent))} requests with a bad or no token, ${formatCount(unauthorized)} were answered 401 and ${formatCount(reached)} reached a backend; balancer CPU per request: ${costs}`
      const holds = passed.passed === passed.total && refused.passed === refused.total && reached === 0 && unauthorized === sum(invalid, (r) => r.summary.requests.sent)
      return { verdict: holds ? 'holds' : 'does not hold here', measured, why: holds ? 'every valid token passed; every bad or missing one was refused 401 by the balancer, none reaching a backend' : 'a valid token was refused, or an invalid one got through' }
    },
  },
  websocketClaim,
  dsrClaim,
  ...unmeasuredClaims,
]

/** Judges every claim against a suite's results; a claim whose scenario did not run is `not measured`. */
export function evaluateClaims(results: readonly ResultFile[], definitions: readonly ClaimDefinition[] = claimDefinitions, context: ClaimContext = {}): ClaimOutcome[] {
  return definitions.map((d) => {
    const result = scenarioResult(results, d.scenario)
    const outcome = result === undefined ? notMeasured(`the suite did not run ${d.scenario}`) : d.judge(result, context)
    return { id: d.id, claim: d.claim, scenario: d.scenario, ...outcome }
  })
}
