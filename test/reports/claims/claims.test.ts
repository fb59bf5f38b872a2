import { describe, expect, it } from 'vitest'
import { claimsMarkdown, claimsSection } from '../../../reports/claims/claims-section.js'
import { claimDefinitions, evaluateClaims, type ClaimOutcome } from '../../../reports/claims/claims.js'
import type { ResultFile, RunResult } from '../../../reports/result/result-model.js'
import { syntheticResult, type SyntheticVariant } from '../../helpers/synthetic-results.js'

const exact = { noise: 0, repeats: 1 } as const

/** l4-vs-l7 with the engine adding `l4` and `l7` µs of p50 over a 200 µs direct path, and given max rps and CPU. */
function layers(o: { l4: number; l7: number; rpsL4?: number; rpsL7?: number; cpuL4?: number; cpuL7?: number }): ResultFile {
  const v = (variant: Record<string, string>, extra: Partial<SyntheticVariant>): SyntheticVariant => ({ ...exact, variant, ...extra })
  return syntheticResult({
    name: 'l4-vs-l7',
    variants: [
      v({ balancer: 'direct', layer: 'l4', connection: 'keep-alive', load: 'fixed-rate' }, { p50Us: 200 }),
      v({ balancer: 'engine', layer: 'l4', connection: 'keep-alive', load: 'fixed-rate' }, { p50Us: 200 + o.l4 }),
      v({ balancer: 'engine', layer: 'l7', connection: 'keep-alive', load: 'fixed-rate' }, { p50Us: 200 + o.l7 }),
      v({ balancer: 'engine', layer: 'l4', connection: 'keep-alive', load: 'max' }, { rps: o.rpsL4 ?? 10_000, balancerCpuUs: o.cpuL4 ?? 30 }),
      v({ balancer: 'engine', layer: 'l7', connection: 'keep-alive', load: 'max' }, { rps: o.rpsL7 ?? 8000, balancerCpuUs: o.cpuL7 ?? 80 }),
    ],
  })
}

function claim(results: readonly ResultFile[], id: string): ClaimOutcome {
  return evaluateClaims(results).find((c) => c.id === id)!
}

/** A result whose runs carry one named expectation with the given outcome per variant. */
function withExpectation(name: string, dim: string, cases: Record<string, [string, boolean]>): ResultFile {
  return syntheticResult({
    name,
    variants: Object.entries(cases).map(([value, [expectation, pass]]) => ({ ...exact, variant: { [dim]: value }, expectations: [{ name: expectation, expected: '', actual: '', pass }] })),
  })
}

