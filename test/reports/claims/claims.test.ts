import { describe, expect, it } from 'vitest'
import { claimsMarkdown, claimsSection } from '../../../reports/claims/claims-section.js'
import { claimDefinitions, evaluateClaims, type ClaimOutcome } from '../../../reports/claims/claims.js'
import type { ResultFile, RunResult } from '../../../reports/result/result-model.js'
import { syntheticResult, type SyntheticVariant } from '../../helpers/synthetic-results.js'

const exact = { noise: 0, repeats: 1 } as const

/**
 * l4-vs-l7 with the engine adding `l4` and `l7` µs of p50 over a 200 µs direct path, and given max
 * rps and CPU, over `repeats` interleaved repeats with 2% run-to-run noise; `steal`: how many of
 * the first repeats of every variant ran under heavy steal.
 */
function layers(o: { l4: number; l7: number; rpsL4?: number; rpsL7?: number; cpuL4?: number; cpuL7?: number; repeats?: number; noise?: number; steal?: number }): ResultFile {
  const v = (variant: Record<string, string>, seed: number, extra: Partial<SyntheticVariant>): SyntheticVariant => ({ noise: o.noise ?? 0.02, repeats: o.repeats ?? 5, heavySteal: o.steal ?? 0, seed, variant, ...extra })
  return syntheticResult({
    name: 'l4-vs-l7',
    variants: [
      v({ balancer: 'direct', layer: 'l4', connection: 'keep-alive', load: 'fixed-rate' }, 1, { p50Us: 200 }),
      v({ balancer: 'engine', layer: 'l4', connection: 'keep-alive', load: 'fixed-rate' }, 2, { p50Us: 200 + o.l4 }),
      v({ balancer: 'engine', layer: 'l7', connection: 'keep-alive', load: 'fixed-rate' }, 3, { p50Us: 200 + o.l7 }),
      v({ balancer: 'engine', layer: 'l4', connection: 'keep-alive', load: 'max' }, 4, { rps: o.rpsL4 ?? 10_000, balancerCpuUs: o.cpuL4 ?? 30 }),
      v({ balancer: 'engine', layer: 'l7', connection: 'keep-alive', load: 'max' }, 5, { rps: o.rpsL7 ?? 8000, balancerCpuUs: o.cpuL7 ?? 80 }),
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

  it('L4 µs vs L7 ms: holds, holds with nuance when L7 adds more but in µs, does not hold when L7 adds less — each beyond its interval', () => {
    expect(claim([layers({ l4: 30, l7: 1500 })], 'latency-added').verdict).toBe('holds')
    const nuance = claim([layers({ l4: 30, l7: 90 })], 'latency-added')
    expect(nuance.verdict).toBe('holds with nuance')
    expect(nuance.measured).toMatch(/engine L4 added p50 \+\d+\.\d µs \[\+\d+\.\d, \+\d+\.\d\] \(93\.7%, 5 repeats\)/)
    expect(nuance.figures?.map((f) => f.label)).toEqual(expect.arrayContaining(['engine L4 added p50', 'engine L7 added p50', 'L7 − L4 p50', 'engine L4 added p99', 'engine L7 added p99']))
    expect(claim([layers({ l4: 90, l7: 30 })], 'latency-added').verdict).toBe('does not hold here')
  })

  it('added latency: an interval that straddles its threshold is inconclusive, with the repeats that might settle it; a negative difference carries its sign', () => {
    // L7 at 1 ms with 10% noise on 1.2 ms: its interval straddles the 1 ms threshold.
    const straddle = claim([layers({ l4: 30, l7: 1000, noise: 0.1 })], 'latency-added')
    expect(straddle.verdict).toBe('inconclusive')
    expect(straddle.why).toContain('straddles')
    const negative = claim([layers({ l4: -40, l7: 90 })], 'latency-added')
    expect(negative.measured).toMatch(/engine L4 added p50 −\d/)
    expect(negative.measured).not.toMatch(/(^|[ [])-\d/)
  })

  it('with fewer than five repeats no latency or ratio claim is decided', () => {
    for (const id of ['latency-added', 'throughput', 'resources', 'cloud-cost']) {
      const c = claim([layers({ l4: 30, l7: 1500, rpsL4: 20_000, rpsL7: 8000, repeats: 3 })], id)
      expect(c.verdict).toBe('inconclusive')
      expect(c.repeatsNeeded).toBeGreaterThanOrEqual(5)
    }
  })

  it('disturbed repeats are excluded with their reason while five quiet ones remain, else kept and the interval widened to the full range', () => {
    const excluded = claim([layers({ l4: 30, l7: 1500, repeats: 7, steal: 2 })], 'latency-added')
    expect(excluded.verdict).toBe('holds')
    expect(excluded.why).toContain('excluded as disturbed: repeat 1 (steal 30%), repeat 2 (steal 30%)')
    expect(excluded.figures![0]!.n).toBe(5)
    const kept = claim([layers({ l4: 30, l7: 1500, repeats: 6, steal: 2 })], 'latency-added')
    expect(kept.why).toContain('2 disturbed repeat(s) kept (too few quiet ones), so the interval is the full range: steal up to 30%')
    expect(kept.figures![0]!.n).toBe(6)
    // Six values would give a 95% interval inside the range; kept disturbed repeats widen it to the full range.
    expect(kept.figures![0]!.confidence).toBeCloseTo(1 - 2 / 64)
  })

  it('throughput uses the balancer-bound capacity unless the balancer saturated its core in every run, and says which', () => {
    // 10 000 req/s × 30 µs = 0.3 of a core: not balancer-bound, so capacity (1e6 / 30 vs 1e6 / 80) decides, although L7 measured more req/s.
    const capacity = claim([layers({ l4: 1, l7: 2, rpsL4: 10_000, rpsL7: 12_000, cpuL4: 30, cpuL7: 80 })], 'throughput')
    expect(capacity.verdict).toBe('holds')
    expect(capacity.basis).toContain('capacity')
    expect(capacity.measured).toContain('L4 ÷ L7 capacity ×2.')
    expect(capacity.measured).toContain('bottleneck L4 none ×5')
    // 32 000 × 30 µs and 12 000 × 80 µs: both above 0.9 of a core, so the measured maxima decide.
    const measured = claim([layers({ l4: 1, l7: 2, rpsL4: 32_000, rpsL7: 12_000, cpuL4: 30, cpuL7: 80 })], 'throughput')
    expect(measured.basis).toContain('measured maximum')
    expect(measured.measured).toContain('bottleneck L4 balancer ×5, L7 balancer ×5')
    expect(measured.verdict).toBe('holds')
    expect(claim([layers({ l4: 1, l7: 2, cpuL4: 80, cpuL7: 30 })], 'throughput').verdict).toBe('does not hold here')
    expect(claim([layers({ l4: 1, l7: 2, cpuL4: 40, cpuL7: 40 })], 'throughput').verdict).toBe('inconclusive')
  })

  it('CPU per request and the cost per million requests are judged as ratios whose interval must clear 1; the price is the user’s', () => {
    const cpu = claim([layers({ l4: 1, l7: 2, cpuL4: 30, cpuL7: 75 })], 'resources')
    expect(cpu.verdict).toBe('holds')
    expect(cpu.measured).toMatch(/L7 ÷ L4 CPU per request ×2\.\d\d \[×2\.\d\d, ×2\.\d\d\]/)
    expect(claim([layers({ l4: 1, l7: 2, cpuL4: 50, cpuL7: 40 })], 'resources').verdict).toBe('does not hold here')
    expect(claim([layers({ l4: 1, l7: 2, cpuL4: 40, cpuL7: 40 })], 'resources').verdict).toBe('inconclusive')
    const results = [layers({ l4: 1, l7: 2, cpuL4: 36, cpuL7: 72, noise: 0 })]
    const at = (price: number) => evaluateClaims(results, claimDefinitions, { pricePerCoreHour: price }).find((c) => c.id === 'cloud-cost')!
    // 36 µs a request: a million take 36 s of CPU, 0.01 core-hours; at $1 a core-hour, $0.0100.
    expect(at(1).measured).toContain('L4 per million requests $0.0100')
    expect(at(2).measured).toContain('L4 per million requests $0.0200')
    // Without noise every repeat is the same: the interval is a point and clears 1.
    expect(at(1).verdict).toBe('holds')
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

  it('rate limiting at the edge: holds when the engine refused the excess, all as 429s; not when failures were something else', () => {
    const limited = (how: 'status' | 'reset', pass = true) => {
      const r = syntheticResult({
        name: 'rate-limiting',
        variants: [
          { ...exact, seed: 1, variant: { offered: '400', balancer: 'engine' }, errorRate: 0.49, expectations: [{ name: 'at twice the limit about half is refused', expected: '', actual: '', pass }] },
          { ...exact, seed: 2, variant: { offered: '2000', balancer: 'engine' }, errorRate: 0.9, expectations: [{ name: 'at ten times the limit about nine in ten are refused', expected: '', actual: '', pass: true }] },
        ],
      })
      if (how === 'reset') return r
      const runs = r.runs.map((run) => ({ ...run, summary: { ...run.summary, requests: { ...run.summary.requests, failures: { byKind: { status: run.summary.requests.failed }, byStatus: { '429': run.summary.requests.failed } } } } }))
      return { ...r, runs }
    }
    const c = claim([limited('status')], 'rate-limiting')
    expect(c.verdict).toBe('holds')
    expect(c.measured).toBe("2× the limit: 49.00% refused (1 − limit/offered: 50.00%); 10× the limit: 90.00% refused (1 − limit/offered: 90.00%); 139 000 of 139 000 failures were the balancer's 429")
    expect(claim([limited('reset')], 'rate-limiting').verdict).toBe('does not hold here')
    expect(claim([limited('status', false)], 'rate-limiting').verdict).toBe('does not hold here')
    expect(claim([syntheticResult({ name: 'rate-limiting', variants: [{ ...exact, variant: { offered: '400', balancer: 'engine' } }] })], 'rate-limiting').verdict).toBe('not measured')
  })

  it('auth offload: holds when valid tokens passed and bad or missing ones were all refused 401 without reaching a backend', () => {
    const offload = (leak: boolean) => {
      const expectation = (name: string) => [{ name, expected: '', actual: '', pass: true }]
      const r = syntheticResult({
        name: 'auth-offload',
        variants: [
          { ...exact, seed: 1, variant: { credential: 'hs256', balancer: 'engine' }, expectations: expectation('valid tokens all pass') },
          { ...exact, seed: 2, variant: { credential: 'es256', balancer: 'engine' }, expectations: expectation('valid tokens all pass') },
          { ...exact, seed: 3, variant: { credential: 'bad-signature', balancer: 'engine' }, errorRate: 1, expectations: expectation('invalid or missing tokens are all refused') },
          { ...exact, seed: 4, variant: { credential: 'none', balancer: 'engine' }, errorRate: 1, expectations: expectation('invalid or missing tokens are all refused') },
        ],
      })
      const runs = r.runs.map((run) => {
        const failed = run.summary.requests.failed
        if (failed === 0) return run
        return { ...run, summary: { ...run.summary, requests: { ...run.summary.requests, failures: { byKind: { status: failed }, byStatus: { '401': failed } } } }, backends: { a: { ...run.backends.a!, requests: leak ? 3 : 0 } } }
      })
      return { ...r, runs }
    }
    const c = claim([offload(false)], 'auth-offload')
    expect(c.verdict).toBe('holds')
    expect(c.measured).toMatch(/^valid tokens passed in 2\/2 runs; of [\d ]+ requests with a bad or no token, [\d ]+ were answered 401 and 0 reached a backend; balancer CPU per request: hs256 /)
    expect(claim([offload(true)], 'auth-offload').verdict).toBe('does not hold here')
    expect(claim([syntheticResult({ name: 'auth-offload', variants: [{ ...exact, variant: { credential: 'hs256', balancer: 'engine' } }] })], 'auth-offload').verdict).toBe('not measured')
  })

  it('the hybrid tier’s costs are differences with their sign and interval, paired by repeat', () => {
    const seen = [{ name: 'backend sees the real client address', expected: '', actual: '', pass: true }]
    const r = syntheticResult({
      name: 'proxy-protocol-hybrid',
      variants: [
        { seed: 1, variant: { path: 'direct' }, p50Us: 300 },
        { seed: 2, variant: { path: 'l7' }, p50Us: 500 },
        // The L4 tier in front measured faster than L7 alone: a negative cost, shown with its sign.
        { seed: 3, variant: { path: 'l4+l7' }, p50Us: 480, expectations: seen },
      ],
    })
    const c = claim([r], 'hybrid')
    expect(c.verdict).toBe('holds')
    expect(c.measured).toMatch(/p50 cost of the L7 tier \+\d+ µs \[\+\d+, \+\d+\] \(93\.7%, 5 repeats\); of the L4 tier in front −\d+\.\d µs \[/)
  })

  it('observability: L4 reports connections only, L7 every request and its status, from the engine’s own statistics', () => {
    // L7 counts `extra` requests more than the run sent (its warm-up), or fewer when negative.
    const observed = (l4: { connections: number; requests: number; responses: Record<string, number> }, extra: number) => {
      const r = layers({ l4: 30, l7: 90 })
      const l7 = (sent: number) => ({ connections: 16, requests: sent + extra, responses: { '2xx': sent + extra } })
      return { ...r, runs: r.runs.map((run): RunResult => (run.variant.balancer !== 'engine' ? run : { ...run, observed: run.variant.layer === 'l4' ? l4 : l7(run.summary.requests.sent) })) }
    }
    const holds = claim([observed({ connections: 16, requests: 16, responses: {} }, 100)], 'observability')
    expect(holds.verdict).toBe('holds')
    expect(holds.measured).toContain('L4 160 connections, 160 relayed, 0 statuses for 993 121 requests')
    expect(claim([observed({ connections: 16, requests: 16, responses: {} }, -1)], 'observability').verdict).toBe('does not hold here')
    expect(claim([observed({ connections: 16, requests: 5000, responses: { '2xx': 5000 } }, 0)], 'observability').verdict).toBe('does not hold here')
    expect(claim([layers({ l4: 30, l7: 90 })], 'observability').verdict).toBe('not measured')
  })

  it('observability: a peer’s own statistics (HAProxy show stat) are read the same way beside the engine’s, which decides the verdict', () => {
    const r = layers({ l4: 30, l7: 90 })
    const engineRuns = r.runs.filter((run) => run.variant.balancer === 'engine')
    const seen = (run: RunResult, source: string, l4Statuses: number): RunResult => ({
      ...run,
      observed:
        run.variant.layer === 'l4'
          ? { source, connections: 16, requests: 0, responses: l4Statuses === 0 ? {} : { '2xx': l4Statuses } }
          : { source, connections: 16, requests: run.summary.requests.sent + 50, responses: { '2xx': run.summary.requests.sent + 50 } },
    })
    const withPeer = (l4Statuses: number): ResultFile => ({
      ...r,
      runs: [...engineRuns.map((run) => seen(run, 'engine /stats', 0)), ...engineRuns.map((run) => seen({ ...run, id: `haproxy-${run.id}`, variant: { ...run.variant, balancer: 'haproxy' } }, 'haproxy show stat', l4Statuses))],
    })
    const same = claim([withPeer(0)], 'observability')
    expect(same.verdict).toBe('holds')
    expect(same.measured).toMatch(/haproxy’s own statistics \(haproxy show stat\): L4 160 connections, 0 relayed, 0 statuses for [\d ]+ requests; L7 .* — the same split/)
    // A peer whose relay reported statuses differs, and says so; the engine's verdict stands.
    const different = claim([withPeer(7)], 'observability')
    expect(different.verdict).toBe('holds')
    expect(different.measured).toContain('— a different split')
  })

  it('WebSocket: holds when the L4 relay (no HTTP seen) and the L7 proxy (a 101 per connection) echo every message in every repeat', () => {
    // Engine runs at L4 and L7 beside direct; `l7Upgrades` 101s per L7 run, `l4Error` the L4 runs' error rate.
    const ws = (o: { l4: number; l7: number; l7Upgrades?: number; l4Error?: number; l4ErrorRepeats?: number }): ResultFile => {
      const r = syntheticResult({
        name: 'websocket',
        variants: [
          { noise: 0.02, repeats: 5, seed: 1, variant: { balancer: 'direct', layer: 'l4' }, p50Us: 200 },
          { noise: 0.02, repeats: 5, seed: 2, variant: { balancer: 'engine', layer: 'l4' }, p50Us: 200 + o.l4 },
          { noise: 0.02, repeats: 5, seed: 3, variant: { balancer: 'engine', layer: 'l7' }, p50Us: 200 + o.l7 },
        ],
      })
      return {
        ...r,
        runs: r.runs.map((run): RunResult => {
          if (run.variant.balancer !== 'engine') return run
          const connections = run.load.connections
          if (run.variant.layer === 'l7') return { ...run, observed: { connections, requests: connections, responses: { '1xx': o.l7Upgrades ?? connections } } }
          const failed = run.repeat <= (o.l4ErrorRepeats ?? 0) ? Math.round(run.summary.requests.sent * (o.l4Error ?? 0)) : 0
          return { ...run, summary: { ...run.summary, requests: { ...run.summary.requests, ok: run.summary.requests.sent - failed, failed } }, observed: { connections, requests: connections, responses: {} } }
        }),
      }
    }
    const holds = claim([ws({ l4: 40, l7: 42 })], 'websocket')
    expect(holds.verdict).toBe('holds')
    expect(holds.why).toContain('once upgraded, L7 relays messages at L4’s cost')
    expect(holds.figures?.map((f) => f.label)).toEqual(['engine L4 added echo p50', 'engine L7 added echo p50', 'L7 − L4 echo p50'])
    expect(claim([ws({ l4: 40, l7: 140 })], 'websocket').why).toContain('L7 still adds more per message than L4, beyond the interval')
    // An L7 proxy that echoed without answering the upgrades did not show the support the claim speaks of.
    expect(claim([ws({ l4: 40, l7: 42, l7Upgrades: 0 })], 'websocket').verdict).toBe('inconclusive')
    expect(claim([ws({ l4: 40, l7: 42, l4Error: 1, l4ErrorRepeats: 5 })], 'websocket').verdict).toBe('does not hold here')
    expect(claim([ws({ l4: 40, l7: 42, l4Error: 0.1, l4ErrorRepeats: 2 })], 'websocket').verdict).toBe('inconclusive')
  })

  it('direct server return is judged from the simulator, labelled so, with the engine’s measured L4 CPU per packet', () => {
    const dsr = claim([layers({ l4: 30, l7: 90, cpuL4: 30, noise: 0 })], 'direct-server-return')
    expect(dsr.basis).toMatch(/^simulated, not measured: one balancer core at 15 µs per packet/)
    expect(dsr.figures?.map((f) => f.label)).toEqual(['DSR ÷ NAT throughput, 64 KiB responses (simulated)', 'DSR ÷ NAT throughput, one-packet responses (simulated)'])
    // 47 packets through the balancer against 1 with large responses; 2 against 1 with small ones, which sits on the ×2 threshold.
    const [large, small] = dsr.figures!
    expect(large!.lower).toBeGreaterThan(2)
    expect(small!.median).toBeLessThan(large!.median)
    expect(['holds', 'holds with nuance', 'inconclusive']).toContain(dsr.verdict)
    expect(claim([layers({ l4: 30, l7: 90, cpuL4: 30, noise: 0 })], 'direct-server-return')).toEqual(dsr)
    expect(claim([syntheticResult({ name: 'l4-vs-l7', variants: [{ variant: { balancer: 'direct' } }] })], 'direct-server-return').verdict).toBe('not measured')
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
