import { describe, expect, it } from 'vitest'
import type { ScenarioInput } from '../../harness/scenario/scenario-schema.js'
import { simulateOne } from './helpers.js'

const ms = (x: number) => ({ kind: 'fixed', ms: x })

/**
 * HTTPS to two backends through a `tls` listener (passthrough), an `https` one (termination) or
 * none (direct), at 100 requests/s: cores and servers are busy a few per cent of the time, so the
 * fastest request shows the fixed times alone.
 */
function tlsScenario(mode: 'passthrough' | 'termination' | 'direct', newConnectionPerRequest: boolean, simulation: Record<string, unknown>): ScenarioInput {
  const listener =
    mode === 'termination'
      ? { name: 'web', protocol: 'https', tls: { certificates: [{ selfSigned: { dnsNames: ['www.example.com'] } }] }, routes: [{ pool: 'www' }] }
      : { name: 'web', protocol: 'tls', sni: [{ serverNames: ['www.example.com'], pool: 'www' }], pool: 'www' }
  return {
    name: `tls-${mode}`,
    backends: { www: { count: 2, protocols: [mode === 'termination' ? 'http' : 'https'] } },
    balancer: { ...(mode === 'direct' ? { implementation: 'direct' } : {}), listeners: [listener], pools: { www: { backends: 'www' } } },
    load: { protocol: 'https', mode: 'open', rate: 100, connections: 32, duration: '4s', warmup: '500ms', timeout: '2s', request: { host: 'www.example.com' }, newConnectionPerRequest },
    simulation: { backends: { www: { servers: 1, service: ms(0.02) } }, ...simulation },
  } as ScenarioInput
}

const cpu = { cores: 1, perConnection: ms(0.1), perRequest: ms(0.05) }
const tls = { handshake: ms(1) }

describe('TLS handshakes in simulation (simulation.tls)', () => {
  it('termination: the balancer does the handshake before reading the request; latency leaves it out', () => {
    const run = simulateOne(tlsScenario('termination', true, { balancer: cpu, tls }))
    // Set-up: accept 100 µs + handshake 1 000 µs; then the request: 50 µs at the balancer, 20 at the backend.
    expect(run.summary.handshakeUs!.min).toBe(1100)
    expect(run.summary.handshakeUs!.count).toBe(run.summary.requests.sent)
    expect(run.summary.latencyUs.min).toBe(70)
    expect(run.cpu.perRequestUs.balancer).toBeCloseTo(1150, 6)
    expect(run.histograms.handshake).toBeDefined()
  })

  it('passthrough: the backend does the handshake; the relay forwards the request once it is written', () => {
    const run = simulateOne(tlsScenario('passthrough', true, { balancer: cpu, tls }))
    // Set-up: the relay's accept (100 µs) and the backend's handshake (1 000 µs); then the relay's
    // 50 µs on the request and the backend's 20.
    expect(run.summary.handshakeUs!.min).toBe(1100)
    expect(run.summary.latencyUs.min).toBe(70)
    expect(run.cpu.perRequestUs.balancer).toBeCloseTo(150, 6)
  })

  it('termination without a balancer CPU section still gives the handshakes a core', () => {
    const run = simulateOne(tlsScenario('termination', true, { tls }))
    expect(run.summary.handshakeUs!.min).toBe(1000)
    expect(run.summary.latencyUs.min).toBe(20)
    expect(run.simulation!.balancer!.cores).toBe(1)
  })

  it('direct over TLS: the backend does the handshake', () => {
    const run = simulateOne(tlsScenario('direct', true, { tls }))
    expect(run.summary.handshakeUs!.min).toBe(1000)
    expect(run.summary.latencyUs.min).toBe(20)
    expect(run.cpu.perRequestUs.balancer).toBeNull()
  })

  it('a busy terminator makes handshakes wait, not requests on connections already set up', () => {
    // 900 handshakes/s of 1 ms on one core: ρ 0.9, an M/D/1 queue (Pollaczek–Khinchine:
    // W = D + ρD/(2(1 − ρ)) = 5.5 ms), the wait falling in the handshake.
    const input = tlsScenario('termination', true, { tls, arrival: { kind: 'poisson' } })
    const run = simulateOne({ ...input, load: { ...input.load, rate: 900, duration: '60s' } } as ScenarioInput)
    expect(Math.abs(run.summary.handshakeUs!.mean / 5500 - 1)).toBeLessThan(0.1)
    expect(run.summary.latencyUs.max).toBeLessThan(1000)
  })

  it('says what it leaves out: handshakes on kept-alive connections, or TLS without simulation.tls', () => {
    const kept = simulateOne(tlsScenario('passthrough', false, { balancer: cpu, tls }))
    expect(kept.summary.handshakeUs).toBeUndefined()
    expect(kept.warnings.join('\n')).toContain('TLS handshakes on kept-alive connections are rare and left out')
    const none = simulateOne(tlsScenario('passthrough', true, { balancer: cpu }))
    expect(none.summary.handshakeUs).toBeUndefined()
    expect(none.warnings.join('\n')).toContain('TLS handshakes are not simulated')
  })
})
