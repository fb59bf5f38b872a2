/**
 * The q-quantile of values already sorted ascending, interpolating linearly between order
 * statistics (Hyndman & Fan type 7, the default of R and NumPy): h = (n − 1)·q,
 * Q = x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋+1 − x⌊h⌋).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty sample')
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`)
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const a = sorted[lo]!
  return lo + 1 < sorted.length ? a + (h - lo) * (sorted[lo + 1]! - a) : a
}

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  return quantileSorted([...values].sort((a, b) => a - b), 0.5)
}
