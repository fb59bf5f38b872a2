import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LbConfig } from '../../engine/config/lb-config.js'
import type { EngineEvent } from '../../engine/runtime/event-log.js'
import type { EngineStats } from '../../engine/stats/engine-stats.js'
import type { BalancerImplementation } from '../peers/peer-names.js'
import { processCpuUs } from '../system/process-cpu.js'
import { registerChildProcess } from '../providers/cleanup.js'
import { withLivenessPipe } from '../system/liveness.js'
import type { PeerStats } from '../peers/peer-stats.js'

/** A listener of the balancer under test, as bound. */
export interface BoundListener {
  readonly name: string
  readonly protocol: string
  readonly layer: 4 | 7
  readonly host: string
  readonly port: number
}

/** Runtime changes the fault timeline asks of a balancer. A peer may not support some: it throws `Unsupported`. */
export interface BalancerControl {
  setWeight(pool: string, backend: string, weight: number): Promise<void>
  setDraining(pool: string, backend: string, draining: boolean): Promise<void>
  addBackend(pool: string, backend: { id: string; host: string; port: number; weight: number }): Promise<void>
  removeBackend(pool: string, backend: string): Promise<void>
  /** New weights for arms (by pool) of a route's split; absent where the balancer cannot change a split at run time. */
  setSplitWeights?(listener: string, route: string, weights: Readonly<Record<string, number>>): Promise<void>
}

/** A running balancer under test. */
export interface RunningBalancer extends BalancerControl {
  /** `direct`: no balancer, the load goes straight to a backend (see `direct-balancer.ts`). */
  readonly implementation: BalancerImplementation
  /** The user's name for an `external` balancer (reports label its runs with it). */
  readonly name?: string
  readonly version: string
  readonly pid: number
  readonly listeners: ReadonlyMap<string, BoundListener>
  /** Events the balancer reported since the last call (engine only; peers report none). */
  pollEvents(): Promise<EngineEvent[]>
  /** The engine's own statistics (engine only). */
  stats(): Promise<EngineStats | undefined>
  /** A peer's own statistics, where it has a runtime interface that reports them (HAProxy, Caddy). */
  metrics?(): Promise<PeerStats | undefined>
  cpuUs(): number | undefined
  stop(): Promise<void>
}

/** A runtime change the balancer cannot make. */
export class Unsupported extends Error {}

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url))

/** How to run the engine under a profiler. */
export interface EngineProfiling {
  /** Extra flags for node itself (e.g. `--cpu-prof --cpu-prof-dir <dir>`). */
  readonly nodeArgs?: readonly string[]
  /** A command that runs node for us (clinic): the node command line is appended after its args. */
  readonly wrap?: { readonly command: string; readonly args: readonly string[]; readonly env?: Record<string, string> }
  /** How to end it so the profile is written (clinic analyses on SIGINT). */
  readonly stopSignal?: NodeJS.Signals
  /**
   * Run it as a process group of its own and signal the whole group, as a terminal's Ctrl+C
   * does: clinic flame (0x) never signals the process it profiles, it waits for it to end.
   */
  readonly group?: boolean
  /** How long writing the profile may take after the signal. */
  readonly stopTimeoutMs?: number
}

/**
 * Starts the reference engine as its own process (`layerbench serve`), so its CPU is measured
 * apart from the harness and a crash cannot take the harness down. Resolves when every listener
 * and the admin server are bound.
 */
