import { describe, expect, it } from 'vitest'
import { aggregateRuns } from '../../../reports/result/aggregate.js'
import { isSimulated, liveAndSimulated, simulatedAgainstLive } from '../../../reports/compare/simulated-against-live.js'
import type { ResultFile } from '../../../reports/result/result-model.js'
import { fixtureResult } from '../../helpers/fixture-results.js'

/** The fixture as a simulation would give it: simulator provider, every rate halved, one variant fewer. */
function simulatedCopy(live: ResultFile): ResultFile {
  return {
    ...live,
    environment: { ...live.environment, provider: 'simulator' },
    runs: live.runs.filter((r) => r.variant['algorithm'] !== 'peak-ewma').map((r) => ({ ...r, summary: { ...r.summary, rps: r.summary.rps / 2 } })),
  }
}

describe('a live run and its simulation', () => {
  const live = fixtureResult('algorithm-spread')
  const simulated = simulatedCopy(live)

  it('are told apart by the provider, in either order; two of a kind are not a pair', () => {
    expect([isSimulated([live]), isSimulated([simulated]), isSimulated([])]).toEqual([false, true, false])
    const a = { label: 'live', results: [live] }
    const b = { label: 'sim', results: [simulated] }
    expect(liveAndSimulated([a, b])).toEqual({ live: a, simulated: b })
    expect(liveAndSimulated([b, a])).toEqual({ live: a, simulated: b })
    expect(liveAndSimulated([a, a])).toBeUndefined()
    expect(liveAndSimulated([b, b])).toBeUndefined()
    expect(liveAndSimulated([a, b, a])).toBeUndefined()
    // A side that mixes live and simulated results is neither.
    expect(liveAndSimulated([{ label: 'mixed', results: [live, simulated] }, b])).toBeUndefined()
  })

  it('pair variant by variant, with the simulated figure over the live one', () => {
    const paired = simulatedAgainstLive([live], [simulated], 'algorithm-spread')
    expect(paired.variants.map((v) => v.key)).toEqual(['algorithm=round-robin', 'algorithm=least-connections'])
    expect(paired.onlyLive).toEqual(['algorithm=peak-ewma'])
    expect(paired.onlySimulated).toEqual([])
    const medians = new Map(aggregateRuns(live).map((a) => [a.key, a]))
    for (const v of paired.variants) {
      const a = medians.get(v.key)!
      expect(v.rps.live).toBe(a.rps.median)
      expect(v.rps.ratio).toBeCloseTo(0.5, 12)
      expect(v.p99Us).toEqual({ live: a.p99Us.median, simulated: a.p99Us.median, ratio: 1 })
    }
    // No ratio of zero error rates.
    expect(paired.variants[0]!.errorRate.ratio).toBeUndefined()
    // The live fixture's connections were opened before measuring began: the median of its runs' handshake p50.
    const p50s = live.runs.filter((r) => r.variant['algorithm'] === 'round-robin').map((r) => r.summary.handshakeUs!.p50).sort((a, b) => a - b)
    expect(paired.variants[0]!.handshakeP50Us.live).toBe(p50s[1])
    expect(simulatedAgainstLive([live], [simulated], 'another').variants).toEqual([])
  })

  it('pair the median handshake of runs that measured one', () => {
    const withHandshakes = (r: ResultFile, p50: number): ResultFile => ({
      ...r,
      runs: r.runs.map((run) => ({ ...run, summary: { ...run.summary, handshakeUs: { count: 10, min: p50, mean: p50, p50, p90: p50, p99: p50, p999: p50, max: p50 } } })),
    })
    const paired = simulatedAgainstLive([withHandshakes(live, 4000)], [withHandshakes(simulated, 2000)], 'algorithm-spread')
    expect(paired.variants[0]!.handshakeP50Us).toEqual({ live: 4000, simulated: 2000, ratio: 0.5 })
  })
})
