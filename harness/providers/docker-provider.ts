/**
 * Backends as containers of the local Docker Engine, on the host's network so that each binds its
 * own loopback address. Faults are real container operations (kill, pause/unpause, start), limits
 * are the container's CPU and memory settings, and CPU time comes from the container's stats.
 */
import type Docker from 'dockerode'
import { CONFIG_ENV } from '../backend/backend-config.js'
import { ensureBackendImage, type ImageResult } from './backend-image.js'
import { backendConfigFor, portsFor } from './backend-launch.js'
import { registerForCleanup } from './cleanup.js'
import { trackContainer } from './run-children.js'
import { cgroupCpuUs, cgroupMemoryBytes, cgroupMemoryLimitBytes } from './container-cgroup.js'
import { ControlClient, ControlledBackend } from './control-client.js'
import { EngineError } from '../../engine/errors.js'
import { demuxLogs, dockerClient, LABELS, ownerLabels, pingProblem, removeContainersSync, socketOf } from './docker-engine.js'
import { LoopbackAllocator } from './loopback-addresses.js'
import { startBatch } from './start-batch.js'
import type { BackendPorts, BackendProvider, BackendSpec, BackendStats, ProviderOptions, RunningBackend } from './types.js'

const DEFAULT_READY_TIMEOUT_MS = 20_000
const STOP_GRACE_S = 5
const POLL_MS = 100

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** An Engine error's HTTP status, if it is one. */
function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode
}

/** Container names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. */
function containerName(runId: string, id: string): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '_')
  return `layerbench-${clean(runId)}-${clean(id)}-${Math.random().toString(36).slice(2, 6)}`
}

class DockerBackend extends ControlledBackend implements RunningBackend {
  readonly ports: BackendPorts
  protected readonly control: ControlClient
  private cpuBaseUs = 0
  private hostPid: number | undefined

  constructor(
    readonly spec: BackendSpec,
    readonly host: string,
    private readonly container: Docker.Container,
    private readonly readyTimeoutMs: number,
    private readonly log: (line: string) => void,
  ) {
    super()
    this.ports = portsFor(spec)
    this.control = new ControlClient(host, this.ports.control)
  }

  get containerId(): string {
    return this.container.id
  }

  get pid(): number | undefined {
    return this.hostPid
  }

  private async inspectState(): Promise<Docker.ContainerInspectInfo['State'] | undefined> {
    try {
      return (await this.container.inspect()).State
    } catch (e) {
      if (statusOf(e) === 404) return undefined
      throw e
    }
  }

