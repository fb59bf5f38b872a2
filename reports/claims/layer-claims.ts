import { PEER_NAMES } from '../../harness/peers/peer-names.js'
import { runBottleneck, type BottleneckKind } from '../result/bottleneck.js'
import { formatCount } from '../render/format.js'
import type { ResultFile, RunResult } from '../result/result-model.js'
import { claimFigure, formatFigure, judgeFigure, repeatsNeeded, type ClaimFigure, type FigureJudgement } from './claim-figure.js'
import type { ClaimContext, ClaimDefinition, ClaimJudgement } from './claim-types.js'
import { runsWhere, type VariantMatch } from './measured-runs.js'
import { disturbanceNote, pairedByRepeat, type PairedValues } from './paired-repeats.js'

/** Price of one core for an hour when the user sets none, USD (about an on-demand cloud vCPU). */
export const DEFAULT_PRICE_PER_CORE_HOUR = 0.04

const FIXED: VariantMatch = { load: 'fixed-rate', connection: 'keep-alive' }
const MAX: VariantMatch = { load: 'max', connection: 'keep-alive', balancer: 'engine' }
const notMeasured = (why: string): ClaimJudgement => ({ verdict: 'not measured', measured: '—', why })
const lbCpu = (r: RunResult) => r.cpu.perRequestUs.balancer

/** A figure from paired values, widened when disturbed repeats had to be kept; undefined without values. */
export function figureOf(label: string, unit: ClaimFigure['unit'], paired: PairedValues): ClaimFigure | undefined {
  return paired.values.length === 0 ? undefined : claimFigure(label, unit, paired.values, paired.keptDisturbed.length > 0)
}

/** The same variant's runs, one value per repeat, disturbed repeats handled as for pairs. */
function perRepeat(runs: readonly RunResult[], value: (r: RunResult) => number | null | undefined): PairedValues {
  return pairedByRepeat(runs, runs, (r) => value(r))
}

/** What the outcome says beyond the figures: the note on disturbed repeats, then the reason. */
export function withNote(why: string, ...paired: readonly PairedValues[]): string {
  const note = disturbanceNote(...paired)
  return note === '' ? why : `${why}. ${note}`
}

/** Beyond this many repeats (a scenario's limit) a suggestion is no help: the figure sits on its threshold, or the machine is too disturbed. */
const MOST_REPEATS = 100

/** An inconclusive outcome: the interval straddles, how many repeats might settle it, then the note on disturbed repeats. */
function inconclusive(measured: string, figures: readonly ClaimFigure[], judgements: readonly FigureJudgement[], reason: string, ...paired: readonly PairedValues[]): ClaimJudgement {
  const needed = repeatsNeeded(judgements)
  const helpful = needed !== undefined && needed <= MOST_REPEATS
  const more = needed === undefined ? '' : helpful ? `; about ${needed} repeats might settle it` : `; more than ${MOST_REPEATS} repeats would be needed: the figure sits too close to its threshold for this machine's noise`
  return { verdict: 'inconclusive', measured, figures, why: withNote(`${reason}${more}`, ...paired), ...(helpful ? { repeatsNeeded: needed } : {}) }
}

/** A percentile of `through` minus that of `base`, paired by repeat: the latency one path adds over another. */
export function addedOver(through: readonly RunResult[], base: readonly RunResult[], metric: 'p50' | 'p99'): PairedValues {
  return pairedByRepeat(through, base, (t, b) => t.summary.latencyUs[metric] - b.summary.latencyUs[metric])
}

/** The p50 `through` adds over `base`, with its interval; undefined when no repeat has both. */
export function addedP50Figure(label: string, through: readonly RunResult[], base: readonly RunResult[]): ClaimFigure | undefined {
  return figureOf(label, 'added-µs', addedOver(through, base, 'p50'))
}

/** Added latency of one balancer and layer over direct at the fixed rate, paired by repeat. */
function added(result: ResultFile, balancer: string, layer: string, metric: 'p50' | 'p99'): PairedValues {
  return addedOver(runsWhere(result, { ...FIXED, balancer, layer }), runsWhere(result, { ...FIXED, balancer: 'direct' }), metric)
}

