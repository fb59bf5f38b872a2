import { leastConnections } from './least-connections.js'
import { maglev } from './maglev.js'
import { peakEwma } from './peak-ewma.js'
import { powerOfTwoChoices } from './power-of-two-choices.js'
import { rendezvous } from './rendezvous.js'
import { ringHash } from './ring-hash.js'
import { roundRobin } from './round-robin.js'
import { smoothWeightedRoundRobin } from './smooth-weighted-round-robin.js'
import type { AnyAlgorithm } from './types.js'
import { weightedRandom } from './weighted-random.js'

/**
 * Every balancing algorithm by its canonical name. The L4 proxy, the L7 proxy and the simulator
 * all select from this one table; adding an algorithm means one file and one line here.
 */
export const algorithms = {
  'round-robin': roundRobin,
  'smooth-weighted-round-robin': smoothWeightedRoundRobin,
  'weighted-random': weightedRandom,
  'least-connections': leastConnections,
  p2c: powerOfTwoChoices,
  'peak-ewma': peakEwma,
  'ring-hash': ringHash,
  maglev,
  rendezvous,
} as const satisfies Record<string, AnyAlgorithm>

/** Canonical algorithm names. */
export type AlgorithmName = keyof typeof algorithms

/** Other names users know these algorithms by (HAProxy, nginx, Envoy spellings). */
export const algorithmAliases: Readonly<Record<string, AlgorithmName>> = {
  rr: 'round-robin',
  roundrobin: 'round-robin',
  'weighted-round-robin': 'smooth-weighted-round-robin',
  wrr: 'smooth-weighted-round-robin',
  swrr: 'smooth-weighted-round-robin',
  random: 'weighted-random',
  'least-conn': 'least-connections',
  leastconn: 'least-connections',
  'least-request': 'p2c',
  'power-of-two-choices': 'p2c',
  ewma: 'peak-ewma',
  ketama: 'ring-hash',
  'consistent-hash': 'ring-hash',
  hrw: 'rendezvous',
}

/** Resolves a canonical name or an alias; `undefined` for an unknown name. */
export function resolveAlgorithmName(name: string): AlgorithmName | undefined {
  if (Object.hasOwn(algorithms, name)) return name as AlgorithmName
  return Object.hasOwn(algorithmAliases, name) ? algorithmAliases[name] : undefined
}

/** Every accepted spelling, canonical names first, for error messages and schemas. */
export function algorithmNames(): string[] {
  return [...Object.keys(algorithms), ...Object.keys(algorithmAliases)]
}
