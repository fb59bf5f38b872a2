import { algorithms, type AlgorithmName } from '../../engine/balancing/registry.js'

/** What a bench case measures. */
export type BenchKind = 'pick' | 'pick+feedback' | 'build' | 'hash'

/** Backend weight profiles: all equal, or mixed 1–5 (weighted algorithms take other code paths). */
export type WeightProfile = 'equal' | 'mixed'

/** One measurement: a group runs in its own worker so call sites stay monomorphic. */
export interface BenchCase {
  readonly id: string
  readonly group: string
  readonly kind: BenchKind
  readonly subject: string
  readonly n?: number
  readonly weights?: WeightProfile
  /** Operations per task call; results are per operation. */
  readonly batch: number
  /** Algorithm options for pick and build cases. */
  readonly options?: Record<string, unknown>
}

/** Picks per timed call: large enough that the timer's own ~100 ns cost is noise. */
export const PICK_BATCH = 1000

/** Backend counts measured by default. */
export const DEFAULT_SIZES = [10, 100, 1000] as const

/** Non-default configurations worth measuring beside an algorithm's defaults. */
const VARIANTS: Partial<Record<AlgorithmName, readonly (readonly [string, Record<string, unknown>])[]>> = {
  // What a first pick in a fresh bucket costs: full O(n) scoring.
  rendezvous: [['rendezvous, exact scoring (bucketBits 0)', { bucketBits: 0 }]],
}

/** Every bench case, grouped by algorithm, for the given backend counts. */
export function benchCases(sizes: readonly number[] = DEFAULT_SIZES, only?: readonly string[]): BenchCase[] {
  const cases: BenchCase[] = []
  for (const name of Object.keys(algorithms) as AlgorithmName[]) {
    if (only !== undefined && !only.includes(name)) continue
    const algorithm = algorithms[name]
    const profiles: WeightProfile[] = algorithm.weighted ? ['equal', 'mixed'] : ['equal']
    for (const [subject, options] of [[name, undefined] as const, ...(VARIANTS[name] ?? [])]) {
      for (const weights of profiles) {
        for (const n of sizes) {
          const common = { group: name, subject, n, weights, batch: PICK_BATCH, ...(options === undefined ? {} : { options }) }
          cases.push({ id: `${subject}/pick/${weights}/${n}`, kind: 'pick', ...common })
          if (algorithm.feedback) cases.push({ id: `${subject}/pick+feedback/${weights}/${n}`, kind: 'pick+feedback', ...common })
        }
      }
    }
  }
  const builds: [string, string, Record<string, unknown>][] = [
    ['maglev', 'maglev M=65537', { tableSize: 65_537 }],
    ['ring-hash', 'ring-hash, Envoy sizing (min 1024)', {}],
    ['ring-hash', 'ring-hash, 160 points per weight', { pointsPerWeight: 160 }],
  ]
  for (const [algorithm, subject, options] of builds) {
    if (only !== undefined && !only.includes(algorithm)) continue
    for (const n of sizes) cases.push({ id: `${subject}/build/${n}`, group: `build:${algorithm}`, kind: 'build', subject, n, batch: 1, options })
  }
  if (only === undefined || only.includes('hash')) {
    cases.push({ id: 'murmur3/string', group: 'hash', kind: 'hash', subject: 'murmur3, "10.1.2.3:40000" string', batch: PICK_BATCH })
    cases.push({ id: 'murmur3/bytes', group: 'hash', kind: 'hash', subject: 'murmur3, 16 bytes', batch: PICK_BATCH })
  }
  return cases
}

/** Weights for a profile: 1 each, or cycling 1, 2, 3, 4, 5. */
export function profileWeight(profile: WeightProfile, i: number): number {
  return profile === 'equal' ? 1 : 1 + (i % 5)
}
