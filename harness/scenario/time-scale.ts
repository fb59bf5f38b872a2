import type { Expectation, Scenario } from './scenario-schema.js'

const scaleWindow = (w: { from: number; to: number } | undefined, f: number) => (w === undefined ? undefined : { from: w.from * f, to: w.to * f })

function scaledExpectation(e: Expectation, f: number): Expectation {
  if ('share' in e && e.share.window !== undefined) return { ...e, share: { ...e.share, window: scaleWindow(e.share.window, f)! } }
  if ('errorRate' in e && e.window !== undefined) return { ...e, window: scaleWindow(e.window, f)! }
  if ('groupShare' in e && e.groupShare.window !== undefined) return { ...e, groupShare: { ...e.groupShare, window: scaleWindow(e.groupShare.window, f)! } }
  return e
}

/**
 * A scenario with its timeline and expectation windows happening `factor` times as late (0.5:
 * twice as soon), for `quick.timeScale`. Load durations, health-check intervals and expectation
 * bounds in milliseconds (detection, recovery) are not scaled. Pure.
 */
export function scaleTimes(s: Scenario, factor: number): Scenario {
  return {
    ...s,
    timeline: s.timeline.map((t) => ({ ...t, at: t.at * factor })),
    expect: s.expect.map((e) => scaledExpectation(e, factor)),
  }
}
