import type { CpuUsage } from '../system/cpu-stat.js'
import type { MachineFacts } from '../system/environment.js'
import type { BenchCase } from './bench-cases.js'

/** One measured case, per operation. */
export interface BenchMeasurement {
  readonly case: BenchCase
  /** Median time per operation, ns (median task call ÷ batch). */
  readonly medianNs: number
  /** Mean time per operation, ns. */
  readonly meanNs: number
  /** 99th percentile of task calls ÷ batch, ns: the slow end of whole batches, not of single picks. */
  readonly p99Ns: number
  /** Relative margin of error of the mean, %. */
  readonly rme: number
  /** Timed task calls. */
  readonly samples: number
}

/** A stated performance target and whether this run met it. */
export interface BenchTarget {
  readonly name: string
  readonly caseId: string
  readonly limitNs: number
  readonly measuredNs: number | undefined
  readonly met: boolean
}

/** Everything `layerbench bench` measured: the one model its console and JSON outputs render. */
export interface BenchReport {
  readonly schema: 'layerbench/bench@1'
  readonly startedAt: string
  readonly machine: MachineFacts
  /** Machine CPU use while the bench ran; heavy steal makes every figure suspect. */
  readonly cpu?: CpuUsage
  readonly measurements: readonly BenchMeasurement[]
  readonly targets: readonly BenchTarget[]
  readonly warnings: readonly string[]
}
