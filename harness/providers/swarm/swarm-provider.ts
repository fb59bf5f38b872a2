/**
 * Backends as Docker Swarm services, spread over the nodes of a swarm (see swarm-service.ts for
 * why each is a one-replica service on its node's host network, on its own address). The manager
 * creates and removes services; faults Swarm has no verb for (kill, pause) go to the task's
 * container through its node's own Engine. Everything is labelled with the run and its owner, so
 * `stopAll`, the exit hook and `reapStale` find it on every node.
 */
import type Docker from 'dockerode'
import { EngineError } from '../../../engine/errors.js'
import { assertValidSpecs, portsFor } from '../backend-launch.js'
import { registerForCleanup } from '../cleanup.js'
import { cgroupCpuUs, cgroupMemoryBytes, cgroupMemoryLimitBytes } from '../container-cgroup.js'
import { ControlClient, ControlledBackend } from '../control-client.js'
import { deleteSync, LABELS, pingProblem } from '../docker-engine.js'
import { startBatch } from '../start-batch.js'
import type { BackendPorts, BackendProvider, BackendSpec, BackendStats, ProviderOptions, RunningBackend } from '../types.js'
import { dockerAt, managerEndpoint, parseEndpoint } from './swarm-engines.js'
import { distributeBackendImage } from './swarm-image.js'
import { backendNodes, freeAddress, NODE_LABELS, spread, type BackendNode, type SwarmNodeInfo } from './swarm-nodes.js'
import { SWARM_LABELS, serviceName, serviceSpecFor, unappliedLimits } from './swarm-service.js'

const DEFAULT_READY_TIMEOUT_MS = 60_000
const STOP_GRACE_S = 5
const POLL_MS = 150
const SERVICE_LABEL = 'com.docker.swarm.service.id'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode

/** A node that can host backends, with a client of its own Engine. */
interface NodeHandle extends BackendNode {
  readonly docker?: Docker
  /** Its Engine is on this host (a unix socket): its containers' PIDs are this host's. */
  readonly local: boolean
}

class SwarmBackend extends ControlledBackend implements RunningBackend {
  readonly ports: BackendPorts
  protected readonly control: ControlClient
  private cpuBaseUs = 0
  private hostPid: number | undefined
  private container: string | undefined

  constructor(
    readonly spec: BackendSpec,
    readonly host: string,
    readonly node: NodeHandle,
    readonly serviceId: string,
    private readonly manager: Docker,
    private readonly readyTimeoutMs: number,
    private readonly log: (line: string) => void,
  ) {
    super()
    this.ports = portsFor(spec)
    this.control = new ControlClient(host, this.ports.control)
  }

  get containerId(): string | undefined {
    return this.container
  }

  get pid(): number | undefined {
    return this.hostPid
  }

  private engine(what: string): Docker {
    if (this.node.docker === undefined) throw new EngineError('LB_ERR_SWARM_UNAVAILABLE', `backend ${this.spec.id}: cannot ${what}: node ${this.node.name} has no layerbench.engine label naming its Engine`)
    return this.node.docker
  }

