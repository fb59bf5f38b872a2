/**
 * What a backend provider promises the runner: backends on their own loopback address with fixed
 * ports, started and faulted (killed, hung, restarted) as real processes or containers.
 */
import type { Behaviour, BehaviourPatch } from '../backend/backend-config.js'

/**
 * A protocol a backend serves. `http` and `https` share one listener, so a backend has one of them
 * (HTTP/1.x and HTTP/2 alike); `grpc` is the echo service on a listener of its own (h2c).
 */
export type BackendProtocol = 'http' | 'https' | 'grpc' | 'tcp' | 'udp'

/** Resource limits; which of them a provider could apply is reported in its `warnings`. */
export interface BackendLimits {
  /** CPU quota in cores (docker `NanoCpus`). */
  readonly cpus?: number
  /** CPUs the backend may run on, in `taskset -c` / `--cpuset-cpus` syntax (`0`, `0-1`, `0,2`). */
  readonly cpuset?: string
  readonly memoryMb?: number
}

/** One backend to start. */
export interface BackendSpec {
  readonly id: string
  /** The scenario's name for the set this backend belongs to (e.g. `stable`, `canary`). */
  readonly group: string
  readonly protocols: readonly BackendProtocol[]
  /** PEM certificate and key, required with `https`. */
  readonly tls?: { readonly cert: string; readonly key: string }
  readonly proxyProtocol?: 'none' | 'v1' | 'v2' | 'any'
  /** HTTP/2 and gRPC maximum connection age (see the backend's `connectionAge`). */
  readonly connectionAge?: { readonly maxMs: number; readonly graceMs: number }
  readonly behaviour?: Behaviour
  readonly seed?: number
  readonly limits?: BackendLimits
}

/** Where a running backend listens. Ports are fixed per protocol, so a restart keeps them. */
export interface BackendPorts {
  readonly http?: number
  readonly https?: number
  readonly grpc?: number
  readonly tcp?: number
  readonly udp?: number
  readonly control: number
}

/** Resource use of a backend, as far as its provider can tell. */
export interface BackendStats {
  /** CPU time used so far, over every incarnation (restarts included). */
  readonly cpuUs?: number
  readonly memoryBytes?: number
  readonly memoryLimitBytes?: number
}

/** A started backend and the faults that can be done to it. */
export interface RunningBackend {
  readonly spec: BackendSpec
  /** Its own loopback address, e.g. `127.23.4.5`. */
  readonly host: string
  readonly ports: BackendPorts
  /** The process (for docker: the container's main process on the host) of the current incarnation. */
  readonly pid?: number
  readonly containerId?: string
  /** Abrupt death: SIGKILL / `docker kill`. */
  kill(): Promise<void>
  /** A hung backend that accepts and answers nothing: SIGSTOP / `docker pause`. */
  pause(): Promise<void>
  /** SIGCONT / `docker unpause`. */
  resume(): Promise<void>
  /** Starts it again at the same address and ports (killing it first if it still runs); resolves once ready. */
  restart(): Promise<void>
  /** Graceful stop (SIGTERM); `restart` can bring it back. */
  stop(): Promise<void>
  /** Changes the behaviour through the control API (`PUT /behaviour`): absent fields are kept, `null` clears one. */
  configure(behaviour: BehaviourPatch): Promise<void>
  /** `POST /health`: what `/health` answers from now on. */
  setHealthy(healthy: boolean): Promise<void>
  /** `GET /state` of the control API. */
  state(): Promise<unknown>
  /** CPU time used so far in microseconds, restarts included; `undefined` when it cannot be read. */
  cpuUs(): Promise<number | undefined>
  /** CPU and memory use for the result. */
  stats(): Promise<BackendStats>
}

/** The providers there are (see provider-registry.ts). */
export type BackendProviderKind = 'process' | 'docker' | 'swarm'

/** Starts backends as local processes, as containers, or as services of a cluster. */
export interface BackendProvider {
  readonly kind: BackendProviderKind
  /** Limits or options a provider could not apply, one line each; grows with every `start`. */
  readonly warnings: readonly string[]
  /** The kind and, for docker and swarm, the Docker Engine's version. */
  describe(): Promise<{ kind: string; version?: string }>
  /** Starts every spec; on failure or abort, whatever this call started is stopped again. */
  start(specs: readonly BackendSpec[], signal?: AbortSignal): Promise<RunningBackend[]>
  /** Removes every backend of this run. Idempotent. */
  stopAll(): Promise<void>
}

/** Options shared by the providers. */
export interface ProviderOptions {
  /** Names this run in state files and container labels; unique among concurrent runs. */
  readonly runId: string
  readonly log?: (line: string) => void
  /** How long a backend may take to become ready (default 20 s). */
  readonly readyTimeoutMs?: number
  /** Docker Engine socket (default `/var/run/docker.sock`). */
  readonly socketPath?: string
  /** How long a Docker Engine ping may take before docker counts as unavailable (default 1 s). */
  readonly pingTimeoutMs?: number
  /** How the backend image is built when absent (default `auto`: registry when reachable, else offline). */
  readonly imageBuild?: 'auto' | 'registry' | 'offline'
  /** The swarm provider's manager (`unix:///…`, `tcp://host:port`; default `LAYERBENCH_SWARM_HOST`, else `DOCKER_HOST`). */
  readonly swarmHost?: string
  /** The swarm provider puts backends only on nodes with all of these labels. */
  readonly swarmNodeLabels?: Readonly<Record<string, string>>
  /** Nodes (by `layerbench.node`) the swarm provider keeps free of backends, e.g. the balancer's. */
  readonly swarmExcludeNodes?: readonly string[]
}