const latencyAdded: ClaimDefinition = {
  id: 'latency-added',
  claim: 'Layer 4 adds microseconds of latency; layer 7 adds milliseconds.',
  scenario: 'l4-vs-l7',
  judge(result) {
    const p4 = added(result, 'engine', 'l4', 'p50')
    const p7 = added(result, 'engine', 'l7', 'p50')
    const gap = addedOver(runsWhere(result, { ...FIXED, balancer: 'engine', layer: 'l7' }), runsWhere(result, { ...FIXED, balancer: 'engine', layer: 'l4' }), 'p50')
    const l4 = figureOf('engine L4 added p50', 'added-µs', p4)
    const l7 = figureOf('engine L7 added p50', 'added-µs', p7)
    const d = figureOf('L7 − L4 p50', 'added-µs', gap)
    if (l4 === undefined || l7 === undefined || d === undefined) return notMeasured('needs the engine at L4 and L7 and the direct baseline at the fixed rate with keep-alive, in the same repeats')
    const shown: ClaimFigure[] = [l4, l7, d]
    for (const [balancer, layer] of (['engine', ...PEER_NAMES] as const).flatMap((b) => (['l4', 'l7'] as const).map((l) => [b, l] as const))) {
      if (balancer !== 'engine') {
        const f = figureOf(`${balancer} ${layer.toUpperCase()} added p50`, 'added-µs', added(result, balancer, layer, 'p50'))
        if (f !== undefined) shown.push(f)
      }
      const p99 = figureOf(`${balancer} ${layer.toUpperCase()} added p99`, 'added-µs', added(result, balancer, layer, 'p99'))
      if (p99 !== undefined) shown.push(p99)
    }
    const measured = `over direct, medians of per-repeat differences: ${shown.map(formatFigure).join('; ')}`
    const j4 = judgeFigure(l4, 1000)
    const j7 = judgeFigure(l7, 1000)
    const jd = judgeFigure(d, 0)
    const note = (why: string) => withNote(why, p4, p7, gap)
    if (j4.side === 'below' && j7.side === 'above') return { verdict: 'holds', measured, figures: shown, why: note('L4 stays under a millisecond and L7 adds a millisecond or more, beyond their intervals') }
    if (jd.side === 'below') return { verdict: 'does not hold here', measured, figures: shown, why: note('L7 added less latency than L4, beyond the interval') }
    if (jd.side === 'above' && j4.side !== 'straddles' && j7.side !== 'straddles') {
      const why = j7.side === 'below' ? 'L7 adds more than L4, beyond the interval, but both stay in microseconds on a keep-alive path' : 'L7 adds more than L4, but L4 too adds a millisecond or more here'
      return { verdict: 'holds with nuance', measured, figures: shown, why: note(why) }
    }
    return inconclusive(measured, shown, [j4, j7, jd], 'an interval straddles its threshold (1 ms for each layer, 0 for L7 − L4)', p4, p7, gap)
  },
}

/** How often each bottleneck bounded these runs: `machine ×4, balancer ×1`. */
function bottleneckTally(runs: readonly RunResult[]): { kinds: Map<BottleneckKind, number>; text: string } {
  const kinds = new Map<BottleneckKind, number>()
  for (const r of runs) {
    const b = r.bottleneck?.kind ?? runBottleneck(r)?.kind
    if (b !== undefined) kinds.set(b, (kinds.get(b) ?? 0) + 1)
  }
  return { kinds, text: [...kinds].map(([k, n]) => `${k} ×${n}`).join(', ') || 'not known' }
}

const throughput: ClaimDefinition = {
  id: 'throughput',
  claim: 'Layer 4 is faster: it sustains more requests per second than layer 7.',
  scenario: 'l4-vs-l7',
  judge(result) {
    const l4Runs = runsWhere(result, { ...MAX, layer: 'l4' })
    const l7Runs = runsWhere(result, { ...MAX, layer: 'l7' })
    const b4 = bottleneckTally(l4Runs)
    const b7 = bottleneckTally(l7Runs)
    // The measured maximum speaks of the balancer only when the balancer was the limit in every run.
    const balancerBound = [...b4.kinds.keys(), ...b7.kinds.keys()].every((k) => k === 'balancer') && b4.kinds.size > 0 && b7.kinds.size > 0
    const ratio = balancerBound ? pairedByRepeat(l4Runs, l7Runs, (a, b) => (b.summary.rps > 0 ? a.summary.rps / b.summary.rps : undefined)) : pairedByRepeat(l4Runs, l7Runs, (a, b) => ((lbCpu(a) ?? 0) > 0 && lbCpu(b) !== null ? lbCpu(b)! / lbCpu(a)! : undefined))
    const capacity = (runs: readonly RunResult[]) => perRepeat(runs, (r) => ((lbCpu(r) ?? 0) > 0 ? 1e6 / lbCpu(r)! : undefined))
    const c4 = figureOf('L4 capacity of one core', 'req/s', capacity(l4Runs))
    const c7 = figureOf('L7 capacity of one core', 'req/s', capacity(l7Runs))
    const r = figureOf(balancerBound ? 'L4 ÷ L7 measured req/s' : 'L4 ÷ L7 capacity', 'ratio', ratio)
    if (r === undefined) return notMeasured('needs the engine at L4 and L7 under maximum (closed-loop) load with keep-alive, with its CPU time measured')
    const figures = [r, ...(c4 === undefined ? [] : [c4]), ...(c7 === undefined ? [] : [c7])]
    const basis = balancerBound ? 'measured maximum (the balancer saturated its core in every run)' : 'balancer-bound capacity, one core ÷ CPU per request (the measured maximum was not balancer-bound)'
    const measured = `${basis}: ${figures.map(formatFigure).join('; ')}; bottleneck L4 ${b4.text}, L7 ${b7.text}`
    const j = judgeFigure(r, 1)
    const why = (w: string) => withNote(w, ratio)
    if (j.side === 'above') return { verdict: 'holds', measured, figures, basis, why: why('one core carries more requests at L4, beyond the interval') }
    if (j.side === 'below') return { verdict: 'does not hold here', measured, figures, basis, why: why('one core carries more requests at L7, beyond the interval') }
    return { ...inconclusive(measured, figures, [j], 'the ratio’s interval straddles 1', ratio), basis }
  },
}

