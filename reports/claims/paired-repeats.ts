import type { RunResult } from '../result/result-model.js'
import { DECISIVE_REPEATS } from './claim-figure.js'

/** Above this steal (share of all CPU time) a run is disturbed: the hypervisor ran other guests. */
export const DISTURBED_STEAL = 0.1
/** Above this share of all CPU time taken by other processes a run is disturbed. */
export const DISTURBED_FOREIGN = 0.3

/** Why a run was disturbed by the machine (steal, other processes), or undefined when it was not. */
export function disturbance(run: RunResult): string | undefined {
  const why: string[] = []
  if (run.machine.heavySteal || run.machine.steal > DISTURBED_STEAL) why.push(`steal ${Math.round(run.machine.steal * 100)}%`)
  if ((run.machine.foreign ?? 0) > DISTURBED_FOREIGN) why.push(`other processes ${Math.round(run.machine.foreign! * 100)}% of the CPU`)
  return why.length === 0 ? undefined : why.join(', ')
}

/** Per-repeat values of a comparison, and what was done with disturbed repeats. */
export interface PairedValues {
  readonly values: readonly number[]
  /** Repeats left out, each with its reason (`repeat 2: steal 15%`). */
  readonly excluded: readonly string[]
  /** Disturbed repeats kept because too few quiet ones remained: the interval is then widened. */
  readonly keptDisturbed: readonly string[]
}

/**
 * Pairs the runs of two variants by repeat — interleaved, so the two runs of a pair ran minutes
 * apart at most and share the machine's drift — and computes one value per pair. A pair with a
 * disturbed run is left out while at least {@link DECISIVE_REPEATS} quiet pairs remain; otherwise
 * every pair is kept and the caller widens the interval (`keptDisturbed` says which and why).
 */
export function pairedByRepeat(a: readonly RunResult[], b: readonly RunResult[], value: (a: RunResult, b: RunResult) => number | null | undefined): PairedValues {
  const byRepeat = new Map(b.map((r) => [r.repeat, r]))
  const pairs: { value: number; disturbed?: string }[] = []
  for (const ra of a) {
    const rb = byRepeat.get(ra.repeat)
    if (rb === undefined) continue
    const v = value(ra, rb)
    if (v === null || v === undefined || !Number.isFinite(v)) continue
    const why = [disturbance(ra), disturbance(rb)].filter((w): w is string => w !== undefined)
    pairs.push({ value: v, ...(why.length === 0 ? {} : { disturbed: `repeat ${ra.repeat}: ${[...new Set(why)].join('; ')}` }) })
  }
  const quiet = pairs.filter((p) => p.disturbed === undefined)
  const disturbed = pairs.flatMap((p) => (p.disturbed === undefined ? [] : [p.disturbed]))
  if (quiet.length >= DECISIVE_REPEATS || disturbed.length === 0) return { values: quiet.map((p) => p.value), excluded: disturbed, keptDisturbed: [] }
  return { values: pairs.map((p) => p.value), excluded: [], keptDisturbed: disturbed }
}

/** A sentence on disturbed repeats for the claims page, empty when there were none. */
export function disturbanceNote(...paired: readonly PairedValues[]): string {
  const excluded = [...new Set(paired.flatMap((p) => p.excluded))]
  const kept = [...new Set(paired.flatMap((p) => p.keptDisturbed))]
  const parts: string[] = []
  if (excluded.length > 0) parts.push(`excluded as disturbed: ${excluded.join('; ')}`)
  if (kept.length > 0) parts.push(`disturbed but kept (too few quiet repeats), so the interval is the full range: ${kept.join('; ')}`)
  return parts.join('. ')
}
