import { simulateForwarding, type ForwardingModel } from '../../harness/simulator/forwarding-model.js'
import { claimFigure, formatFigure, judgeFigure } from './claim-figure.js'
import type { ClaimDefinition } from './claim-types.js'
import { medianOf, runsWhere } from './measured-runs.js'

/** Seeds of the simulated repeats: five, as the live claims' repeats. */
const SEEDS = [1, 2, 3, 4, 5]
/** A 64 KiB response in 1448-byte segments, and a response of one segment (the live suite's). */
const LARGE_RESPONSE_PACKETS = 46
const SMALL_RESPONSE_PACKETS = 1
/** "Massive": DSR at least doubles what the system carries. */
const MASSIVE = 2

/**
 * The system the simulation runs: one balancer core; backends with room to spare (32 × 4 servers
 * of 1 ms: 128 000 req/s), so the balancer is what forwarding changes; clients enough to saturate it.
 */
const system = (perPacketUs: number, responsePackets: number, seed: number): Omit<ForwardingModel, 'mode'> => ({
  cores: 1,
  perPacketUs,
  requestPackets: 1,
  responsePackets,
  backends: 32,
  servers: 4,
  serviceUs: 1000,
  clients: 256,
  requests: 2000,
  seed,
})

// Deterministic in their inputs: the same CPU figure gives the same ratios, so they are computed once.
const memo = new Map<string, number[]>()
function dsrOverNat(perPacketUs: number, responsePackets: number): number[] {
  const key = `${perPacketUs}/${responsePackets}`
  let ratios = memo.get(key)
  if (ratios === undefined) {
    ratios = SEEDS.map((seed) => {
      const s = system(perPacketUs, responsePackets, seed)
      return simulateForwarding({ ...s, mode: 'dsr' }).rps / simulateForwarding({ ...s, mode: 'nat' }).rps
    })
    memo.set(key, ratios)
  }
  return ratios
}

/**
 * "DSR gives L4 massive throughput because responses bypass the balancer", from the simulator
 * (harness/simulator/forwarding-model.ts): live DSR needs IPVS or raw sockets, which this machine
 * lacks. The balancer's CPU per packet is the engine's measured L4 CPU per request (max load,
 * keep-alive) over the two segments a live request and its response are; NAT spends it on every
 * packet both ways, DSR on the request's only. Five seeds are the repeats; the claim holds when
 * DSR ÷ NAT throughput clears ×2 with 64 KiB responses, and says what it is with one-packet ones.
 */
export const dsrClaim: ClaimDefinition = {
  id: 'direct-server-return',
  claim: 'Direct server return gives layer 4 massive throughput: responses bypass the balancer.',
  scenario: 'l4-vs-l7',
  judge(result) {
    const cpu = medianOf(runsWhere(result, { balancer: 'engine', layer: 'l4', load: 'max', connection: 'keep-alive' }), (r) => r.cpu.perRequestUs.balancer)
    if (cpu === undefined || !(cpu > 0)) return { verdict: 'not measured', measured: '—', why: 'the simulation needs the engine’s L4 CPU per request under maximum load with keep-alive (its CPU per packet)' }
    const perPacketUs = Math.round((cpu / 2) * 10) / 10
    const large = claimFigure('DSR ÷ NAT throughput, 64 KiB responses (simulated)', 'ratio', dsrOverNat(perPacketUs, LARGE_RESPONSE_PACKETS))
    const small = claimFigure('DSR ÷ NAT throughput, one-packet responses (simulated)', 'ratio', dsrOverNat(perPacketUs, SMALL_RESPONSE_PACKETS))
    const figures = [large, small]
    const basis = `simulated, not measured: one balancer core at ${perPacketUs} µs per packet (half the engine’s measured L4 CPU per request), backends with room to spare, five seeds`
    const measured = `${basis}: ${figures.map(formatFigure).join('; ')}`
    const jl = judgeFigure(large, MASSIVE)
    const js = judgeFigure(small, MASSIVE)
    if (jl.side === 'above' && js.side === 'above') return { verdict: 'holds', measured, figures, basis, why: 'in the simulation DSR more than doubles throughput whatever the response size: the balancer’s CPU goes to requests only' }
    if (jl.side === 'above') return { verdict: 'holds with nuance', measured, figures, basis, why: 'in the simulation the gain is massive when responses dwarf requests (the balancer no longer forwards their packets), and about ×2 or less when a response is as small as its request' }
    if (jl.side === 'below') return { verdict: 'does not hold here', measured, figures, basis, why: 'in the simulation DSR did not double throughput even with large responses' }
    return { verdict: 'inconclusive', measured, figures, basis, why: `the simulated ratio’s interval straddles ×${MASSIVE}` }
  },
}