  /** The service's latest task, as the manager sees it. */
  private async latestTask(): Promise<{ state?: string; err?: string; containerId?: string } | undefined> {
    const tasks = (await this.manager.listTasks({ filters: { service: [this.serviceId] } })) as { CreatedAt?: string; Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string } } }[]
    const latest = tasks.sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''))[0]
    if (latest === undefined) return undefined
    return { ...(latest.Status?.State === undefined ? {} : { state: latest.Status.State }), ...(latest.Status?.Err === undefined ? {} : { err: latest.Status.Err }), ...(latest.Status?.ContainerStatus?.ContainerID === undefined ? {} : { containerId: latest.Status.ContainerStatus.ContainerID }) }
  }

  /** Waits for the control API of a new task; fails early when the task fails. */
  async launch(signal?: AbortSignal): Promise<void> {
    await this.control.waitReady({
      timeoutMs: this.readyTimeoutMs,
      pollMs: POLL_MS,
      checkEvery: 4,
      signal,
      check: async () => {
        const task = await this.latestTask()
        if (task?.state !== undefined && ['failed', 'rejected', 'complete', 'shutdown', 'orphaned'].includes(task.state)) {
          throw new Error(`backend ${this.spec.id} on node ${this.node.name} (${this.host}): its task is ${task.state}${task.err === undefined ? '' : `: ${task.err}`}`)
        }
      },
      timedOut: () => new Error(`backend ${this.spec.id} on node ${this.node.name} (${this.host}): not ready within ${this.readyTimeoutMs} ms`),
    })
    const task = await this.latestTask()
    this.container = task?.containerId
    this.hostPid = undefined
    if (this.container !== undefined && this.node.docker !== undefined && this.node.local) {
      this.hostPid = (await this.node.docker.getContainer(this.container).inspect()).State.Pid || undefined
    }
  }

  private async running(): Promise<Docker.ContainerInspectInfo['State'] | undefined> {
    if (this.container === undefined) return undefined
    try {
      const state = (await this.engine('inspect its container').getContainer(this.container).inspect()).State
      return state.Running ? state : undefined
    } catch (e) {
      if (statusOf(e) === 404) return undefined
      throw e
    }
  }

  private async currentCpuUs(): Promise<number | undefined> {
    const fromCgroup = this.hostPid === undefined ? undefined : cgroupCpuUs(this.hostPid)
    if (fromCgroup !== undefined || this.container === undefined || this.node.docker === undefined) return fromCgroup
    try {
      const ns = (await this.node.docker.getContainer(this.container).stats({ stream: false, 'one-shot': true })).cpu_stats?.cpu_usage?.total_usage
      return typeof ns === 'number' ? Math.round(ns / 1000) : undefined
    } catch {
      return undefined
    }
  }

  async kill(): Promise<void> {
    const state = await this.running()
    if (state === undefined) return
    this.cpuBaseUs += (await this.currentCpuUs()) ?? 0
    const c = this.engine('kill it').getContainer(this.container!)
    try {
      await c.kill({ signal: 'SIGKILL' })
    } catch (e) {
      if (statusOf(e) !== 409) throw e // it stopped meanwhile
    }
    await c.wait({ condition: 'not-running' }).catch(() => undefined)
    this.hostPid = undefined
  }

  async pause(): Promise<void> {
    await this.engine('pause it').getContainer(this.container ?? '').pause()
  }

  async resume(): Promise<void> {
    try {
      await this.engine('resume it').getContainer(this.container ?? '').unpause()
    } catch (e) {
      if (statusOf(e) !== 409) throw e // not paused
    }
  }

  /** A new task of the same service: same node, same address and ports (a forced update). */
  async restart(): Promise<void> {
    await this.kill()
    const service = this.manager.getService(this.serviceId)
    const info = (await service.inspect()) as { Version: { Index: number }; Spec: { TaskTemplate: { ForceUpdate?: number } } & Record<string, unknown> }
    this.log(`backend ${this.spec.id}: restarting as a new task of its service on node ${this.node.name} (${this.host})`)
    await service.update({ version: info.Version.Index, ...info.Spec, TaskTemplate: { ...info.Spec.TaskTemplate, ForceUpdate: (info.Spec.TaskTemplate.ForceUpdate ?? 0) + 1 } })
    // The old task's record can still say `failed`: wait for a task that is not the killed one.
    const old = this.container
    const deadline = Date.now() + this.readyTimeoutMs
    while ((await this.latestTask())?.containerId === old && old !== undefined && Date.now() < deadline) await sleep(POLL_MS)
    await this.launch()
  }

  async stop(): Promise<void> {
    const state = await this.running()
    if (state === undefined) return
    if (state.Paused) await this.resume()
    this.cpuBaseUs += (await this.currentCpuUs()) ?? 0
    try {
      await this.engine('stop it').getContainer(this.container!).stop({ t: STOP_GRACE_S })
    } catch (e) {
      if (statusOf(e) !== 304 && statusOf(e) !== 409) throw e
    }
    this.hostPid = undefined
  }

  async cpuUs(): Promise<number | undefined> {
    if ((await this.running()) === undefined) return this.cpuBaseUs
    const now = await this.currentCpuUs()
    return now === undefined ? undefined : this.cpuBaseUs + now
  }

  async stats(): Promise<BackendStats> {
    if ((await this.running()) === undefined) return { cpuUs: this.cpuBaseUs }
    const pid = this.hostPid
    const cpuUs = await this.currentCpuUs()
    const memoryBytes = pid === undefined ? undefined : cgroupMemoryBytes(pid)
    const memoryLimitBytes = pid === undefined ? undefined : cgroupMemoryLimitBytes(pid)
    if (memoryBytes !== undefined && memoryLimitBytes !== undefined) return { ...(cpuUs === undefined ? {} : { cpuUs: this.cpuBaseUs + cpuUs }), memoryBytes, memoryLimitBytes }
    try {
      const s = await this.node.docker!.getContainer(this.container!).stats({ stream: false, 'one-shot': true })
      return {
        ...(cpuUs === undefined ? {} : { cpuUs: this.cpuBaseUs + cpuUs }),
        ...(typeof s.memory_stats?.usage === 'number' ? { memoryBytes: s.memory_stats.usage } : {}),
        ...(typeof s.memory_stats?.limit === 'number' ? { memoryLimitBytes: s.memory_stats.limit } : {}),
      }
    } catch {
      return { cpuUs: this.cpuBaseUs + (cpuUs ?? 0) }
    }
  }
}

