/**
 * Chooses and creates the backend provider: `docker` when asked (failing loudly when no Engine
 * answers), `process` when asked, and for `auto` docker when its Engine answers a ping, else process.
 */
import { EngineError } from '../../engine/errors.js'
import { dockerClient, pingProblem, socketOf } from './docker-engine.js'
import { DockerProvider } from './docker-provider.js'
import { ProcessProvider } from './process-provider.js'
import type { BackendProvider, ProviderOptions } from './types.js'

/** Which provider to use; `auto` prefers docker. */
export type ProviderKind = 'auto' | 'process' | 'docker'

/** Creates the provider of `kind`; docker asked for and unreachable throws `LB_ERR_DOCKER_UNAVAILABLE`. */
export async function createProvider(kind: ProviderKind, options: ProviderOptions): Promise<BackendProvider> {
  const log = options.log ?? (() => {})
  if (kind === 'process') return new ProcessProvider(options)
  const docker = dockerClient(options.socketPath)
  const problem = await pingProblem(docker, options.pingTimeoutMs ?? 1000)
  if (problem === undefined) {
    if (kind === 'auto') log(`provider: docker (Engine at ${socketOf(options.socketPath)})`)
    return new DockerProvider(docker, options)
  }
  if (kind === 'docker') {
    throw new EngineError(
      'LB_ERR_DOCKER_UNAVAILABLE',
      `no Docker Engine answers at ${socketOf(options.socketPath)} (${problem}): run harness/setup/start-dockerd.sh as root to start one, or pass --provider process`,
    )
  }
  log(`provider: process (no Docker Engine at ${socketOf(options.socketPath)}: ${problem})`)
  return new ProcessProvider(options)
}
