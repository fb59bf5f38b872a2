/**
 * What a run leaves on disk so that another process can clean up after it if it dies: one state
 * file per run under `<tmpdir>/layerbench/` naming its owner process and its backends, plus the
 * /proc readings used to tell a live owner from a dead one whose PID was reused.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

/** The folder of state files and address claims. */
export function stateDir(): string {
  return join(os.tmpdir(), 'layerbench')
}

/** A process that owns backends, identified beyond its PID (which the kernel reuses). */
export interface OwnerRef {
  readonly pid: number
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  readonly startTime?: number
  readonly hostname: string
}

/** The fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function procStatFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Start time of `pid` in clock ticks since boot; `undefined` when it does not exist (or off Linux). */
export function procStartTime(pid: number): number | undefined {
  const v = Number(procStatFields(pid)?.[19])
  return Number.isFinite(v) ? v : undefined
}

/** One-letter scheduler state of `pid` (`R`, `S`, `T` stopped, `Z` zombie…). */
export function procState(pid: number): string | undefined {
  return procStatFields(pid)?.[0]
}

/** User plus system CPU time of `pid` in microseconds (100 ticks a second, Linux's USER_HZ). */
export function procCpuUs(pid: number): number | undefined {
  const f = procStatFields(pid)
  if (f === undefined) return undefined
  const ticks = Number(f[11]) + Number(f[12])
  return Number.isFinite(ticks) ? ticks * 10_000 : undefined
}

/** The command line of `pid` with its arguments joined by spaces. */
export function procCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return undefined
  }
}

/** This process as an owner. */
export function currentOwner(): OwnerRef {
  const startTime = procStartTime(process.pid)
  return { pid: process.pid, hostname: os.hostname(), ...(startTime === undefined ? {} : { startTime }) }
}

/**
 * Whether `owner` still runs. An owner on another host (another PID namespace, e.g. a container
 * sharing the Docker socket) is assumed alive: its PIDs mean nothing here.
 */
export function ownerAlive(owner: OwnerRef): boolean {
  if (owner.hostname !== os.hostname()) return true
  try {
    process.kill(owner.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  if (owner.startTime === undefined) return true
  const now = procStartTime(owner.pid)
  return now === undefined || now === owner.startTime
}

/** A backend as recorded in a state file. */
export interface RecordedBackend {
  readonly id: string
  readonly host: string
  readonly pid?: number
  /** The process's start time (see `procStartTime`): a later reaper kills the PID only if it still matches. */
  readonly startTime?: number
  readonly containerId?: string
}

/** The content of a run's state file. */
export interface RunState {
  readonly runId: string
  readonly kind: 'process' | 'docker'
  readonly owner: OwnerRef
  readonly backends: readonly RecordedBackend[]
}

const PREFIX = 'run-'

function fileName(runId: string): string {
  return `${PREFIX}${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}.json`
}

/** Keeps one run's state file current; written atomically, removed when the run is cleaned up. */
export class RunStateFile {
  readonly path: string
  private readonly owner = currentOwner()

  constructor(
    private readonly runId: string,
    private readonly kind: RunState['kind'],
  ) {
    this.path = join(stateDir(), fileName(runId))
  }

  write(backends: readonly RecordedBackend[]): void {
    const state: RunState = { runId: this.runId, kind: this.kind, owner: this.owner, backends }
    mkdirSync(stateDir(), { recursive: true })
    const tmp = `${this.path}.tmp`
    writeFileSync(tmp, JSON.stringify(state))
    renameSync(tmp, this.path)
  }

  remove(): void {
    rmSync(this.path, { force: true })
  }
}

/** Every readable state file, with its path. */
export function readRunStates(): { path: string; state: RunState }[] {
  let names: string[]
  try {
    names = readdirSync(stateDir())
  } catch {
    return []
  }
  const out: { path: string; state: RunState }[] = []
  for (const name of names) {
    if (!name.startsWith(PREFIX) || !name.endsWith('.json')) continue
    const path = join(stateDir(), name)
    try {
      out.push({ path, state: JSON.parse(readFileSync(path, 'utf8')) as RunState })
    } catch {
      // Being written or removed by its owner right now.
    }
  }
  return out
}