/** Options of the swarm provider beyond the shared ones. */
export interface SwarmOptions {
  /** The manager's endpoint (`unix:///…` or `tcp://host:port`). */
  readonly endpoint: string
  /** Only nodes with all of these labels host backends (e.g. `{ 'layerbench.role': 'worker' }`). */
  readonly nodeLabels?: Readonly<Record<string, string>>
  /** Nodes (by name) that host no backend. */
  readonly excludeNodes?: readonly string[]
}

/** Starts backends as Swarm services. Create it with `createProvider('swarm', …)`, which checks the manager. */
export class SwarmProvider implements BackendProvider {
  readonly kind = 'swarm' as const
  readonly warnings: string[] = []
  private readonly backends = new Set<SwarmBackend>()
  private readonly log: (line: string) => void
  private nodesPromise: Promise<NodeHandle[]> | undefined
  private image: Promise<string> | undefined
  private unregister: (() => void) | undefined

  constructor(
    private readonly manager: Docker,
    private readonly options: ProviderOptions & { readonly swarm: SwarmOptions },
  ) {
    this.log = options.log ?? (() => {})
  }

  /** Checks that `manager` answers and is a manager of a swarm with nodes for backends; `undefined` when fine. */
  static async problem(manager: Docker, timeoutMs: number): Promise<string | undefined> {
    const ping = await pingProblem(manager, timeoutMs)
    if (ping !== undefined) return ping
    const info = (await manager.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } }
    if (info.Swarm?.LocalNodeState !== 'active') return 'this Engine is not part of a swarm'
    if (info.Swarm.ControlAvailable !== true) return 'this Engine is a worker, not a manager'
    return undefined
  }

  async describe(): Promise<{ kind: string; version?: string; nodes?: string[] }> {
    const v = await this.manager.version()
    const nodes = await this.nodes().catch(() => [])
    return { kind: 'swarm', version: v.Version, nodes: nodes.map((n) => n.name) }
  }

  /** The nodes that host backends (read once per provider). */
  nodes(): Promise<NodeHandle[]> {
    this.nodesPromise ??= (async () => {
      const all = (await this.manager.listNodes()) as SwarmNodeInfo[]
      const { nodes, problems } = backendNodes(all)
      for (const p of problems) this.warnings.push(p)
      const wanted = Object.entries(this.options.swarm.nodeLabels ?? {})
      const labelsOf = (id: string) => all.find((n) => n.ID === id)?.Spec?.Labels ?? {}
      const excluded = new Set(this.options.swarm.excludeNodes ?? [])
      const chosen = nodes.filter((n) => !excluded.has(n.name) && wanted.every(([k, v]) => labelsOf(n.id)[k] === v))
      if (chosen.length === 0) {
        throw new EngineError('LB_ERR_SWARM_UNAVAILABLE', `no ready node of the swarm carries layerbench.backend-subnet${wanted.length === 0 ? '' : ` and ${wanted.map(([k, v]) => `${k}=${v}`).join(', ')}`}: label the nodes that may host backends (harness/setup/swarm-lab.sh does so for its lab)`)
      }
      return chosen.map((n) => ({ ...n, ...(n.engine === undefined ? {} : { docker: dockerAt(n.engine) }), local: n.engine !== undefined && parseEndpoint(n.engine) !== undefined && n.engine.startsWith('unix://') }))
    })().catch((e: unknown) => {
      this.nodesPromise = undefined
      throw e
    })
    return this.nodesPromise
  }

  /** The node called `name` with the namespace and address a process can be started in (lab nodes). */
  async processNode(name: string): Promise<{ name: string; netns: string; address: string }> {
    const all = (await this.manager.listNodes()) as SwarmNodeInfo[]
    const labels = all.map((n) => n.Spec?.Labels ?? {}).find((l) => l[NODE_LABELS.name] === name)
    const netns = labels?.[NODE_LABELS.netns]
    const address = labels?.[NODE_LABELS.address]
    if (netns === undefined || address === undefined) throw new EngineError('LB_ERR_SWARM_UNAVAILABLE', `no node ${name} with ${NODE_LABELS.netns} and ${NODE_LABELS.address} labels (the nodes of harness/setup/swarm-lab.sh have them)`)
    return { name, netns, address }
  }

  private ensureImage(nodes: readonly NodeHandle[]): Promise<string> {
    const engines = nodes.flatMap((n) => (n.docker === undefined ? [] : [{ name: n.name, docker: n.docker }]))
    this.image ??= distributeBackendImage(engines, { build: this.options.imageBuild ?? 'auto', log: this.log })
      .then((r) => r.name)
      .catch((e: unknown) => {
        this.image = undefined
        throw e
      })
    return this.image
  }

  private async hostNetworkId(): Promise<string> {
    // The swarm-scoped id of the predefined `host` network, which a service must name.
    // dockerode passes options through as the query; its type declarations omit them.
    const inspect = this.manager.getNetwork('host').inspect as unknown as (opts: { scope: string }) => Promise<{ Id: string }>
    const info = await inspect.call(this.manager.getNetwork('host'), { scope: 'swarm' })
    return info.Id
  }

  /** Addresses held by any layerbench service of the swarm (a concurrent run's too). */
  private async takenAddresses(): Promise<Set<string>> {
    const services = (await this.manager.listServices({ filters: { label: [`${LABELS.marker}=1`] } })) as { Spec?: { Labels?: Record<string, string> } }[]
    return new Set(services.flatMap((s) => s.Spec?.Labels?.[SWARM_LABELS.address] ?? []))
  }

  async start(specs: readonly BackendSpec[], signal?: AbortSignal): Promise<RunningBackend[]> {
    assertValidSpecs(specs)
    signal?.throwIfAborted()
    const nodes = await this.nodes()
    const image = await this.ensureImage(nodes)
    const network = await this.hostNetworkId()
    for (const spec of specs) this.warnings.push(...unappliedLimits(spec))
    const taken = await this.takenAddresses()
    for (const b of this.backends) taken.add(b.host)
    const load = new Map<string, number>()
    for (const b of this.backends) load.set(b.node.id, (load.get(b.node.id) ?? 0) + 1)
    const placed = spread(nodes, specs.length, load)
    const plan = specs.map((spec, i) => {
      const node = placed[i] as NodeHandle
      const host = freeAddress(node.prefix, taken)
      if (host === undefined) throw new EngineError('LB_ERR_SWARM_UNAVAILABLE', `node ${node.name}: no free address left in ${node.prefix}.0/24`)
      taken.add(host)
      return { spec, node, host }
    })
    this.unregister ??= registerForCleanup(this)
    const batch: SwarmBackend[] = []
    let next = 0
    // The placement is made above; the batch only hands it out in order.
    const allocator = { allocate: async () => plan[next++]!.host, release: () => {} }
    try {
      return await startBatch(
        specs,
        allocator,
        async (spec, host, sig) => {
          const node = plan.find((p) => p.host === host)!.node
          const name = serviceName(this.options.runId, spec.id, Math.random().toString(36).slice(2, 6))
          const created = (await this.manager.createService(serviceSpecFor({ spec, host, node, image, runId: this.options.runId, hostNetwork: network, name }))) as { id?: string; ID?: string }
          const b = new SwarmBackend(spec, host, node, (created.id ?? created.ID)!, this.manager, this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, this.log)
          this.backends.add(b)
          batch.push(b)
          await b.launch(sig)
          this.log(`backend ${spec.id}: ready on node ${node.name} at ${host} (service ${b.serviceId.slice(0, 12)})`)
          return b
        },
        signal,
      )
    } catch (e) {
      await Promise.allSettled(batch.map((b) => this.removeService(b.serviceId)))
      await this.removeContainers(nodes, (id) => batch.some((b) => b.serviceId === id))
      for (const b of batch) this.backends.delete(b)
      throw e
    }
  }

  private async removeService(id: string): Promise<void> {
    try {
      await this.manager.getService(id).remove()
    } catch (e) {
      if (statusOf(e) !== 404) throw e
    }
  }

  /** Force-removes the run's containers on every node, so nothing waits for Swarm's stop grace. */
  private async removeContainers(nodes: readonly NodeHandle[], ofService?: (serviceId: string) => boolean): Promise<void> {
    await Promise.allSettled(
      nodes.map(async (n) => {
        if (n.docker === undefined) return
        for (const c of await n.docker.listContainers({ all: true, filters: { label: [`${LABELS.run}=${this.options.runId}`] } })) {
          if (ofService !== undefined && !ofService(c.Labels?.[SERVICE_LABEL] ?? '')) continue
          await n.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)
        }
      }),
    )
  }

  /** Removes every service and container of this run, found by label on the manager and on every node. */
  async stopAll(): Promise<void> {
    const ids = new Set([...this.backends].map((b) => b.serviceId))
    try {
      for (const s of (await this.manager.listServices({ filters: { label: [`${LABELS.run}=${this.options.runId}`] } })) as { ID: string }[]) ids.add(s.ID)
    } catch (e) {
      this.log(`cannot list the services of run ${this.options.runId}: ${(e as Error).message}`)
    }
    const results = await Promise.allSettled([...ids].map((id) => this.removeService(id)))
    const nodes = this.nodesPromise === undefined ? [] : await this.nodesPromise.catch(() => [])
    await this.removeContainers(nodes)
    this.backends.clear()
    this.unregister?.()
    this.unregister = undefined
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  /** The exit hook's last resort: services removed on the manager, containers on local nodes. */
  killNowSync(): void {
    const manager = parseEndpoint(this.options.swarm.endpoint)
    if (manager !== undefined && 'socketPath' in manager) deleteSync(manager.socketPath, [...this.backends].map((b) => `/services/${b.serviceId}`))
    const byNode = new Map<string, string[]>()
    for (const b of this.backends) {
      const at = b.node.engine === undefined ? undefined : parseEndpoint(b.node.engine)
      if (at === undefined || !('socketPath' in at) || b.containerId === undefined) continue
      byNode.set(at.socketPath, [...(byNode.get(at.socketPath) ?? []), `/containers/${b.containerId}?force=true`])
    }
    for (const [socket, paths] of byNode) deleteSync(socket, paths)
    this.backends.clear()
  }
}

