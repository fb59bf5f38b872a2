import { Worker } from 'node:worker_threads'
import { cpuUsage, readCpuTimes } from '../system/cpu-stat.js'
import { machineFacts } from '../system/environment.js'
import { benchCases, DEFAULT_SIZES, type BenchCase } from './bench-cases.js'
import type { BenchMeasurement, BenchReport, BenchTarget } from './bench-result.js'

/** What to measure and for how long. */
export interface BenchPlan {
  readonly sizes?: readonly number[]
  /** Algorithm names (and `hash`) to restrict the run to. */
  readonly only?: readonly string[]
  /** Measuring time per case, ms. */
  readonly timeMs: number
  /** Warm-up time per case, ms. */
  readonly warmupMs: number
  /** Called as each group finishes, for progress output. */
  readonly onGroup?: (group: string, done: number, total: number) => void
}

/** The stated targets: any pick ≤ 100 ns median at N = 100; Maglev N=1000 build ≤ 20 ms. */
export const PICK_TARGET_NS = 100
export const MAGLEV_BUILD_TARGET_NS = 20e6

/** CPU steal above this share of CPU time makes a run's figures suspect. */
export const HEAVY_STEAL = 0.1

function runCases(cases: readonly BenchCase[], plan: BenchPlan): Promise<BenchMeasurement[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./bench-worker.js', import.meta.url), {
      workerData: { cases, timeMs: plan.timeMs, warmupMs: plan.warmupMs },
    })
    worker.once('message', (m: { measurements?: BenchMeasurement[]; error?: string }) => {
      void worker.terminate()
      if (m.error !== undefined) reject(new Error(m.error))
      else resolve(m.measurements ?? [])
    })
    worker.once('error', reject)
  })
}

/** Judges the targets against what was measured (targets whose case did not run are left out). */
export function judgeTargets(measurements: readonly BenchMeasurement[]): BenchTarget[] {
  const targets: BenchTarget[] = []
  for (const m of measurements) {
    const c = m.case
    if (c.kind === 'pick' && c.n === 100 && c.options === undefined) {
      targets.push({
        name: `${c.subject} pick (${c.weights} weights) at N=100 ≤ ${PICK_TARGET_NS} ns`,
        caseId: c.id,
        limitNs: PICK_TARGET_NS,
        measuredNs: m.medianNs,
        met: m.medianNs <= PICK_TARGET_NS,
      })
    }
    if (c.kind === 'build' && c.group === 'build:maglev' && c.n === 1000) {
      targets.push({
        name: 'maglev table build, N=1000, M=65537 ≤ 20 ms',
        caseId: c.id,
        limitNs: MAGLEV_BUILD_TARGET_NS,
        measuredNs: m.medianNs,
        met: m.medianNs <= MAGLEV_BUILD_TARGET_NS,
      })
    }
  }
  return targets
}

/**
 * Runs the engine microbenchmarks one after another, each case in a fresh worker: closures made
 * from one literal share JIT feedback, so a second picker in the same isolate would run through
 * polymorphic call sites that a balancer running one pool never has.
 */
export async function runBench(plan: BenchPlan): Promise<BenchReport> {
  const startedAt = new Date().toISOString()
  const cases = benchCases(plan.sizes ?? DEFAULT_SIZES, plan.only)
  const groups = [...new Set(cases.map((c) => c.group))]
  const before = readCpuTimes()
  const measurements: BenchMeasurement[] = []
  for (const [i, group] of groups.entries()) {
    for (const c of cases.filter((x) => x.group === group)) measurements.push(...(await runCases([c], plan)))
    plan.onGroup?.(group, i + 1, groups.length)
  }
  const after = readCpuTimes()
  const cpu = before !== undefined && after !== undefined ? cpuUsage(before, after) : undefined
  const warnings: string[] = []
  if (cpu !== undefined && cpu.steal > HEAVY_STEAL) {
    warnings.push(`CPU steal was ${(cpu.steal * 100).toFixed(1)}% of CPU time during the bench: every figure is inflated; run again when the host is quieter.`)
  }
  const noisy = measurements.filter((m) => m.rme > 10)
  if (noisy.length > 0) warnings.push(`${noisy.length} case(s) have a margin of error above 10%: ${noisy.map((m) => m.case.id).join(', ')}`)
  return {
    schema: 'layerbench/bench@1',
    startedAt,
    machine: machineFacts(),
    ...(cpu === undefined ? {} : { cpu }),
    measurements,
    targets: judgeTargets(measurements),
    warnings,
  }
}
