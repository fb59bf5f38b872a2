import { describe, expect, it } from 'vitest'
import { bottleneckWarning, classifyBottleneck, coreShares, runBottleneck, type CoreShares } from '../../../reports/result/bottleneck.js'
import { syntheticResult } from '../../helpers/synthetic-results.js'

const shares = (o: Partial<CoreShares>): CoreShares => ({ balancer: 0.3, backend: 0.3, generator: 0.3, busy: 0.5, steal: 0, ...o })

describe('the bottleneck of a maximum-load run', () => {
  it.each([
    ['balancer at 97% of a core', shares({ balancer: 0.97, busy: 0.95 }), 'balancer'],
    ['generator at 92%', shares({ generator: 0.92 }), 'generator'],
    ['a backend at 90%', shares({ backend: 0.9 }), 'backends'],
    ['balancer 0.88 and generator 0.95: the busier one', shares({ balancer: 0.88, generator: 0.95 }), 'generator'],
    ['nothing saturated, cores full', shares({ balancer: 0.51, backend: 0.47, generator: 0.33, busy: 0.8, steal: 0.15 }), 'machine'],
    ['nothing saturated, cores idle', shares({ busy: 0.4 }), 'none'],
    ['balancer not measured (a peer in a container)', shares({ balancer: null, busy: 0.95 }), 'machine'],
  ] as const)('%s → %s', (_, s, kind) => {
    expect(classifyBottleneck(s).kind).toBe(kind)
  })

  it('warns only when the generator or a backend bound the run', () => {
    expect(bottleneckWarning(classifyBottleneck(shares({ generator: 0.95 })))).toContain('the load generator')
    expect(bottleneckWarning(classifyBottleneck(shares({ backend: 0.95 })))).toContain('the backends')
    expect(bottleneckWarning(classifyBottleneck(shares({ balancer: 0.95 })))).toBeUndefined()
    expect(bottleneckWarning(classifyBottleneck(shares({ busy: 0.95 })))).toBeUndefined()
  })

  it('derives the shares from what result.json saved: CPU µs over the measured phase (sent ÷ rps)', () => {
    // 10 000 req/s for 10 s, 40 µs of balancer CPU and 10 µs of generator CPU a request: 0.4 and 0.1 of a core.
    const run = syntheticResult({ name: 's', variants: [{ rps: 10_000, balancerCpuUs: 40, noise: 0, repeats: 1 }] }).runs[0]!
    const s = coreShares(run)!
    expect(s.balancer).toBeCloseTo(0.4, 3)
    expect(s.generator).toBeCloseTo(0.1, 3)
    expect(s.backend).toBeNull()
    expect(runBottleneck(run)?.kind).toBe('none')
    expect(runBottleneck({ ...run, load: { ...run.load, mode: 'open' } })).toBeUndefined()
  })
})