/**
 * The swarm provider, once its manager answers as a manager; `LB_ERR_SWARM_UNAVAILABLE` saying why
 * not (no endpoint, no answer, not a manager).
 */
export async function createSwarmProvider(options: ProviderOptions): Promise<SwarmProvider> {
  const endpoint = options.swarmHost ?? managerEndpoint()
  const fail = (why: string) => new EngineError('LB_ERR_SWARM_UNAVAILABLE', `${why}: set LAYERBENCH_SWARM_HOST (or DOCKER_HOST) to a swarm manager, or make a lab on this host with harness/setup/swarm-lab.sh up 3`)
  if (endpoint === undefined) throw fail('no swarm manager given')
  if (parseEndpoint(endpoint) === undefined) throw fail(`${endpoint} is not unix:///path or tcp://host:port`)
  const manager = dockerAt(endpoint)
  const problem = await SwarmProvider.problem(manager, options.pingTimeoutMs ?? 2000)
  if (problem !== undefined) throw fail(`the swarm manager at ${endpoint} cannot be used (${problem})`)
  return new SwarmProvider(manager, {
    ...options,
    swarm: { endpoint, ...(options.swarmNodeLabels === undefined ? {} : { nodeLabels: options.swarmNodeLabels }), ...(options.swarmExcludeNodes === undefined ? {} : { excludeNodes: options.swarmExcludeNodes }) },
  })
}