export async function startEngineProcess(config: LbConfig, dir: string, version: string, profiling: EngineProfiling = {}): Promise<RunningBalancer> {
  const file = join(dir, `engine-${process.pid}-${Date.now()}.json`)
  // The harness drives the engine through its admin API (events, stats, the timeline), guarded by
  // a token of this run's own so nothing else on the host can change the balancer under test.
  const adminSection = { listen: config.admin?.listen ?? '127.0.0.1:0', token: config.admin?.token ?? randomBytes(24).toString('base64url') }
  writeFileSync(file, JSON.stringify({ ...config, admin: adminSection }), { mode: 0o600 })
  const nodeCommand = [process.execPath, ...(profiling.nodeArgs ?? []), CLI, 'serve', file, '--quiet', '--drain-ms', '1000']
  const [command, ...args] = profiling.wrap === undefined ? nodeCommand : [profiling.wrap.command, ...profiling.wrap.args, ...nodeCommand]
  const group = profiling.group === true
  // The liveness pipe ends the engine if the harness dies; the watchdog (registerChildProcess)
  // covers a profiler wrapper that does not pass the pipe on.
  const env = { ...process.env, ...(profiling.wrap?.env ?? {}) }
  const stdio = profiling.wrap === undefined ? withLivenessPipe(['ignore', 'pipe', 'pipe'], env) : { stdio: ['ignore', 'pipe', 'pipe'] as StdioOptions, env }
  const child: ChildProcess = spawn(command!, args, { ...stdio, detached: group })
  registerChildProcess(child, { group, role: 'balancer engine' })
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (group) process.kill(-child.pid!, sig)
      else child.kill(sig)
    } catch {
      // Already gone.
    }
  }
  const listeners = new Map<string, BoundListener>()
  let admin = ''
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      signal('SIGKILL')
      reject(new Error(`the engine did not start within 15 s: ${stderr}`))
    }, 15_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the engine exited with ${code} while starting: ${stderr}`))
    })
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      let nl: number
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        const l = /^listening (\S+) (\S+) \(layer (\d)\) on (.+):(\d+)$/.exec(line)
        if (l !== null) listeners.set(l[1]!, { name: l[1]!, protocol: l[2]!, layer: Number(l[3]) as 4 | 7, host: l[4]!, port: Number(l[5]) })
        const a = /^admin on (http:\/\/[^/]+)\/stats$/.exec(line)
        if (a !== null) {
          admin = a[1]!
          clearTimeout(timer)
          child.removeAllListeners('exit')
          resolve()
        }
      }
    })
  })
  let since = 0
  const call = async (method: string, path: string, body?: unknown) => {
    const headers = { authorization: `Bearer ${adminSection.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
    const r = await fetch(`${admin}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const text = await r.text()
    if (!r.ok) throw new Error(`engine admin ${method} ${path}: ${r.status} ${text}`)
    return text === '' ? undefined : (JSON.parse(text) as unknown)
  }
  const enc = encodeURIComponent
  return {
    implementation: 'engine',
    version,
    pid: child.pid!,
    listeners,
    async pollEvents() {
      const events = (await call('GET', `/events?since=${since}`)) as EngineEvent[]
      if (events.length > 0) since = events[events.length - 1]!.seq
      return events
    },
    stats: async () => (await call('GET', '/stats')) as EngineStats,
    cpuUs: () => processCpuUs(child.pid!),
    setWeight: async (pool, backend, weight) => void (await call('POST', `/pools/${enc(pool)}/backends/${enc(backend)}/weight`, { weight })),
    setDraining: async (pool, backend, draining) => void (await call('POST', `/pools/${enc(pool)}/backends/${enc(backend)}/${draining ? 'drain' : 'undrain'}`, {})),
    addBackend: async (pool, b) => void (await call('POST', `/pools/${enc(pool)}/backends`, b)),
    removeBackend: async (pool, backend) => void (await call('DELETE', `/pools/${enc(pool)}/backends/${enc(backend)}`)),
    setSplitWeights: async (listener, route, weights) => void (await call('POST', `/listeners/${enc(listener)}/routes/${enc(route)}/split`, { weights })),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        signal(profiling.stopSignal ?? 'SIGTERM')
        setTimeout(() => signal('SIGKILL'), profiling.stopTimeoutMs ?? 3000).unref()
      }),
  }
}
