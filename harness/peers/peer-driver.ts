import type { AlgorithmName } from '../../engine/balancing/registry.js'
import type { LbConfig, ListenerConfig } from '../../engine/config/lb-config.js'
import type { EngineEvent } from '../../engine/runtime/event-log.js'
import type { BalancerControl } from '../runner/balancer-process.js'
import type { PeerChild } from './peer-process.js'
import type { PeerChecks } from './peer-findings.js'
import type { PeerConfigInput, PeerConfigOutput } from './peer-types.js'
import type { PeerStats } from './peer-stats.js'

/** A listener protocol, as the engine's configuration names it. */
export type ListenerProtocol = ListenerConfig['protocol']

/** A runtime change the fault timeline can ask of a balancer. */
export type TimelineAction = 'set-weight' | 'drain' | 'add-backend' | 'remove-backend'

/** Everything the timeline can ask, in the order capability tables list it. */
export const TIMELINE_ACTIONS: readonly TimelineAction[] = ['set-weight', 'drain', 'add-backend', 'remove-backend']

/** How a peer runs one engine algorithm: as is, as a named approximation, or not at all. */
export type AlgorithmMapping = { readonly approximation?: string } | { readonly unsupported: string }

/** What a peer can do, declared once: support checks, skips and report tables read it. */
export interface PeerCapabilities {
  /** Listener protocols it runs (layer 4: tcp, tls passthrough, udp; layer 7: http, https). */
  readonly protocols: readonly ListenerProtocol[]
  readonly algorithms: Readonly<Record<AlgorithmName, AlgorithmMapping>>
  readonly tls: { readonly termination: boolean; readonly passthroughBySni: boolean; readonly toBackends: boolean }
  readonly healthChecks: { readonly active: boolean; readonly passive: boolean }
  /** Cookie stickiness. */
  readonly stickiness: boolean
  readonly proxyProtocol: { readonly accept: boolean; readonly send: readonly ('v1' | 'v2')[] }
  /** Timeline actions it applies while running. */
  readonly runtime: readonly TimelineAction[]
  /** L7 filters it has: header edits, X-Request-Id, forwarded headers, compression. */
  readonly gatewayFilters: readonly ('header-edits' | 'request-id' | 'forwarded' | 'compression')[]
  /** HTTP/2 towards clients. */
  readonly http2: boolean
  /** The largest backend weight it takes (weights are rescaled into 1…maxWeight). */
  readonly maxWeight: number
  /**
   * Why a capability is missing, said once: `protocol:<p>` for a protocol, `runtime` for the
   * timeline actions, `healthChecks.active`, `stickiness`.
   */
  readonly reasons: Readonly<Record<string, string>>
}

/** An installed peer: how to run it and what it is. */
export interface PeerInstall {
  readonly binary: string
  readonly version: string
  /** Dynamic modules the configuration loads (nginx's stream module). */
  readonly modules?: readonly string[]
  /** What this build cannot run at all, and why (nginx without its stream module: layer 4). */
  readonly lacks?: { readonly layer: 4 | 7; readonly reason: string }
}

/** What a driver's runtime part gets once the peer has bound its listeners. */
export interface PeerSession {
  readonly install: PeerInstall
  readonly config: LbConfig
  readonly input: PeerConfigInput
  readonly started: PeerChild
}

/** The peer-specific part of a running balancer; what is left out is generic (CPU of the tree, stop). */
export interface PeerRuntime extends Partial<BalancerControl> {
  /** Health transitions the peer reported since the last call. */
  pollEvents?(): Promise<EngineEvent[]>
  /** The peer's own statistics where it has them, read at the end of a run (result.json's `observed` and `peerCounters`). */
  metrics?(): Promise<PeerStats | undefined>
  /** Applies a new configuration without a restart. */
  reload?(config: LbConfig): Promise<void>
  /** Resolves once the peer serves as the engine would at start (Caddy: its first health checks have run). */
  ready?(): Promise<void>
  /** Runs before the process tree is stopped. */
  beforeStop?(): Promise<void> | void
  /** Runs once the process tree is gone (files the peer leaves behind). */
  afterStop?(): void
}

/**
 * A production balancer as the testbed drives it. One folder per peer holds the driver and its
 * parts; `registry.ts` lists the drivers, and every list of balancer names is read from there.
 */
export interface PeerDriver {
  /** The implementation name scenarios write (`balancer.implementation`). */
  readonly name: string
  /** How reports write it. */
  readonly label: string
  readonly capabilities: PeerCapabilities
  /** Where the binary is and how it says its version. */
  readonly binary: {
    readonly names: readonly string[]
    /** The environment variable naming the binary, for installs outside PATH. */
    readonly env: string
    readonly versionArgs: readonly string[]
    parseVersion(output: string): string | undefined
  }
  /** Build details beyond the version (nginx: where its stream module is). */
  inspect?(binary: string): Promise<Omit<PeerInstall, 'binary' | 'version'>>
  /** Findings beyond the declared capabilities: approximations and peer-specific limits. */
  readonly checks: PeerChecks
  /** The peer's configuration: pure, every file to write in the output. */
  render(input: PeerConfigInput, install: PeerInstall): PeerConfigOutput
  /** Whether `render` needs `input.adminPort` (an admin API on loopback). */
  readonly adminPort?: boolean
  /** Arguments of the peer's own configuration check (`haproxy -c`, `nginx -t`, `caddy validate`). */
  checkArgs(configPath: string, dir: string): string[]
  /** Arguments that run it in the foreground. */
  runArgs(configPath: string, dir: string): string[]
  /** Folders the peer expects before it starts. */
  prepare?(dir: string): void
  /** Runtime control, events and metrics once it serves. */
  attach(session: PeerSession): PeerRuntime
}
