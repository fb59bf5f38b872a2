/**
 * Open-loop arrival processes: each yields the virtual send times (µs) of successive requests,
 * from the start of the run, without regard to how the system answers. Pure and streaming: one
 * number of state per process (a replayed trace holds its own send times, read at the edge).
 */

/** The open-loop arrival kinds, resolved (rates in requests per second, times in µs). */
export type OpenArrival =
  | { readonly kind: 'poisson'; readonly rate: number }
  | { readonly kind: 'constant'; readonly rate: number }
  | { readonly kind: 'bursty'; readonly rate: number; readonly onUs: number; readonly offUs: number; readonly within: 'poisson' | 'constant' }
  | { readonly kind: 'replay'; readonly offsetsUs: Float64Array; readonly speed: number; readonly loop: boolean }

/** Successive send times; Infinity once a finite source (a trace without loop) is exhausted. */
export type ArrivalStream = () => number

/** An exponential gap with mean `meanUs` by inversion (1 − U is in (0, 1], so the log is finite). */
function exponential(meanUs: number, random: () => number): number {
  return -meanUs * Math.log(1 - random())
}

/**
 * Builds the arrival stream of `spec`, starting at `startUs`.
 * - poisson: gaps exponential with mean 1/rate;
 * - constant: the k-th send at start + k/rate (computed, not accumulated, so no drift);
 * - bursty: a process in "on-time" at the peak rate rate·(on + off)/on, mapped onto the wall clock
 *   by inserting an off period after each on period: the long-run mean stays `rate`;
 * - replay: the trace's offsets divided by `speed`; looping repeats it every span + mean gap.
 */
export function arrivalStream(spec: OpenArrival, random: () => number, startUs = 0): ArrivalStream {
  switch (spec.kind) {
    case 'poisson': {
      const mean = 1e6 / spec.rate
      let t = startUs
      return () => (t += exponential(mean, random))
    }
    case 'constant': {
      const gap = 1e6 / spec.rate
      let k = 0
      return () => startUs + gap * k++
    }
    case 'bursty': {
      const { onUs, offUs } = spec
      const peak = (spec.rate * (onUs + offUs)) / onUs
      const mean = 1e6 / peak
      let onTime = 0
      let k = 0
      const poisson = spec.within === 'poisson'
      return () => {
        onTime = poisson ? onTime + exponential(mean, random) : mean * k++
        const period = Math.floor(onTime / onUs)
        return startUs + period * (onUs + offUs) + (onTime - period * onUs)
      }
    }
    case 'replay': {
      const offsets = spec.offsetsUs
      const n = offsets.length
      if (n === 0) return () => Infinity
      const first = offsets[0]!
      const span = offsets[n - 1]! - first
      const period = n > 1 ? span + span / (n - 1) : 1e6
      let i = 0
      let lap = 0
      return () => {
        if (i === n) {
          if (!spec.loop) return Infinity
          i = 0
          lap++
        }
        return startUs + (lap * period + offsets[i++]! - first) / spec.speed
      }
    }
  }
}

/**
 * Parses a trace: one send time per line in ms (the first column of CSV), `#` comments and blank
 * lines ignored, a header line allowed. Returns offsets in µs, or the problems found (line-numbered).
 */
export function parseTrace(text: string): { offsetsUs: Float64Array; problems: string[] } {
  const values: number[] = []
  const problems: string[] = []
  const lines = text.split(/\r?\n/)
  let last = -Infinity
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim()
    if (line === '') return
    const first = line.split(/[,;\t ]/)[0]!.trim()
    const v = Number(first)
    if (first === '' || !Number.isFinite(v)) {
      if (values.length === 0 && problems.length === 0 && i === lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'))) return // a header
      if (problems.length < 10) problems.push(`line ${i + 1}: "${first}" is not a time in ms`)
      return
    }
    if (v < 0 || v < last) {
      if (problems.length < 10) problems.push(`line ${i + 1}: ${v < 0 ? `${v} ms is negative` : `${v} ms comes before ${last} ms (times must not decrease)`}`)
      return
    }
    last = v
    values.push(v * 1000)
  })
  if (values.length === 0 && problems.length === 0) problems.push('the trace holds no send times')
  return { offsetsUs: Float64Array.from(values), problems }
}
