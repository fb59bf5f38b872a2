import { readdirSync, readFileSync } from 'node:fs'

/** Fields of /proc/<pid>/stat after the command name (the name may hold spaces); undefined once it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Two clock-tick fields added, µs (100 ticks a second). */
function ticksUs(fields: string[] | undefined, a: number, b: number): number | undefined {
  return fields === undefined ? undefined : (Number(fields[a]) + Number(fields[b])) * 10_000
}

/** CPU time a process has used so far, µs (utime + stime from /proc/<pid>/stat, 100 ticks a second); undefined once it is gone. */
export function processCpuUs(pid: number): number | undefined {
  return ticksUs(statFields(pid), 11, 12)
}

/**
 * CPU of a process's children that have ended and been waited for (cutime + cstime), µs: what a
 * master (HAProxy's, nginx's) keeps of workers it replaced at a reload.
 */
export function reapedChildrenCpuUs(pid: number): number | undefined {
  return ticksUs(statFields(pid), 13, 14)
}

/** Whether a process is alive (signal 0 probes without touching it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * CPU time of a process's live threads so far, µs, at the scheduler's nanosecond resolution (the
 * first field of each /proc/<pid>/task/<tid>/schedstat); `processCpuUs` when schedstat is missing.
 * Finer than the 10 ms ticks of /proc/<pid>/stat, which at a few hundred requests a second would
 * be tens of µs per request; but a thread that ends takes its time with it, so this is for
 * processes whose threads live as long as they do (Node, HAProxy, an nginx worker).
 */
export function processCpuFineUs(pid: number): number | undefined {
  let tasks: string[]
  try {
    readFileSync(`/proc/${pid}/schedstat`, 'utf8')
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return processCpuUs(pid)
  }
  let ns = 0
  for (const t of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread ended while the list was read.
    }
  }
  return ns / 1000
}
