import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { LatencyHistogram } from '../../../../engine/stats/latency-histogram.js'
import { estimateOffset, onAgentClock } from '../../../../harness/load/distributed/clock-offset.js'
import { mergeAgents, mergeIntervals, summaryFromIntervals, type AgentReport } from '../../../../harness/load/distributed/merge-agents.js'
import { evenParts, splitPlan } from '../../../../harness/load/distributed/split-plan.js'
import type { IntervalSample, LoadSummary } from '../../../../harness/load/load-types.js'

const template = { generator: 'layerbench', protocol: 'http' as const, mode: 'closed' as const }

function histogramOf(values: readonly number[]): LatencyHistogram {
  const h = new LatencyHistogram()
  for (const v of values) h.record(v)
  return h
}

function interval(startMs: number, values: readonly number[], extra: Partial<IntervalSample> = {}): { sample: IntervalSample; histogram: string } {
  const h = histogramOf(values)
  return { sample: { startMs, sent: values.length, ok: values.length, failed: 0, latencyUs: h.summary(), byBackend: { b: values.length }, byStatus: { '200': values.length }, ...extra }, histogram: h.encode() }
}

function summaryOf(values: readonly number[], over: Partial<LoadSummary> = {}): LoadSummary {
  const h = histogramOf(values)
  return {
    ...template,
    sent: values.length,
    ok: values.length,
    failed: 0,
    failures: { byKind: {}, byStatus: {} },
    byBackend: { b: values.length },
    latencyUs: h.summary(),
    histograms: { latency: h.encode() },
    achievedRate: values.length,
    elapsedMs: 1000,
    timeseries: [],
    generatorCpu: { userUs: 1000, systemUs: 500, perRequestUs: 1, utilisation: 0.3 },
    warnings: [],
    ...over,
  }
}

const agent = (id: string, over: Partial<AgentReport>): AgentReport => ({ id, where: 'local', intervals: [], state: 'ok', clockOffsetUs: 0, clockRttUs: 10, ...over })

describe('estimateOffset', () => {
  it('recovers a known offset exactly from symmetric exchanges', () => {
    // Agent clock = coordinator clock + 5 ms; 100 µs each way; the agent takes 20 µs to answer.
    const offset = 5_000_000n
    const s = (t0: bigint, oneWay: bigint) => ({ t0, t1: t0 + oneWay + offset, t2: t0 + oneWay + offset + 20_000n, t3: t0 + 2n * oneWay + 20_000n })
    expect(estimateOffset([s(1_000_000n, 100_000n)])).toEqual({ offsetNs: offset, rttNs: 200_000n })
  })

  it('takes the exchange with the shortest round trip', () => {
    const offset = -3_000_000n
    const symmetric = { t0: 0n, t1: 50_000n + offset, t2: 60_000n + offset, t3: 110_000n }
    // A slow, lopsided exchange (1 ms out, 10 µs back) would misplace the clock by half a millisecond.
    const lopsided = { t0: 0n, t1: 1_000_000n + offset, t2: 1_010_000n + offset, t3: 1_020_000n }
    expect(estimateOffset([lopsided, symmetric])).toEqual({ offsetNs: offset, rttNs: 100_000n })
  })

  it('bounds its error by half the round trip, whatever the asymmetry', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 7n }), fc.bigInt({ min: 0n, max: 10n ** 7n }), fc.bigInt({ min: 0n, max: 10n ** 6n }), (offset, out, back, hold) => {
        const t0 = 10n ** 13n
        const e = estimateOffset([{ t0, t1: t0 + out + offset, t2: t0 + out + hold + offset, t3: t0 + out + hold + back }])
        const error = e.offsetNs > offset ? e.offsetNs - offset : offset - e.offsetNs
        return e.rttNs === out + back && 2n * error <= e.rttNs + 1n
      }),
    )
  })

  it('puts one start instant on each agent’s clock', () => {
    expect(onAgentClock(1_000n, { offsetNs: -250n, rttNs: 0n })).toBe(750n)
  })

  it('refuses to guess without a usable exchange', () => {
    expect(() => estimateOffset([])).toThrow(/no usable clock exchange/)
    expect(() => estimateOffset([{ t0: 100n, t1: 0n, t2: 1000n, t3: 200n }])).toThrow(/no usable/)
  })
})