/** CPU per request of L7 over L4 at maximum load (at a low rate, timers and idle work inflate it), paired by repeat. */
function cpuRatio(result: ResultFile): { ratio: PairedValues; l4: PairedValues; l7: PairedValues } {
  const l4Runs = runsWhere(result, { ...MAX, layer: 'l4' })
  const l7Runs = runsWhere(result, { ...MAX, layer: 'l7' })
  return {
    ratio: pairedByRepeat(l7Runs, l4Runs, (a, b) => ((lbCpu(b) ?? 0) > 0 && lbCpu(a) !== null ? lbCpu(a)! / lbCpu(b)! : undefined)),
    l4: perRepeat(l4Runs, lbCpu),
    l7: perRepeat(l7Runs, lbCpu),
  }
}

const resources: ClaimDefinition = {
  id: 'resources',
  claim: 'Layer 7 is resource-intensive: inspecting content costs more CPU per request.',
  scenario: 'l4-vs-l7',
  judge(result) {
    const c = cpuRatio(result)
    const r = figureOf('L7 ÷ L4 CPU per request', 'ratio', c.ratio)
    if (r === undefined) return notMeasured('needs the engine’s CPU time at L4 and L7 under maximum load with keep-alive')
    const figures = [r, figureOf('L4 CPU per request', 'µs', c.l4), figureOf('L7 CPU per request', 'µs', c.l7)].filter((f): f is ClaimFigure => f !== undefined)
    const measured = `engine at maximum load: ${figures.map(formatFigure).join('; ')}`
    const j = judgeFigure(r, 1)
    const why = (w: string) => withNote(w, c.ratio)
    if (j.side === 'above') return { verdict: 'holds', measured, figures, why: why('parsing and proxying HTTP costs more CPU than relaying bytes, beyond the interval') }
    if (j.side === 'below') return { verdict: 'does not hold here', measured, figures, why: why('L7 used less CPU per request than L4, beyond the interval') }
    return inconclusive(measured, figures, [j], 'the ratio’s interval straddles 1', c.ratio)
  },
}

const cloudCost: ClaimDefinition = {
  id: 'cloud-cost',
  claim: 'Layer 4 costs less to run in the cloud.',
  scenario: 'l4-vs-l7',
  judge(result, context: ClaimContext) {
    const price = context.pricePerCoreHour ?? DEFAULT_PRICE_PER_CORE_HOUR
    const c = cpuRatio(result)
    // A core-hour is 3.6e9 µs of CPU: a million requests at x µs each cost x / 3600 core-hours.
    const cost = (p: PairedValues): PairedValues => ({ ...p, values: p.values.map((us) => (us * price) / 3600) })
    const r = figureOf('L7 ÷ L4 cost', 'ratio', c.ratio)
    if (r === undefined) return notMeasured('needs the engine’s CPU per request at L4 and L7 under maximum load with keep-alive')
    const figures = [figureOf('L4 per million requests', 'usd', cost(c.l4)), figureOf('L7 per million requests', 'usd', cost(c.l7)), r].filter((f): f is ClaimFigure => f !== undefined)
    const measured = `balancer CPU at $${price} per core-hour: ${figures.map(formatFigure).join('; ')}`
    const j = judgeFigure(r, 1)
    const why = (w: string) => withNote(`${w} (the balancer’s CPU only: instances, traffic and memory are not priced)`, c.ratio)
    if (j.side === 'above') return { verdict: 'holds', measured, figures, why: why('a million requests cost more CPU at L7, beyond the interval') }
    if (j.side === 'below') return { verdict: 'does not hold here', measured, figures, why: why('a million requests cost less CPU at L7, beyond the interval') }
    return inconclusive(measured, figures, [j], 'the cost ratio’s interval straddles 1 (the balancer’s CPU only)', c.ratio)
  },
}

