import type { RunResult } from './result-model.js'

/** Above this share of one core a single-threaded process is taken as saturated. */
export const SATURATED_SHARE = 0.85
/** Above this share of all the machine's CPU time (steal included) the machine is full. */
export const MACHINE_FULL = 0.9

/**
 * What limited a maximum-load run: a process that saturated its core (the balancer, the load
 * generator, the busiest backend), else `machine` — no process had a core to itself, the cores
 * they share (and the steal) were the limit — else `none` (latency or connections bound it).
 */
export type BottleneckKind = 'balancer' | 'generator' | 'backends' | 'machine' | 'none'

/** Shares of one core each party used over the measured phase; null where not measured. */
export interface CoreShares {
  readonly balancer: number | null
  /** The busiest backend's share (each backend app is single-threaded). */
  readonly backend: number | null
  readonly generator: number
  /** Busy and steal, as shares of all CPU time of the machine. */
  readonly busy: number
  readonly steal: number
}

/** A run's bottleneck, with the shares it was judged from. */
export interface Bottleneck {
  readonly kind: BottleneckKind
  readonly shares: CoreShares
  /** In words, for the report: `balancer at 97% of a core`. */
  readonly detail: string
}

const pct = (x: number) => `${Math.round(x * 100)}%`

/** Shares of a core from what a run saved: CPU µs over the measured phase's wall time (sent ÷ rps). */
export function coreShares(run: Pick<RunResult, 'summary' | 'cpu' | 'backends' | 'machine'>): CoreShares | undefined {
  const { sent } = run.summary.requests
  if (!(run.summary.rps > 0) || sent === 0) return undefined
  const wallUs = (sent / run.summary.rps) * 1e6
  const backendCpu = Object.values(run.backends).flatMap((b) => (b.cpuUs === undefined ? [] : [b.cpuUs]))
  return {
    balancer: run.cpu.balancerUs === null ? null : run.cpu.balancerUs / wallUs,
    backend: backendCpu.length === 0 ? null : Math.max(...backendCpu) / wallUs,
    generator: run.cpu.generatorUs / wallUs,
    busy: run.machine.busy,
    steal: run.machine.steal,
  }
}

/** Classifies from the shares: the most loaded saturated process wins; pure. */
export function classifyBottleneck(s: CoreShares): Bottleneck {
  const candidates = (
    [
      ['balancer', s.balancer],
      ['generator', s.generator],
      ['backends', s.backend],
    ] as const
  ).filter((c): c is readonly ['balancer' | 'generator' | 'backends', number] => c[1] !== null && c[1] >= SATURATED_SHARE)
  const all = `balancer ${s.balancer === null ? 'not measured' : pct(s.balancer)}, busiest backend ${s.backend === null ? 'not measured' : pct(s.backend)}, generator ${pct(s.generator)} of a core; machine ${pct(s.busy + s.steal)} busy (steal ${pct(s.steal)})`
  if (candidates.length > 0) {
    const [kind] = [...candidates].sort((a, b) => b[1] - a[1])[0]!
    return { kind, shares: s, detail: `${kind === 'backends' ? 'a backend' : `the ${kind === 'generator' ? 'load generator' : 'balancer'}`} saturated its core (${all})` }
  }
  if (s.busy + s.steal >= MACHINE_FULL) return { kind: 'machine', shares: s, detail: `no process saturated a core; the shared cores were full (${all})` }
  return { kind: 'none', shares: s, detail: `nothing saturated: neither a process nor the machine (${all})` }
}

/** The bottleneck of a closed-loop (maximum-load) run; undefined for open-loop runs or without traffic. */
export function runBottleneck(run: Pick<RunResult, 'summary' | 'cpu' | 'backends' | 'machine' | 'load'>): Bottleneck | undefined {
  if (run.load.mode !== 'closed') return undefined
  const shares = coreShares(run)
  return shares === undefined ? undefined : classifyBottleneck(shares)
}

/**
 * The warning a maximum-load run deserves when the load generator or a backend saturated its core:
 * its req/s then measures them, not the balancer. Machine-bound runs are recorded, not warned about —
 * on a machine of few cores that is the usual case, and the claims use the balancer's CPU instead.
 */
export function bottleneckWarning(b: Bottleneck): string | undefined {
  if (b.kind !== 'generator' && b.kind !== 'backends') return undefined
  return `maximum load bound by ${b.kind === 'generator' ? 'the load generator' : 'the backends'}, not the balancer: ${b.detail}`
}
