import type { Backend } from './types.js'

/**
 * Walks a table of owner indices (a hash ring's points, a Maglev lookup table) from `start`,
 * wrapping, to the first backend not yet tried: how the hash balancers fail over on retry.
 */
export function firstUntriedOwner(owners: Int32Array, backends: readonly Backend[], start: number, tried: ReadonlySet<string>): Backend | undefined {
  const size = owners.length
  for (let step = 0, k = start; step < size; step++, k = k + 1 === size ? 0 : k + 1) {
    const b = backends[owners[k]!]!
    if (!tried.has(b.id)) return b
  }
  return undefined
}
