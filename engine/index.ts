/**
 * layerbench's balancing core, for use outside the testbed:
 *
 * ```ts
 * import { algorithms, createBackendPool } from 'layerbench/engine'
 * ```
 */
export type { Algorithm, AnyAlgorithm, Backend, Deps, Outcome, PickContext, Picker } from './balancing/types.js'
export { algorithms, algorithmAliases, algorithmNames, resolveAlgorithmName, type AlgorithmName } from './balancing/registry.js'
export { configureAlgorithm, type ConfiguredAlgorithm } from './balancing/create-picker.js'
export { seededDeps, systemDeps, type ManualDeps } from './balancing/deps.js'
export { seededRandom } from './balancing/random.js'
export { murmur3, fmix32 } from './balancing/hash.js'
export { buildMaglevTable, isPrime } from './balancing/maglev.js'
export { buildRing, ringIndex, type Ring } from './balancing/ring-hash.js'
export { createBackendPool, type BackendPool, type MemberStatus, type PoolEvent } from './pool/backend-pool.js'
export { poolOptionsSchema, memberSpecSchema, type BackendPoolOptions, type MemberSpec } from './pool/pool-options.js'
export { initialHealth, observeHealth, type HealthState, type HealthStep, type HealthThresholds } from './pool/health.js'
export { slowStartFactor, type SlowStartConfig } from './pool/slow-start.js'
export { EngineError, engineErrors, type EngineErrorCode, type Issue } from './errors.js'

// The data plane: configuration, the running engine, and the pieces it is built from.
export { lbConfigSchema, listenerLayer, parseEndpoint, type LbConfig, type ListenerConfig, type PoolConfig } from './config/lb-config.js'
export { loadLbConfig, parseLbConfig } from './config/load-lb-config.js'
export { startEngine, type Engine, type EngineOptions } from './runtime/engine.js'
export type { Filter, FilterAnswer, FilterContext, FilterOutcome } from './l7/filters/filter.js'
export type { EngineEvent } from './runtime/event-log.js'
export type { EngineStats, ListenerStats, PoolStats, BackendStats } from './stats/engine-stats.js'
export { LatencyHistogram, type LatencySummary } from './stats/latency-histogram.js'
export { renderPrometheus } from './admin/prometheus.js'
export * from './routing/index.js'
export * from './health/index.js'
export { parseRequestHead, parseResponseHead, responseFraming, ChunkedTracker, type RequestHead, type ResponseHead, type BodyFraming } from './http/index.js'
export { parseClientHello, type ClientHelloResult } from './tls/client-hello.js'
export { generateCertificateAuthority, issueCertificate, type CertificateAndKey } from './tls/self-signed.js'
export { encodeProxyV1, encodeProxyV2, parseProxyHeader, type ProxyAddresses, type ProxyHeader } from './proxy-protocol/proxy-protocol.js'