describe('splitPlan', () => {
  it.each([
    [10, 3, [4, 3, 3]],
    [4, 2, [2, 2]],
    [5, 1, [5]],
  ])('%i split %i ways is %o', (total, n, parts) => {
    expect(evenParts(total, n)).toEqual(parts)
  })

  it('divides connections, rate and the request cap so that the agents add up to the plan', () => {
    const parts = splitPlan({ connections: 5, rate: 1000, maxRequests: 101, durationMs: 1000 }, 2)
    expect(parts.map((p) => p.connections)).toEqual([3, 2])
    expect(parts.map((p) => p.rate)).toEqual([600, 400])
    expect(parts.map((p) => p.maxRequests)).toEqual([51, 50])
    expect(parts.every((p) => p.durationMs === 1000)).toBe(true)
  })

  it('refuses more agents than connections or capped requests', () => {
    expect(() => splitPlan({ connections: 2 }, 3)).toThrow(/at least as many connections/)
    expect(() => splitPlan({ connections: 4, maxRequests: 1 }, 2)).toThrow(/request cap/)
  })
})

describe('mergeAgents', () => {
  // One agent fast, one slow: the merged p99 is the p99 of all samples, not the mean of the two p99s.
  const fast = Array.from({ length: 990 }, (_, i) => 100 + (i % 10))
  const slow = Array.from({ length: 10 }, () => 50_000)

  it('merges distributions by histogram addition and adds the counts', () => {
    const { summary, agents } = mergeAgents([agent('a', { summary: summaryOf(fast) }), agent('b', { summary: summaryOf(slow, { failed: 2, sent: 12, failures: { byKind: { timeout: 2 }, byStatus: {} } }) })], template)
    // As if one generator had recorded every sample (the maximum to the histogram's 3 digits).
    const all = histogramOf([...fast, ...slow]).summary()
    expect({ ...summary.latencyUs, max: 0 }).toEqual({ ...all, max: 0 })
    expect(Math.abs(summary.latencyUs.max - all.max) / all.max).toBeLessThan(1e-3)
    expect(summary.latencyUs.p999).not.toBe((agents[0]!.latencyUs.p999 + agents[1]!.latencyUs.p999) / 2)
    expect(LatencyHistogram.decode(summary.histograms.latency).summary()).toEqual(summary.latencyUs)
    expect(summary).toMatchObject({ sent: 1002, ok: 1000, failed: 2, failures: { byKind: { timeout: 2 } }, byBackend: { b: 1000 } })
    expect(summary.sent).toBe(summary.ok + summary.failed)
    expect(summary.generatorCpu).toMatchObject({ userUs: 2000, systemUs: 1000, utilisation: 0.3 })
    expect(agents.map((a) => [a.id, a.sent, a.state])).toEqual([
      ['a', 990, 'ok'],
      ['b', 12, 'ok'],
    ])
  })

  it('merges interval k of every agent into interval k', () => {
    const series = mergeIntervals([agent('a', { intervals: [interval(0, [100, 200]), interval(1000, [300])] }), agent('b', { intervals: [interval(0, [400])] })])
    expect(series.map((s) => [s.startMs, s.sent, s.latencyUs.max])).toEqual([
      [0, 3, 400],
      [1000, 1, 300],
    ])
    expect(series[0]!.byBackend).toEqual({ b: 3 })
  })

  it('counts a dead agent by what it streamed, its requests in flight as failed, and says so', () => {
    const dead = agent('b', { state: 'dead', reason: 'exited (SIGKILL) before its summary', intervals: [interval(0, [100, 100], { sent: 5 })] })
    const own = summaryFromIntervals(dead, template)
    expect(own).toMatchObject({ sent: 5, ok: 2, failed: 3, failures: { byKind: { aborted: 3 } } })
    const { summary, agents } = mergeAgents([agent('a', { summary: summaryOf(fast) }), dead], template)
    expect(summary.sent).toBe(995)
    expect(summary.sent).toBe(summary.ok + summary.failed)
    expect(agents[1]).toMatchObject({ id: 'b', state: 'dead', sent: 5, ok: 2, failed: 3 })
    expect(summary.warnings).toEqual([expect.stringMatching(/agent b \(local\) died: exited \(SIGKILL\).*in flight as failed/)])
  })

  it('reports a lagging agent and still counts all of it', () => {
    const { summary } = mergeAgents([agent('a', { summary: summaryOf(fast) }), agent('b', { state: 'lagging', reason: '3 interval(s) behind', summary: summaryOf(slow) })], template)
    expect(summary.sent).toBe(1000)
    expect(summary.warnings).toEqual([expect.stringMatching(/agent b \(local\) fell behind: 3 interval/)])
  })
})
