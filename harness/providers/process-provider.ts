/**
 * Backends as child processes of this one: `node dist/harness/backend/main.js` with its
 * configuration in the environment, faults as signals (SIGKILL, SIGSTOP/SIGCONT, SIGTERM).
 * Always available; only `limits.cpuset` can be applied (through `taskset`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { CONFIG_ENV } from '../backend/backend-config.js'
import { projectRoot } from '../system/environment.js'
import { backendConfigFor, parseReadyLine, portsFor } from './backend-launch.js'
import { registerForCleanup } from './cleanup.js'
import { ControlClient, ControlledBackend } from './control-client.js'
import { LoopbackAllocator } from './loopback-addresses.js'
import { OutputTail } from './output-tail.js'
import { procCpuUs, procStartTime, procState, RunStateFile } from './run-state.js'
import { withLivenessPipe } from '../system/liveness.js'
import { runWatchdog } from '../system/watchdog.js'
import { startBatch } from './start-batch.js'
import type { BackendPorts, BackendProvider, BackendSpec, BackendStats, ProviderOptions, RunningBackend } from './types.js'

/** The backend app's entry point, relative to the project root. */
export const BACKEND_MAIN = 'dist/harness/backend/main.js'
/** What a backend's command line contains; checked before a stale PID is killed. */
export const BACKEND_CMDLINE_MARK = 'harness/backend/main.js'

const DEFAULT_READY_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 5000

/** The absolute path of `command` on PATH, if any. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** How a backend process is started. */
interface LaunchPlan {
  readonly command: string
  readonly args: readonly string[]
  readonly env: NodeJS.ProcessEnv
}

class ProcessBackend extends ControlledBackend implements RunningBackend {
  readonly ports: BackendPorts
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()
  private stderr = new OutputTail()
  /** CPU time of earlier incarnations, read just before each was ended. */
  private cpuBaseUs = 0
  protected readonly control: ControlClient

  constructor(
    readonly spec: BackendSpec,
    readonly host: string,
    private readonly plan: LaunchPlan,
    private readonly readyTimeoutMs: number,
    private readonly onChange: () => void,
    private readonly log: (line: string) => void,
  ) {
    super()
    this.ports = portsFor(spec)
    this.control = new ControlClient(host, this.ports.control)
  }

  /** Start time of the process (see `procStartTime`), recorded in the state file against PID reuse. */
  startTime: number | undefined

  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined
  }

  private get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Spawns the process and resolves once it printed its `ready` line. */
  launch(signal?: AbortSignal): Promise<void> {
    this.stderr = new OutputTail()
    const child = spawn(this.plan.command, this.plan.args, {
      // The liveness pipe: the backend exits by itself when this process dies, however it dies.
      ...withLivenessPipe(['ignore', 'pipe', 'pipe'], this.plan.env),
      cwd: projectRoot(),
      // Its own process group: a Ctrl-C or job-control signal meant for the owner must not reach it.
      detached: true,
    })
    this.child = child
    if (child.pid !== undefined) {
      const pid = child.pid
      const startTime = procStartTime(pid)
      this.startTime = startTime
      runWatchdog().watch(pid, { group: true, ...(startTime === undefined ? {} : { startTime }) })
      child.once('exit', () => runWatchdog().forget(pid))
    }
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    // Keep the state file's PIDs current when a backend dies on its own too.
    child.once('exit', () => this.onChange())
    child.stderr!.on('data', (c: Buffer) => this.stderr.push(c))
    this.onChange()

    return new Promise<void>((resolve, reject) => {
      let pending = ''
      let done = false
      const finish = (error?: Error) => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        child.off('exit', onExit)
        if (error === undefined) return resolve()
        child.kill('SIGKILL')
        reject(error)
      }
      const fail = (what: string) => {
        const tail = this.stderr.lastLines(20)
        return new Error(`backend ${this.spec.id} on ${this.host}: ${what}${tail === '' ? '' : `; its stderr ends with:\n${tail}`}`)
      }
      const timer = setTimeout(() => finish(fail(`not ready within ${this.readyTimeoutMs} ms`)), this.readyTimeoutMs)
      const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'))
      const onExit = (code: number | null, sig: NodeJS.Signals | null) =>
        // Let the last stderr bytes arrive before quoting them.
        setImmediate(() => finish(fail(`exited before ready (${sig ?? `code ${code}`})`)))
      signal?.addEventListener('abort', onAbort, { once: true })
      if (signal?.aborted) onAbort()
      child.once('exit', onExit)
      child.once('error', (e) => finish(fail(`cannot start ${this.plan.command}: ${e.message}`)))
      child.stdout!.on('data', (c: Buffer) => {
        if (done) return
        pending += c.toString('utf8')
        let nl: number
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl)
          pending = pending.slice(nl + 1)
          if (parseReadyLine(line) !== undefined) return finish()
        }
      })
    })
  }

  private keepCpu(): void {
    const pid = this.pid
    if (pid !== undefined) this.cpuBaseUs += procCpuUs(pid) ?? 0
  }

  async kill(): Promise<void> {
    if (!this.alive) return
    this.keepCpu()
    this.child!.kill('SIGKILL')
    await this.exited
  }

  async pause(): Promise<void> {
    const pid = this.pid
    if (pid === undefined) throw new Error(`backend ${this.spec.id} is not running`)
    process.kill(pid, 'SIGSTOP')
    // The signal is delivered asynchronously: return once the process is really stopped.
    for (let i = 0; i < 200 && procState(pid) !== 'T' && procState(pid) !== undefined; i++) await sleep(5)
  }

  async resume(): Promise<void> {
    const pid = this.pid
    if (pid !== undefined) process.kill(pid, 'SIGCONT')
  }

  async restart(): Promise<void> {
    await this.kill()
    this.log(`backend ${this.spec.id}: restarting on ${this.host}`)
    await this.launch()
  }

  async stop(): Promise<void> {
    if (!this.alive) return
    this.keepCpu()
    const child = this.child!
    child.kill('SIGTERM')
    // A stopped process only acts on SIGTERM once continued.
    child.kill('SIGCONT')
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_GRACE_MS)))
    if ((await Promise.race([this.exited, late])) === 'late') {
      this.log(`backend ${this.spec.id}: no exit ${STOP_GRACE_MS} ms after SIGTERM, killing it`)
      child.kill('SIGKILL')
      await this.exited
    }
    clearTimeout(timer)
  }

  /** From the `exit` hook: nothing asynchronous runs any more. */
  killNowSync(): void {
    if (this.alive) this.child!.kill('SIGKILL')
  }

  async cpuUs(): Promise<number | undefined> {
    const pid = this.pid
    if (pid === undefined) return this.cpuBaseUs
    const now = procCpuUs(pid)
    return now === undefined ? undefined : this.cpuBaseUs + now
  }

  async stats(): Promise<BackendStats> {
    const cpuUs = await this.cpuUs()
    return cpuUs === undefined ? {} : { cpuUs }
  }
}

