/**
 * Health of backends: active probes and the loop that runs them against a pool, passive outlier
 * ejection, and the retry budget that keeps retries from amplifying an outage.
 */
export { startHealthChecks, type HealthChecker, type HealthCheckOptions, type Timers } from './health-checker.js'
export { healthCheckConfigSchema, parseHealthCheckConfig, probeFor, type HealthCheckConfig, type ParsedHealthCheckConfig } from './health-check-config.js'
export {
  hostHeader,
  httpProbe,
  tcpProbe,
  tlsProbe,
  type HttpProbeOptions,
  type Probe,
  type ProbeResult,
  type ProbeTarget,
  type ProbeTimeout,
  type ProbeTlsOptions,
  type TcpProbeOptions,
  type TlsProbeOptions,
} from './probes.js'
export { createResponseReader, type ReadState, type ResponseHead, type ResponseReader } from './http-response-reader.js'
export { createOutlierDetector, outlierConfigSchema, type OutlierConfig, type OutlierDetector, type OutlierEvent, type OutlierStatus } from './outlier-detection.js'
export { createRetryBudget, retryBudgetConfigSchema, type RetryBudget, type RetryBudgetConfig } from './retry-budget.js'