describe('claims', () => {
  it('every claim is "not measured" when the suite ran none of their scenarios, and names the scenario', () => {
    const claims = evaluateClaims([syntheticResult({ name: 'something-else', variants: [{}] })])
    expect(claims.map((c) => c.id)).toEqual(claimDefinitions.map((d) => d.id))
    for (const c of claims) {
      expect(c.verdict).toBe('not measured')
      expect(c.why).toContain(c.scenario)
    }
  })

  it('L4 µs vs L7 ms: holds, holds with nuance when L7 adds more but in µs, does not hold when L7 adds less', () => {
    expect(claim([layers({ l4: 30, l7: 1500 })], 'latency-added').verdict).toBe('holds')
    const nuance = claim([layers({ l4: 30, l7: 90 })], 'latency-added')
    expect(nuance.verdict).toBe('holds with nuance')
    expect(nuance.measured).toContain('engine 30.0 µs / 90.0 µs')
    expect(nuance.why).toContain('3.0×')
    expect(claim([layers({ l4: 90, l7: 30 })], 'latency-added').verdict).toBe('does not hold here')
  })

  it('throughput and CPU per request are judged as ratios with a margin for noise', () => {
    expect(claim([layers({ l4: 1, l7: 2, rpsL4: 12_000, rpsL7: 8000 })], 'throughput').verdict).toBe('holds')
    expect(claim([layers({ l4: 1, l7: 2, rpsL4: 10_200, rpsL7: 10_000 })], 'throughput').verdict).toBe('holds with nuance')
    expect(claim([layers({ l4: 1, l7: 2, rpsL4: 8000, rpsL7: 10_000 })], 'throughput').verdict).toBe('does not hold here')
    const cpu = claim([layers({ l4: 1, l7: 2, cpuL4: 30, cpuL7: 75 })], 'resources')
    expect(cpu.verdict).toBe('holds')
    expect(cpu.measured).toContain('×2.50')
    expect(claim([layers({ l4: 1, l7: 2, cpuL4: 50, cpuL7: 40 })], 'resources').verdict).toBe('does not hold here')
  })

  it('TLS, health checks and the hybrid tier follow the named expectations of their scenarios', () => {
    const tls = (ok: boolean) => withExpectation('tls-passthrough-vs-termination', 'tls', { passthrough: ['backend receives TLS', ok], termination: ['backend receives plaintext', true] })
    expect(claim([tls(true)], 'tls').verdict).toBe('holds')
    expect(claim([tls(false)], 'tls').verdict).toBe('does not hold here')
    const health = withExpectation('health-checks', 'check', { http: ['http check takes the broken backend out', true], tcp: ['tcp check keeps sending to the broken backend', true] })
    expect(claim([health], 'health-checks').verdict).toBe('holds')
    const hybrid = withExpectation('proxy-protocol-hybrid', 'path', { 'l4+l7': ['backend sees the real client address', true] })
    expect(claim([hybrid], 'hybrid')).toMatchObject({ verdict: 'holds', measured: expect.stringContaining('1/1 runs') })
    const unnamed = withExpectation('proxy-protocol-hybrid', 'path', { 'l4+l7': ['some other expectation', true] })
    expect(claim([unnamed], 'hybrid').verdict).toBe('not measured')
  })

  it('content routing holds only with requests checked and none misrouted', () => {
    const routed = (misrouted: number, checked = 1000): ResultFile => {
      const r = syntheticResult({ name: 'path-routing', variants: [{ ...exact, variant: { routes: 10 } }] })
      return { ...r, runs: r.runs.map((run): RunResult => ({ ...run, routing: { checked, misrouted } })) }
    }
    expect(claim([routed(0)], 'content-routing').verdict).toBe('holds')
    expect(claim([routed(3)], 'content-routing').verdict).toBe('does not hold here')
    expect(claim([routed(0, 0)], 'content-routing').verdict).toBe('not measured')
  })

  it('stickiness compares the violation rates of cookie and source-IP stickiness', () => {
    const sticky = (cookie: number, ip: number): ResultFile => {
      const r = syntheticResult({ name: 'sticky-sessions', variants: ['cookie', 'source-ip'].map((s) => ({ ...exact, variant: { stickiness: s } })) })
      return { ...r, runs: r.runs.map((run): RunResult => ({ ...run, sticky: { sessions: 100, requests: 1000, violations: 0, imbalance: 1, violationRate: run.variant.stickiness === 'cookie' ? cookie : ip } })) }
    }
    expect(claim([sticky(0.01, 0.2)], 'stickiness').verdict).toBe('holds')
    expect(claim([sticky(0.2, 0.2)], 'stickiness').verdict).toBe('holds with nuance')
    expect(claim([sticky(0.3, 0.2)], 'stickiness').verdict).toBe('does not hold here')
  })

  it('non-HTTP holds when TCP and UDP went through without errors', () => {
    const r = (udpErrors: number) => syntheticResult({ name: 'non-http', variants: [{ ...exact, variant: { protocol: 'tcp' }, errorRate: 0 }, { ...exact, variant: { protocol: 'udp' }, errorRate: udpErrors }] })
    expect(claim([r(0)], 'non-http').verdict).toBe('holds')
    expect(claim([r(0.05)], 'non-http').verdict).toBe('does not hold here')
  })

  it('renders as an index section linking each measured claim to its scenario, and as Markdown', () => {
    const claims = evaluateClaims([layers({ l4: 30, l7: 90 })])
    const section = claimsSection(claims, (s) => `${s}/report.html`)
    expect(section.id).toBe('claims')
    expect(section.html).toContain('<a href="l4-vs-l7/report.html">l4-vs-l7</a>')
    expect(section.html).toMatch(/<td class="warn">holds with nuance<\/td>/)
    expect(section.html).toContain(`${claims.filter((c) => c.verdict === 'not measured').length} not measured`)
    const md = claimsMarkdown(claims)
    expect(md.split('\n').filter((l) => l.startsWith('| ')).length).toBe(claims.length + 1)
  })
})