/** Starts backends as child processes. */
export class ProcessProvider implements BackendProvider {
  readonly kind = 'process' as const
  readonly warnings: string[] = []
  private readonly backends = new Set<ProcessBackend>()
  private readonly allocator = new LoopbackAllocator()
  private readonly stateFile: RunStateFile
  private readonly log: (line: string) => void
  private readonly taskset = which('taskset')
  private unregister: (() => void) | undefined

  constructor(private readonly options: ProviderOptions) {
    this.log = options.log ?? (() => {})
    this.stateFile = new RunStateFile(options.runId, 'process')
  }

  async describe(): Promise<{ kind: string; version?: string }> {
    return { kind: 'process', version: `node ${process.version}` }
  }

  private planFor(spec: BackendSpec, host: string): LaunchPlan {
    const main = join(projectRoot(), BACKEND_MAIN)
    if (!existsSync(main)) throw new Error(`${main} is missing: build the project first (npm run build)`)
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', [CONFIG_ENV]: JSON.stringify(backendConfigFor(spec, host)) }
    const limits = spec.limits
    const unapplied = [limits?.cpus !== undefined ? 'limits.cpus' : '', limits?.memoryMb !== undefined ? 'limits.memoryMb' : ''].filter((s) => s !== '')
    if (unapplied.length > 0) this.warnings.push(`backend ${spec.id}: ${unapplied.join(' and ')} not applied by the process provider (the docker provider applies them)`)
    if (limits?.cpuset !== undefined) {
      if (this.taskset !== undefined) return { command: this.taskset, args: ['-c', limits.cpuset, process.execPath, main], env }
      this.warnings.push(`backend ${spec.id}: limits.cpuset not applied: taskset is not installed`)
    }
    return { command: process.execPath, args: [main], env }
  }

  private record(): void {
    if (this.backends.size === 0) return this.stateFile.remove()
    this.stateFile.write([...this.backends].map((b) => ({ id: b.spec.id, host: b.host, ...(b.pid === undefined ? {} : { pid: b.pid, ...(b.startTime === undefined ? {} : { startTime: b.startTime }) }) })))
  }

  async start(specs: readonly BackendSpec[], signal?: AbortSignal): Promise<RunningBackend[]> {
    const batch: ProcessBackend[] = []
    this.unregister ??= registerForCleanup(this)
    try {
      return await startBatch(
        specs,
        this.allocator,
        async (spec, host, sig) => {
          const b = new ProcessBackend(spec, host, this.planFor(spec, host), this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, () => this.record(), this.log)
          this.backends.add(b)
          batch.push(b)
          await b.launch(sig)
          this.log(`backend ${spec.id}: ready on ${host} (pid ${b.pid})`)
          return b
        },
        signal,
      )
    } catch (e) {
      await Promise.allSettled(batch.map((b) => b.stop()))
      for (const b of batch) {
        this.backends.delete(b)
        this.allocator.release(b.host)
      }
      this.record()
      throw e
    }
  }

  async stopAll(): Promise<void> {
    const all = [...this.backends]
    await Promise.allSettled(all.map((b) => b.stop()))
    for (const b of all) this.backends.delete(b)
    this.allocator.releaseAll()
    this.stateFile.remove()
    this.unregister?.()
    this.unregister = undefined
  }

  killNowSync(): void {
    for (const b of this.backends) b.killNowSync()
    this.allocator.releaseAll()
    this.stateFile.remove()
  }
}
