import type { RunResult } from '../result/result-model.js'
import { DECISIVE_REPEATS } from './claim-figure.js'

/** Above this steal (share of all CPU time) a run is disturbed: the hypervisor ran other guests. */
export const DISTURBED_STEAL = 0.1
/** Above this share of all CPU time taken by other processes a run is disturbed. */
export const DISTURBED_FOREIGN = 0.3

/** How the machine disturbed a repeat: steal and other processes' share of all CPU time, when above their limits. */
export interface Disturbance {
  readonly repeat: number
  readonly steal?: number
  readonly foreign?: number
}

/** How a run was disturbed by the machine, or undefined when it was not. */
function disturbanceOf(run: RunResult): Omit<Disturbance, 'repeat'> | undefined {
  const steal = run.machine.heavySteal || run.machine.steal > DISTURBED_STEAL ? run.machine.steal : undefined
  const foreign = (run.machine.foreign ?? 0) > DISTURBED_FOREIGN ? run.machine.foreign : undefined
  return steal === undefined && foreign === undefined ? undefined : { ...(steal === undefined ? {} : { steal }), ...(foreign === undefined ? {} : { foreign }) }
}

const pct = (x: number) => `${Math.round(x * 100)}%`
const describe = (d: Omit<Disturbance, 'repeat'>) => [d.steal === undefined ? '' : `steal ${pct(d.steal)}`, d.foreign === undefined ? '' : `other processes ${pct(d.foreign)} of the CPU`].filter((t) => t !== '').join(', ')

/** Why a run was disturbed by the machine (steal, other processes), or undefined when it was not. */
export function disturbance(run: RunResult): string | undefined {
  const d = disturbanceOf(run)
  return d === undefined ? undefined : describe(d)
}

/** The larger of two optional shares. */
const larger = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b))

/** Per-repeat values of a comparison, and what was done with disturbed repeats. */
export interface PairedValues {
  readonly values: readonly number[]
  /** Disturbed repeats left out. */
  readonly excluded: readonly Disturbance[]
  /** Disturbed repeats kept because too few quiet ones remained: the interval is then widened. */
  readonly keptDisturbed: readonly Disturbance[]
}

/**
 * Pairs the runs of two variants by repeat — interleaved, so the two runs of a pair ran seconds
 * apart and share the machine's drift — and computes one value per pair. A pair with a disturbed
 * run is left out while at least {@link DECISIVE_REPEATS} quiet pairs remain; otherwise every pair
 * is kept and the caller widens the interval (`keptDisturbed` says which and how).
 */
export function pairedByRepeat(a: readonly RunResult[], b: readonly RunResult[], value: (a: RunResult, b: RunResult) => number | null | undefined): PairedValues {
  const byRepeat = new Map(b.map((r) => [r.repeat, r]))
  const pairs: { value: number; disturbed?: Disturbance }[] = []
  for (const ra of a) {
    const rb = byRepeat.get(ra.repeat)
    if (rb === undefined) continue
    const v = value(ra, rb)
    if (v === null || v === undefined || !Number.isFinite(v)) continue
    const da = disturbanceOf(ra)
    const db = disturbanceOf(rb)
    const disturbed = da === undefined && db === undefined ? undefined : merged(ra.repeat, [da ?? {}, db ?? {}])
    pairs.push({ value: v, ...(disturbed === undefined ? {} : { disturbed }) })
  }
  const quiet = pairs.filter((p) => p.disturbed === undefined)
  const disturbed = pairs.flatMap((p) => (p.disturbed === undefined ? [] : [p.disturbed]))
  if (quiet.length >= DECISIVE_REPEATS || disturbed.length === 0) return { values: quiet.map((p) => p.value), excluded: disturbed, keptDisturbed: [] }
  return { values: pairs.map((p) => p.value), excluded: [], keptDisturbed: disturbed }
}

/** One repeat's disturbance from several runs of it: the worst of each. */
function merged(repeat: number, ds: readonly Omit<Disturbance, 'repeat'>[]): Disturbance {
  const steal = ds.reduce<number | undefined>((m, d) => larger(m, d.steal), undefined)
  const foreign = ds.reduce<number | undefined>((m, d) => larger(m, d.foreign), undefined)
  return { repeat, ...(steal === undefined ? {} : { steal }), ...(foreign === undefined ? {} : { foreign }) }
}

/** Disturbances of several comparisons, one per repeat (the worst of each), in repeat order. */
function byRepeat(ds: readonly Disturbance[]): Disturbance[] {
  const groups = new Map<number, Disturbance[]>()
  for (const d of ds) groups.set(d.repeat, [...(groups.get(d.repeat) ?? []), d])
  return [...groups].sort(([x], [y]) => x - y).map(([repeat, g]) => merged(repeat, g))
}

/** A sentence on disturbed repeats for the claims page, empty when there were none. */
export function disturbanceNote(...paired: readonly PairedValues[]): string {
  const excluded = byRepeat(paired.flatMap((p) => p.excluded))
  const kept = byRepeat(paired.flatMap((p) => p.keptDisturbed))
  const parts: string[] = []
  if (excluded.length > 0) parts.push(`excluded as disturbed: ${excluded.map((d) => `repeat ${d.repeat} (${describe(d)})`).join(', ')}`)
  if (kept.length > 0) {
    const worst = merged(0, kept)
    parts.push(`${kept.length} disturbed repeat(s) kept (too few quiet ones), so the interval is the full range: ${describe(worst).replace(/(steal|processes) /g, '$1 up to ')}`)
  }
  return parts.join('. ')
}
