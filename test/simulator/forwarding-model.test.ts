import { describe, expect, it } from 'vitest'
import { simulateForwarding, type ForwardingModel } from '../../harness/simulator/forwarding-model.js'

/** One balancer core at 20 µs a packet in front of backends with room to spare (8 × 4 servers of 1 ms: 32 000 req/s). */
const model = (o: Partial<ForwardingModel>): ForwardingModel => ({ mode: 'nat', cores: 1, perPacketUs: 20, requestPackets: 1, responsePackets: 10, backends: 8, servers: 4, serviceUs: 1000, clients: 128, requests: 3000, seed: 7, ...o })

describe('forwarding model: NAT against direct server return', () => {
  it('is deterministic in its seed', () => {
    expect(simulateForwarding(model({ seed: 3 }))).toEqual(simulateForwarding(model({ seed: 3 })))
    expect(simulateForwarding(model({ seed: 3 })).rps).not.toBe(simulateForwarding(model({ seed: 4 })).rps)
  })

  it('spends the balancer’s CPU on both directions under NAT, on the request path only under DSR', () => {
    const nat = simulateForwarding(model({ mode: 'nat' }))
    const dsr = simulateForwarding(model({ mode: 'dsr' }))
    // 11 packets a request against 1, each 20 µs on average: the draws' mean.
    expect(nat.balancerCpuPerRequestUs / (11 * 20)).toBeCloseTo(1, 1)
    expect(dsr.balancerCpuPerRequestUs / 20).toBeCloseTo(1, 1)
  })

  it('NAT is bound by the balancer (one core ÷ CPU per request); DSR moves the limit to the backends', () => {
    const nat = simulateForwarding(model({ mode: 'nat' }))
    const dsr = simulateForwarding(model({ mode: 'dsr' }))
    expect(nat.balancerUtilisation).toBeGreaterThan(0.97)
    expect(nat.rps / (1e6 / nat.balancerCpuPerRequestUs)).toBeCloseTo(1, 1)
    expect(dsr.backendUtilisation).toBeGreaterThan(0.9)
    expect(dsr.balancerUtilisation).toBeLessThan(0.9)
    expect(dsr.rps / nat.rps).toBeGreaterThan(5)
  })

  it('gives DSR nothing to gain where the backends are the limit under NAT too', () => {
    // Responses of one packet and a quick balancer: the backends saturate either way.
    const quickBalancer = { responsePackets: 1, perPacketUs: 2 }
    const nat = simulateForwarding(model({ ...quickBalancer, mode: 'nat' }))
    const dsr = simulateForwarding(model({ ...quickBalancer, mode: 'dsr' }))
    expect(nat.backendUtilisation).toBeGreaterThan(0.9)
    expect(dsr.rps / nat.rps).toBeCloseTo(1, 1)
  })
})
