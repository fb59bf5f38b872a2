import type { Backend } from '../../engine/balancing/types.js'

/** Backends named by the keys of `weights`, on 127.0.0.1 from port 9001 up. */
export function weighted(weights: Record<string, number>): Backend[] {
  return Object.entries(weights).map(([id, weight], i) => ({ id, host: '127.0.0.1', port: 9001 + i, weight }))
}

/** `n` backends b0…b(n−1) with weight 1 (or `weight(i)`). */
export function many(n: number, weight: (i: number) => number = () => 1): Backend[] {
  return Array.from({ length: n }, (_, i) => ({ id: `b${i}`, host: '127.0.0.1', port: 10_000 + i, weight: weight(i) }))
}

/** Deterministic distinct keys shaped like client addresses. */
export function clientKeys(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => {
    const k = i + offset
    return `10.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}:${40_000 + (k % 20_000)}`
  })
}

/** Count of picks per backend id. */
export function tally(ids: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  return counts
}