  private async logsTail(lines = 20): Promise<string> {
    try {
      const buf = (await this.container.logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer
      return demuxLogs(buf).trimEnd()
    } catch {
      return ''
    }
  }

  private async fail(what: string): Promise<Error> {
    const tail = await this.logsTail()
    return new Error(`backend ${this.spec.id} on ${this.host} (container ${this.container.id.slice(0, 12)}): ${what}${tail === '' ? '' : `; its log ends with:\n${tail}`}`)
  }

  /** Starts the container and resolves once its control API answers. */
  async launch(signal?: AbortSignal): Promise<void> {
    await this.container.start()
    await this.control.waitReady({
      timeoutMs: this.readyTimeoutMs,
      pollMs: POLL_MS,
      checkEvery: 5,
      signal,
      check: async () => {
        const state = await this.inspectState()
        if (state === undefined) throw new Error(`backend ${this.spec.id}: its container was removed while starting`)
        if (!state.Running) throw await this.fail(`container exited before ready (code ${state.ExitCode}${state.OOMKilled ? ', out of memory' : ''})`)
      },
      timedOut: () => this.fail(`not ready within ${this.readyTimeoutMs} ms`),
    })
    this.hostPid = (await this.inspectState())?.Pid || undefined
  }

  private async keepCpu(): Promise<void> {
    this.cpuBaseUs += (await this.currentCpuUs()) ?? 0
  }

  private async currentCpuUs(): Promise<number | undefined> {
    // The cgroup files answer at once; the Engine's stats endpoint can take a second.
    const fromCgroup = this.hostPid === undefined ? undefined : cgroupCpuUs(this.hostPid)
    if (fromCgroup !== undefined) return fromCgroup
    try {
      const stats = await this.container.stats({ stream: false, 'one-shot': true })
      const ns = stats.cpu_stats?.cpu_usage?.total_usage
      return typeof ns === 'number' ? Math.round(ns / 1000) : undefined
    } catch {
      return undefined
    }
  }

  async kill(): Promise<void> {
    const state = await this.inspectState()
    if (state === undefined || !state.Running) return
    await this.keepCpu()
    try {
      await this.container.kill({ signal: 'SIGKILL' })
    } catch (e) {
      if (statusOf(e) !== 409) throw e // 409: it stopped meanwhile
    }
    await this.container.wait({ condition: 'not-running' })
    this.hostPid = undefined
  }

  async pause(): Promise<void> {
    await this.container.pause()
  }

  async resume(): Promise<void> {
    try {
      await this.container.unpause()
    } catch (e) {
      if (statusOf(e) !== 409) throw e // 409: not paused
    }
  }

  async restart(): Promise<void> {
    await this.kill()
    this.log(`backend ${this.spec.id}: restarting container ${this.container.id.slice(0, 12)} on ${this.host}`)
    await this.launch()
  }

  async stop(): Promise<void> {
    const state = await this.inspectState()
    if (state === undefined || !state.Running) return
    if (state.Paused) await this.resume()
    await this.keepCpu()
    try {
      await this.container.stop({ t: STOP_GRACE_S })
    } catch (e) {
      if (statusOf(e) !== 304 && statusOf(e) !== 409) throw e // already stopped
    }
    this.hostPid = undefined
  }

  async cpuUs(): Promise<number | undefined> {
    const state = await this.inspectState()
    if (state === undefined || !state.Running) return this.cpuBaseUs
    const now = await this.currentCpuUs()
    return now === undefined ? undefined : this.cpuBaseUs + now
  }

  async stats(): Promise<BackendStats> {
    const state = await this.inspectState()
    if (state === undefined || !state.Running) return { cpuUs: this.cpuBaseUs }
    const pid = state.Pid || undefined
    const cpuUs = pid === undefined ? undefined : cgroupCpuUs(pid)
    const memoryBytes = pid === undefined ? undefined : cgroupMemoryBytes(pid)
    const memoryLimitBytes = pid === undefined ? undefined : cgroupMemoryLimitBytes(pid)
    if (cpuUs !== undefined && memoryBytes !== undefined && memoryLimitBytes !== undefined) return { cpuUs: this.cpuBaseUs + cpuUs, memoryBytes, memoryLimitBytes }
    try {
      const s = await this.container.stats({ stream: false, 'one-shot': true })
      const ns = s.cpu_stats?.cpu_usage?.total_usage
      const out: { cpuUs?: number; memoryBytes?: number; memoryLimitBytes?: number } = {}
      if (typeof ns === 'number') out.cpuUs = this.cpuBaseUs + Math.round(ns / 1000)
      if (typeof s.memory_stats?.usage === 'number') out.memoryBytes = s.memory_stats.usage
      if (typeof s.memory_stats?.limit === 'number') out.memoryLimitBytes = s.memory_stats.limit
      return out
    } catch {
      return { cpuUs: this.cpuBaseUs }
    }
  }
}

/** Starts backends as containers. Create it with `createProvider`, which checks the Engine answers. */
export class DockerProvider implements BackendProvider {
  readonly kind = 'docker' as const
  readonly warnings: string[] = []
  private readonly backends = new Set<DockerBackend>()
  private readonly allocator = new LoopbackAllocator()
  private readonly log: (line: string) => void
  private image: Promise<ImageResult> | undefined
  private unregister: (() => void) | undefined
  private readonly untrack = new Map<string, () => void>()

  constructor(
    private readonly docker: Docker,
    private readonly options: ProviderOptions,
  ) {
    this.log = options.log ?? (() => {})
  }

  async describe(): Promise<{ kind: string; version?: string }> {
    const v = await this.docker.version()
    return { kind: 'docker', version: v.Version }
  }

