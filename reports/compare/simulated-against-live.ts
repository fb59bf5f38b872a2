import { aggregateRuns, spread, type VariantAggregate } from '../result/aggregate.js'
import type { ResultFile } from '../result/result-model.js'

/** Whether every result of a set is a simulation (`provider: simulator`). */
export function isSimulated(results: readonly ResultFile[]): boolean {
  return results.length > 0 && results.every((r) => r.environment.provider === 'simulator')
}

/**
 * Of two result sets, which is the live one and which its simulation — undefined unless exactly
 * one of them is simulated. A simulation is a model of a run, not a later version of it: the two
 * are set side by side, never judged as a regression of one against the other.
 */
export function liveAndSimulated<T extends { readonly results: readonly ResultFile[] }>(sides: readonly T[]): { live: T; simulated: T } | undefined {
  if (sides.length !== 2) return undefined
  const [a, b] = [sides[0]!, sides[1]!]
  const [sa, sb] = [isSimulated(a.results), isSimulated(b.results)]
  if (sa === sb || (!sa && a.results.some((r) => r.environment.provider === 'simulator')) || (!sb && b.results.some((r) => r.environment.provider === 'simulator'))) return undefined
  return sa ? { live: b, simulated: a } : { live: a, simulated: b }
}

/** A figure of one variant, measured and simulated (medians over repeats; undefined when not reported). */
export interface PairedFigure {
  readonly live: number | undefined
  readonly simulated: number | undefined
  /** simulated ÷ live, when both are positive. */
  readonly ratio: number | undefined
}

/** One variant present in both the live run and the simulation. */
export interface PairedVariant {
  readonly key: string
  readonly rps: PairedFigure
  readonly p50Us: PairedFigure
  readonly p99Us: PairedFigure
  readonly errorRate: PairedFigure
  readonly balancerCpuPerRequestUs: PairedFigure
  /** Median handshake (connect and TLS) of runs that opened connections while measuring. */
  readonly handshakeP50Us: PairedFigure
}

/** A scenario's variants, paired; and those only one side has. */
export interface PairedScenario {
  readonly scenario: string
  readonly variants: readonly PairedVariant[]
  readonly onlyLive: readonly string[]
  readonly onlySimulated: readonly string[]
}

function pair(live: number | undefined, simulated: number | undefined): PairedFigure {
  return { live, simulated, ratio: live !== undefined && simulated !== undefined && live > 0 && simulated > 0 ? simulated / live : undefined }
}

/** The median over a variant's measured runs of their handshake p50, when they measured handshakes. */
function handshakeP50(a: VariantAggregate): number | undefined {
  const values = a.runs.filter((r) => r.skipped === undefined && r.summary.handshakeUs !== undefined).map((r) => r.summary.handshakeUs!.p50)
  return values.length === 0 ? undefined : spread(values).median
}

function measured(results: readonly ResultFile[], scenario: string): Map<string, VariantAggregate> {
  const byKey = new Map<string, VariantAggregate>()
  for (const r of results) if (r.scenario.name === scenario) for (const a of aggregateRuns(r)) if (a.skipped === undefined) byKey.set(a.key, a)
  return byKey
}

/**
 * Pairs a scenario's variants of a live run and its simulation by their matrix key: rate, median
 * and tail latency, error rate, the balancer's CPU per request and the median handshake, each with
 * the simulation's ratio to the live figure.
 */
export function simulatedAgainstLive(live: readonly ResultFile[], simulated: readonly ResultFile[], scenario: string): PairedScenario {
  const l = measured(live, scenario)
  const s = measured(simulated, scenario)
  const variants = [...l.keys()]
    .filter((k) => s.has(k))
    .map((key): PairedVariant => {
      const a = l.get(key)!
      const b = s.get(key)!
      return {
        key,
        rps: pair(a.rps.median, b.rps.median),
        p50Us: pair(a.p50Us.median, b.p50Us.median),
        p99Us: pair(a.p99Us.median, b.p99Us.median),
        errorRate: pair(a.errorRate.median, b.errorRate.median),
        balancerCpuPerRequestUs: pair(a.balancerCpuPerRequestUs?.median, b.balancerCpuPerRequestUs?.median),
        handshakeP50Us: pair(handshakeP50(a), handshakeP50(b)),
      }
    })
  return { scenario, variants, onlyLive: [...l.keys()].filter((k) => !s.has(k)), onlySimulated: [...s.keys()].filter((k) => !l.has(k)) }
}