/** Claims of the seeds no scenario measures yet, each with the reason: none today (kept so a new one has its place). */
const unmeasured: readonly ClaimDefinition[] = []

/** What one balancer's own statistics showed at each layer: each run's observed counts beside the requests sent. */
interface LayerSight {
  readonly l4: readonly (RunObserved & { sent: number })[]
  readonly l7: readonly (RunObserved & { sent: number })[]
}
type RunObserved = NonNullable<RunResult['observed']>

const statusesOf = (o: RunObserved) => Object.values(o.responses).reduce((a, b) => a + b, 0)

function sightOf(result: ResultFile | undefined, balancer: string): LayerSight {
  const seen = (layer: string) => runsWhere(result, { balancer, layer }).flatMap((r) => (r.observed === undefined ? [] : [{ ...r.observed, sent: r.summary.requests.sent }]))
  return { l4: seen('l4'), l7: seen('l7') }
}

/**
 * The claim's test on one balancer's statistics: the L4 relay counts a relayed connection as its
 * unit of work (never more requests than connections, no statuses); each L7 run saw at least the
 * requests the generator sent in the measured phase, and their statuses.
 */
function sightHolds(s: LayerSight): { l4Blind: boolean; l7Sees: boolean } {
  return {
    l4Blind: s.l4.every((o) => o.connections > 0 && o.requests <= o.connections && statusesOf(o) === 0),
    l7Sees: s.l7.every((o) => o.requests >= o.sent && statusesOf(o) >= o.sent),
  }
}

function describeSight(s: LayerSight): string {
  const sum = <T>(xs: readonly T[], f: (o: T) => number) => xs.reduce((a, o) => a + f(o), 0)
  const side = (xs: LayerSight['l4'], unit: string) =>
    `${formatCount(sum(xs, (o) => o.connections))} connections, ${formatCount(sum(xs, (o) => o.requests))} ${unit}, ${formatCount(sum(xs, statusesOf))} statuses for ${formatCount(sum(xs, (o) => o.sent))} requests`
  return `L4 ${side(s.l4, 'relayed')}; L7 ${side(s.l7, 'requests')}; ${s.l4.length} and ${s.l7.length} runs`
}

const observability: ClaimDefinition = {
  id: 'observability',
  claim: 'Layer 4 observes connection counts; layer 7 observes request rates, status codes and latency.',
  scenario: 'l4-vs-l7',
  judge(result) {
    const engine = sightOf(result, 'engine')
    if (engine.l4.length === 0 || engine.l7.length === 0) return notMeasured('needs the engine’s own statistics (/stats) from runs at L4 and at L7')
    // Peers that report their own statistics at both layers (HAProxy's `show stat`) are read the same way, beside it.
    const peers = PEER_NAMES.map((name) => ({ name, sight: sightOf(result, name) })).filter((p) => p.sight.l4.length > 0 && p.sight.l7.length > 0)
    const peerText = peers.map((p) => {
      const { l4Blind, l7Sees } = sightHolds(p.sight)
      return `; ${p.name}’s own statistics (${p.sight.l7[0]!.source ?? 'its runtime API'}): ${describeSight(p.sight)} — ${l4Blind && l7Sees ? 'the same split' : 'a different split'}`
    })
    const measured = `what the engine’s /stats reported (warm-up included) against requests sent: ${describeSight(engine)}${peerText.join('')}`
    const { l4Blind, l7Sees } = sightHolds(engine)
    if (l4Blind && l7Sees) return { verdict: 'holds', measured, why: 'the L4 relay counted connections and bytes only; the L7 proxy counted every request and its status (and times each request: engine time, head → upstream)' }
    return { verdict: 'does not hold here', measured, why: l4Blind ? 'the L7 proxy missed requests or statuses' : 'the L4 relay reported requests or statuses, or no connections' }
  },
}

/** The claims the l4-vs-l7 scenario judges, in reading order. */
export const layerClaims: readonly ClaimDefinition[] = [latencyAdded, throughput, resources, cloudCost, observability]
/** Claims of the seeds not judged from a measurement yet. */
export const unmeasuredClaims: readonly ClaimDefinition[] = unmeasured
