/** Label names to values of one series. */
export type Labels = Readonly<Record<string, string>>

/** A histogram in base units: cumulative counts per upper bound (`+Inf` is added), count and sum. */
export interface HistogramSample {
  readonly bounds: readonly number[]
  readonly counts: readonly number[]
  readonly count: number
  readonly sum: number
}

/**
 * The two text formats: Prometheus' 0.0.4 (what `/metrics` serves, timestamps in milliseconds) and
 * OpenMetrics 1.0 (counter families named without `_total`, `# UNIT`, timestamps in seconds, `# EOF`).
 */
export type ExpositionFormat = 'prometheus' | 'openmetrics'

type Kind = 'counter' | 'gauge' | 'histogram'

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
/** Units Prometheus wants converted to its base units (seconds, bytes, ratios). */
const NOT_BASE_UNIT = /_(nanoseconds|microseconds|milliseconds|minutes|hours|days|ns|us|ms|kilobytes|megabytes|gigabytes|kib|mib|gib|percent)(_|$)/
const UNITS = ['seconds', 'bytes', 'ratio'] as const

/** Escapes a label value for the text formats. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

/** A sample value as the text formats spell it. */
function value(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v)
}

/**
 * Builds one exposition, family by family (a family's samples stay together whatever the order of
 * the calls). Misnamed metrics throw: a counter without `_total`, a name in milliseconds or
 * microseconds, a family added with two types — a mistake of the code, caught by any test that
 * renders it.
 */
export class Exposition {
  private readonly families = new Map<string, { kind: Kind; help: string; lines: string[] }>()

  constructor(readonly format: ExpositionFormat = 'prometheus') {}

  /** A monotonic count since start; the name ends in `_total`. `atMs`: epoch milliseconds. */
  counter(name: string, help: string, labels: Labels, v: number, atMs?: number): void {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`)
    const family = this.family(this.format === 'openmetrics' ? name.slice(0, -'_total'.length) : name, 'counter', help)
    family.push(this.line(name, labels, v, atMs))
  }

  /** A value that goes up and down (a state, a level; booleans 0 or 1). */
  gauge(name: string, help: string, labels: Labels, v: number, atMs?: number): void {
    this.family(name, 'gauge', help).push(this.line(name, labels, v, atMs))
  }

  /** Cumulative buckets, `_sum` and `_count`: unlike quantiles, they add up across instances. */
  histogram(name: string, help: string, labels: Labels, h: HistogramSample, atMs?: number): void {
    if (/_(total|count|sum|bucket)$/.test(name)) throw new Error(`histogram ${name}: the suffixes are added`)
    if (h.counts.length !== h.bounds.length) throw new Error(`histogram ${name}: one count per bound`)
    const family = this.family(name, 'histogram', help)
    h.bounds.forEach((le, i) => family.push(this.line(`${name}_bucket`, { ...labels, le: value(le) }, h.counts[i]!, atMs)))
    family.push(this.line(`${name}_bucket`, { ...labels, le: '+Inf' }, h.count, atMs))
    family.push(this.line(`${name}_sum`, labels, h.sum, atMs))
    family.push(this.line(`${name}_count`, labels, h.count, atMs))
  }

  /** The exposition text, newline-terminated (OpenMetrics: ending in `# EOF`). */
  text(): string {
    let out = ''
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.kind}\n`
      const unit = UNITS.find((u) => name.endsWith(`_${u}`))
      if (this.format === 'openmetrics' && unit !== undefined) out += `# UNIT ${name} ${unit}\n`
      out += f.lines.join('\n') + '\n'
    }
    return this.format === 'openmetrics' ? out + '# EOF\n' : out
  }

  private family(name: string, kind: Kind, help: string): string[] {
    if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not valid`)
    if (NOT_BASE_UNIT.test(name)) throw new Error(`metric ${name}: use base units (seconds, bytes, ratio)`)
    let f = this.families.get(name)
    if (f === undefined) this.families.set(name, (f = { kind, help, lines: [] }))
    else if (f.kind !== kind) throw new Error(`metric ${name} is both ${f.kind} and ${kind}`)
    return f.lines
  }

  private line(name: string, labels: Labels, v: number, atMs: number | undefined): string {
    let l = ''
    for (const [k, val] of Object.entries(labels)) {
      if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`label name ${JSON.stringify(k)} of ${name} is not valid`)
      l += `${l === '' ? '' : ','}${k}="${escapeLabel(val)}"`
    }
    const at = atMs === undefined ? '' : ` ${this.format === 'openmetrics' ? value(atMs / 1000) : String(Math.round(atMs))}`
    return `${name}${l === '' ? '' : `{${l}}`} ${value(v)}${at}`
  }
}