  /** The backend image, built on first use when absent. */
  ensureImage(): Promise<ImageResult> {
    this.image ??= ensureBackendImage(this.docker, { build: this.options.imageBuild ?? 'auto', log: this.log }).catch((e: unknown) => {
      this.image = undefined
      throw e
    })
    return this.image
  }

  private runFilter(): { label: string[] } {
    return { label: [`${LABELS.run}=${this.options.runId}`, `${LABELS.owner}=${process.pid}`] }
  }

  private async create(spec: BackendSpec, host: string, image: string): Promise<Docker.Container> {
    const limits = spec.limits
    return this.docker.createContainer({
      name: containerName(this.options.runId, spec.id),
      Image: image,
      Env: [`${CONFIG_ENV}=${JSON.stringify(backendConfigFor(spec, host))}`],
      Labels: {
        [LABELS.marker]: '1',
        [LABELS.run]: this.options.runId,
        [LABELS.backend]: spec.id,
        [LABELS.group]: spec.group,
        ...ownerLabels(),
      },
      HostConfig: {
        NetworkMode: 'host',
        Init: true,
        ...(limits?.cpus === undefined ? {} : { NanoCpus: Math.round(limits.cpus * 1e9) }),
        ...(limits?.cpuset === undefined ? {} : { CpusetCpus: limits.cpuset }),
        ...(limits?.memoryMb === undefined ? {} : { Memory: limits.memoryMb * 2 ** 20 }),
      },
    })
  }

  async start(specs: readonly BackendSpec[], signal?: AbortSignal): Promise<RunningBackend[]> {
    const image = (await this.ensureImage()).name
    const batch: DockerBackend[] = []
    this.unregister ??= registerForCleanup(this)
    try {
      return await startBatch(
        specs,
        this.allocator,
        async (spec, host, sig) => {
          const container = await this.create(spec, host, image)
          // Listed in the run's state file, and removed by the run's watchdog if this process dies.
          const untrack = trackContainer(`container ${spec.id}`, container.id, socketOf(this.options.socketPath))
          this.untrack.set(container.id, untrack)
          const b = new DockerBackend(spec, host, container, this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, this.log)
          this.backends.add(b)
          batch.push(b)
          await b.launch(sig)
          this.log(`backend ${spec.id}: ready on ${host} (container ${container.id.slice(0, 12)})`)
          return b
        },
        signal,
      )
    } catch (e) {
      await Promise.allSettled(batch.map((b) => this.remove(b.containerId)))
      for (const b of batch) {
        this.backends.delete(b)
        this.allocator.release(b.host)
      }
      throw e
    }
  }

  private async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true })
    } catch (e) {
      if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e // gone, or being removed already
    }
    this.untrack.get(id)?.()
    this.untrack.delete(id)
  }

  /** Removes every container of this run (found by its labels, so even ones whose start failed midway). */
  async stopAll(): Promise<void> {
    const ids = new Set([...this.backends].map((b) => b.containerId))
    try {
      for (const c of await this.docker.listContainers({ all: true, filters: this.runFilter() })) ids.add(c.Id)
    } catch (e) {
      this.log(`cannot list the containers of run ${this.options.runId}: ${(e as Error).message}`)
    }
    const results = await Promise.allSettled([...ids].map((id) => this.remove(id)))
    this.backends.clear()
    this.allocator.releaseAll()
    this.unregister?.()
    this.unregister = undefined
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  killNowSync(): void {
    removeContainersSync(
      socketOf(this.options.socketPath),
      [...this.backends].map((b) => b.containerId),
    )
    this.backends.clear()
    this.allocator.releaseAll()
  }
}

/** The docker provider, once its Engine answers; `LB_ERR_DOCKER_UNAVAILABLE` naming the remedies when not. */
export async function createDockerProvider(options: ProviderOptions): Promise<DockerProvider> {
  const docker = dockerClient(options.socketPath)
  const problem = await pingProblem(docker, options.pingTimeoutMs ?? 1000)
  if (problem === undefined) return new DockerProvider(docker, options)
  throw new EngineError(
    'LB_ERR_DOCKER_UNAVAILABLE',
    `no Docker Engine answers at ${socketOf(options.socketPath)} (${problem}): run harness/setup/start-dockerd.sh as root to start one, or pass --provider process`,
  )
}
