/**
 * Chooses and creates the backend provider from the registry: the one asked for (failing loudly
 * when its platform does not answer), and for `auto` docker when its Engine answers a ping, else
 * process.
 */
import { dockerClient, pingProblem, socketOf } from './docker-engine.js'
import { PROVIDERS, type PROVIDER_CHOICES } from './provider-registry.js'
import type { BackendProvider, ProviderOptions } from './types.js'

/** Which provider to use; `auto` prefers docker. */
export type ProviderKind = (typeof PROVIDER_CHOICES)[number]

/** Creates the provider of `kind`; one asked for and unreachable throws its coded error (`LB_ERR_DOCKER_UNAVAILABLE`, …). */
export async function createProvider(kind: ProviderKind, options: ProviderOptions): Promise<BackendProvider> {
  if (kind !== 'auto') return PROVIDERS[kind].create(options)
  const log = options.log ?? (() => {})
  const problem = await pingProblem(dockerClient(options.socketPath), options.pingTimeoutMs ?? 1000)
  if (problem === undefined) {
    log(`provider: docker (Engine at ${socketOf(options.socketPath)})`)
    return PROVIDERS.docker.create(options)
  }
  log(`provider: process (no Docker Engine at ${socketOf(options.socketPath)}: ${problem})`)
  return PROVIDERS.process.create(options)
}
