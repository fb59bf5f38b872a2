/**
 * A container's CPU time and memory read straight from its cgroup on the host, through the
 * process the Engine reports (`State.Pid`). The Engine's stats endpoint gives the same counters
 * but takes a second per call on Engines that ignore `one-shot` (Debian's 20.10 does), three
 * seconds a run; the files take microseconds. Both cgroup v1 (cpuacct, memory) and v2 are read;
 * undefined when neither is there (not Linux, another namespace): the caller asks the Engine then.
 */
import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'

const ROOT = '/sys/fs/cgroup'

/** `/proc/<pid>/cgroup` as controller → path; the v2 (unified) hierarchy under the key `''`. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim())
    if (m === null) continue
    if (m[1] === '') out.set('', m[2]!)
    else for (const c of m[1]!.split(',')) out.set(c, m[2]!)
  }
  return out
}

/** `usage_usec` of a v2 `cpu.stat`. */
export function usageUsecOf(cpuStat: string): number | undefined {
  const m = /^usage_usec (\d+)$/m.exec(cpuStat)
  return m === null ? undefined : Number(m[1])
}

type Read = (file: string) => string

function tryRead(read: Read, file: string): string | undefined {
  try {
    return read(file)
  } catch {
    return undefined
  }
}

function cgroupsOf(pid: number, read: Read): Map<string, string> | undefined {
  const text = tryRead(read, `/proc/${pid}/cgroup`)
  return text === undefined ? undefined : parseProcCgroup(text)
}

/** CPU time of the cgroup of `pid` (every process of the container), µs. */
export function cgroupCpuUs(pid: number, read: Read = (f) => readFileSync(f, 'utf8')): number | undefined {
  const groups = cgroupsOf(pid, read)
  if (groups === undefined) return undefined
  const v1 = groups.get('cpuacct')
  if (v1 !== undefined) {
    for (const dir of ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']) {
      const ns = tryRead(read, `${ROOT}/${dir}${v1}/cpuacct.usage`)
      if (ns !== undefined && /^\d+\s*$/.test(ns)) return Math.round(Number(ns) / 1000)
    }
  }
  const v2 = groups.get('')
  if (v2 !== undefined) {
    const stat = tryRead(read, `${ROOT}${v2}/cpu.stat`)
    if (stat !== undefined) return usageUsecOf(stat)
  }
  return undefined
}

/** Memory in use by the cgroup of `pid`, bytes (what `docker stats` reports as usage). */
export function cgroupMemoryBytes(pid: number, read: Read = (f) => readFileSync(f, 'utf8')): number | undefined {
  const groups = cgroupsOf(pid, read)
  if (groups === undefined) return undefined
  const v1 = groups.get('memory')
  const text = v1 !== undefined ? tryRead(read, `${ROOT}/memory${v1}/memory.usage_in_bytes`) : undefined
  const v2 = groups.get('')
  const value = text ?? (v2 === undefined ? undefined : tryRead(read, `${ROOT}${v2}/memory.current`))
  return value !== undefined && /^\d+\s*$/.test(value) ? Number(value) : undefined
}

/**
 * The memory limit of the cgroup of `pid`, bytes; without one, the host's memory (as the Engine
 * reports an unlimited container).
 */
export function cgroupMemoryLimitBytes(pid: number, read: Read = (f) => readFileSync(f, 'utf8')): number | undefined {
  const groups = cgroupsOf(pid, read)
  if (groups === undefined) return undefined
  const v1 = groups.get('memory')
  const v2 = groups.get('')
  const text = (v1 !== undefined ? tryRead(read, `${ROOT}/memory${v1}/memory.limit_in_bytes`) : undefined) ?? (v2 === undefined ? undefined : tryRead(read, `${ROOT}${v2}/memory.max`))
  if (text === undefined) return undefined
  const host = totalmem()
  if (text.trim() === 'max') return host
  if (!/^\d+\s*$/.test(text)) return undefined
  return Math.min(Number(text), host)
}
