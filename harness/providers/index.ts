/**
 * Backend providers: start the backend app as processes, containers or Swarm services, each backend on its own
 * loopback address with fixed ports, fault it, and clean up after it — even after a crash.
 */
export type { BackendLimits, BackendPorts, BackendProtocol, BackendProvider, BackendProviderKind, BackendSpec, BackendStats, ProviderOptions, RunningBackend } from './types.js'
export { createProvider, type ProviderKind } from './create-provider.js'
export { ProcessProvider } from './process-provider.js'
export { DockerProvider } from './docker-provider.js'
export { SwarmProvider } from './swarm/swarm-provider.js'
export { PROVIDERS, PROVIDER_CHOICES, PROVIDER_KINDS, type ProviderEntry } from './provider-registry.js'
export { reapStale, type ReapResult } from './reap-stale.js'
export { installCleanupHandlers, cleanupAll, registerChildProcess } from './cleanup.js'
export { FIXED_PORTS, backendConfigFor, portsFor, specIssues } from './backend-launch.js'
export { backendImagePlan, buildOfflineImage, ensureBackendImage, IMAGE_REPOSITORY, type ImagePlan, type ImageResult } from './backend-image.js'
export { LABELS as DOCKER_LABELS, dockerClient, pingProblem } from './docker-engine.js'
