import { readFileSync } from 'node:fs'

/** Aggregate CPU time counters from /proc/stat, in clock ticks. */
export interface CpuTimes {
  readonly user: number
  readonly nice: number
  readonly system: number
  readonly idle: number
  readonly iowait: number
  readonly irq: number
  readonly softirq: number
  readonly steal: number
}

/** Machine CPU use between two readings, as fractions of all CPU time. */
export interface CpuUsage {
  /** Time the hypervisor gave to other guests while this one wanted to run. */
  readonly steal: number
  /** Time this machine spent running anything (user, system, irq). */
  readonly busy: number
  readonly idle: number
  /** Seconds of wall time × cores the readings span. */
  readonly spanCpuSeconds: number
}

/** Parses the aggregate `cpu` line of /proc/stat; `undefined` when absent or malformed. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '))
  if (line === undefined) return undefined
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number]
  return { user, nice, system, idle, iowait, irq, softirq, steal }
}

/** Reads /proc/stat; `undefined` off Linux. */
export function readCpuTimes(): CpuTimes | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'))
  } catch {
    return undefined
  }
}

/** CPU use between two readings (100 ticks a second, Linux's USER_HZ). */
export function cpuUsage(before: CpuTimes, after: CpuTimes): CpuUsage {
  const d = (k: keyof CpuTimes) => Math.max(after[k] - before[k], 0)
  const busy = d('user') + d('nice') + d('system') + d('irq') + d('softirq')
  const idle = d('idle') + d('iowait')
  const steal = d('steal')
  const total = busy + idle + steal
  if (total === 0) return { steal: 0, busy: 0, idle: 1, spanCpuSeconds: 0 }
  return { steal: steal / total, busy: busy / total, idle: idle / total, spanCpuSeconds: total / 100 }
}
