/**
 * The one list of backend providers: the CLI's `--provider` choices, the result's `provider` field
 * and `createProvider` all derive from it. A provider is a folder or file plus one line here.
 *
 * What a new provider (a Kubernetes one, say: a sibling folder `kubernetes/`) must do, as the
 * swarm provider does and as test/harness/providers/provider-conformance.ts checks:
 * - `start(specs)`: one unit per spec (a Pod per backend, like a one-replica Service here), each
 *   on its own address with the fixed ports of backend-launch.ts, kept across `restart`; labelled
 *   with `LABELS` (run, owner, backend, group) so that clean-up can find it anywhere;
 * - the faults as real operations of the platform: `kill` an abrupt death that stays dead (no
 *   restart policy bringing it back), `pause`/`resume` a hung process (a frozen container),
 *   `restart` a new incarnation at the same address, `configure`/`setHealthy` through the
 *   backend's control API (control-client.ts);
 * - `stopAll`, `killNowSync` (registered with cleanup.ts while it owns backends) and a reaper of
 *   what a dead owner left (reap-stale.ts), so nothing survives SIGINT, SIGTERM or a crash;
 * - `describe()` naming the platform's version, and `warnings` for limits it could not apply.
 * `create` fails with a coded `EngineError` when the platform cannot be reached (the CLI exits 3).
 */
import type { BackendProvider, BackendProviderKind, ProviderOptions } from './types.js'

/** How a provider is made. */
export interface ProviderEntry {
  /** One line for `--help`. */
  readonly summary: string
  /** Creates it, or throws a coded `EngineError` when its platform cannot be reached. */
  create(options: ProviderOptions): Promise<BackendProvider>
}

/** Loaded lazily: a run with processes never loads a Docker client it does not need. */
export const PROVIDERS: Readonly<Record<BackendProviderKind, ProviderEntry>> = {
  process: { summary: 'local processes', create: async (o) => new (await import('./process-provider.js')).ProcessProvider(o) },
  docker: { summary: 'containers of the local Docker Engine', create: async (o) => (await import('./docker-provider.js')).createDockerProvider(o) },
  swarm: { summary: 'services of a Docker Swarm (LAYERBENCH_SWARM_HOST or DOCKER_HOST of a manager)', create: async (o) => (await import('./swarm/swarm-provider.js')).createSwarmProvider(o) },
}

/** Every provider's name, in registry order. */
export const PROVIDER_KINDS = Object.keys(PROVIDERS) as BackendProviderKind[]

/** What `--provider` accepts: a provider's name, or `auto` (docker when its Engine answers, else process). */
export const PROVIDER_CHOICES = ['auto', ...PROVIDER_KINDS] as const
