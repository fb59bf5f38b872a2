import { z } from 'zod'

/** Percentiles of a latency distribution, µs. */
export const latencySummarySchema = z.strictObject({
  count: z.number().int().min(0),
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
})

const counts = z.record(z.string(), z.number())
const scalar = z.union([z.string(), z.number(), z.boolean()])

/** What happened, when, measured from the start of the measured phase (ms; warm-up is negative). */
export const runEventSchema = z.strictObject({
  tMs: z.number(),
  /** timeline: the scenario did it; balancer: the balancer noticed or did it; runner: the harness; derived: computed from traffic. */
  source: z.enum(['timeline', 'balancer', 'runner', 'derived']),
  type: z.string(),
  target: z.string().optional(),
  detail: z.string().optional(),
})

/** One interval of the time series. */
export const intervalSchema = z.strictObject({
  tMs: z.number(),
  durationMs: z.number(),
  rps: z.number(),
  sent: z.number(),
  ok: z.number(),
  failed: z.number(),
  latencyUs: latencySummarySchema,
  byBackend: counts,
  byStatus: counts,
})

/** How the balancer coped with one fault of the timeline. */
export const failoverSchema = z.strictObject({
  fault: z.string(),
  target: z.string(),
  atMs: z.number(),
  /** Until the faulty backend stopped receiving requests (or the balancer reported it), ms after the fault. */
  detectionMs: z.number().nullable(),
  /** Requests that failed from the fault until steady state. */
  failedRequests: z.number(),
  /** Until the error rate and throughput were back to their pre-fault level, ms after the fault. */
  recoveryMs: z.number().nullable(),
  /** What the balancer reported (ejection, health down), ms after the fault. */
  balancerNoticedMs: z.number().nullable(),
})

/** Measured CPU time of each party, µs, and per request. */
export const cpuSchema = z.strictObject({
  balancerUs: z.number().nullable(),
  backendsUs: z.number().nullable(),
  generatorUs: z.number(),
  perRequestUs: z.strictObject({ balancer: z.number().nullable(), backends: z.number().nullable(), generator: z.number() }),
})

/** One run of one variant. */
export const runResultSchema = z.strictObject({
  id: z.string(),
  variant: z.record(z.string(), scalar),
  repeat: z.number().int().min(1),
  balancer: z.strictObject({ implementation: z.enum(['engine', 'haproxy', 'nginx', 'simulator']), version: z.string(), layer: z.union([z.literal(4), z.literal(7)]), protocol: z.string() }),
  provider: z.enum(['process', 'docker', 'simulator']),
  load: z.strictObject({ generator: z.string(), protocol: z.string(), mode: z.enum(['closed', 'open']), connections: z.number(), rate: z.number().optional(), durationMs: z.number(), warmupMs: z.number() }),
  startedAt: z.string(),
  durationMs: z.number(),
  /** Set when the run could not happen (a peer lacks a feature): the reason. No measurements then. */
  skipped: z.string().optional(),
  summary: z.strictObject({
    rps: z.number(),
    requestedRate: z.number().optional(),
    /** Invariant: sent == ok + failed. */
    requests: z.strictObject({ sent: z.number().int(), ok: z.number().int(), failed: z.number().int(), failures: z.strictObject({ byKind: counts, byStatus: counts }) }),
    latencyUs: latencySummarySchema,
    correctedLatencyUs: latencySummarySchema.optional(),
    handshakeUs: latencySummarySchema.optional(),
  }),
  /** Per backend: requests it answered (seen by the load generator), its group, what it reports itself. */
  backends: z.record(
    z.string(),
    z.strictObject({
      group: z.string(),
      /** Replies from it the load generator counted (measured phase). */
      requests: z.number(),
      /** Requests it says it served (warm-up included). */
      served: z.number().optional(),
      /** CPU it used during the measured phase, µs. */
      cpuUs: z.number().optional(),
      /** Memory in use at the end (docker: the container's), bytes. */
      memoryBytes: z.number().optional(),
    }),
  ),
  groups: z.record(z.string(), z.strictObject({ requests: z.number(), share: z.number() })),
  timeseries: z.array(intervalSchema),
  events: z.array(runEventSchema),
  failover: z.array(failoverSchema).default([]),
  sticky: z.strictObject({ sessions: z.number(), requests: z.number(), violations: z.number(), violationRate: z.number(), imbalance: z.number() }).optional(),
  routing: z.strictObject({ checked: z.number(), misrouted: z.number() }).optional(),
  cpu: cpuSchema,
  /**
   * The machine during the measured phase, as shares of all CPU time: steal (the hypervisor ran
   * other guests), busy (anything ran here), foreign (busy minus what the balancer, backends and
   * generator used: other processes competing with the measurement).
   */
  machine: z.strictObject({ steal: z.number(), busy: z.number(), foreign: z.number().optional(), heavySteal: z.boolean() }),
  /** Engine-side timings (reference engine only): accept → connected (L4), head → upstream (L7). */
  engineTimeUs: latencySummarySchema.optional(),
  expectations: z.array(z.strictObject({ name: z.string(), expected: z.string(), actual: z.string(), pass: z.boolean() })),
  warnings: z.array(z.string()),
  histograms: z.strictObject({ latency: z.string().optional(), corrected: z.string().optional(), handshake: z.string().optional() }),
})

/** Facts about where and with what a scenario ran. */
export const environmentSchema = z.strictObject({
  node: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cpus: z.number(),
  memoryGiB: z.number(),
  layerbench: z.string(),
  git: z.string().optional(),
  provider: z.enum(['process', 'docker', 'simulator']),
  docker: z.string().optional(),
  engine: z.string(),
  peers: z.record(z.string(), z.string()),
  quick: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
})

/** A scenario's result file (`<out>/<scenario>/result.json`). */
export const resultFileSchema = z.strictObject({
  schema: z.literal('layerbench/result@1'),
  scenario: z.strictObject({ name: z.string(), file: z.string(), hash: z.string(), description: z.string(), tags: z.array(z.string()) }),
  environment: environmentSchema,
  runs: z.array(runResultSchema),
})

export type LatencySummaryResult = z.infer<typeof latencySummarySchema>
export type RunEvent = z.infer<typeof runEventSchema>
export type IntervalResult = z.infer<typeof intervalSchema>
export type FailoverResult = z.infer<typeof failoverSchema>
export type RunResult = z.infer<typeof runResultSchema>
export type EnvironmentResult = z.infer<typeof environmentSchema>
export type ResultFile = z.infer<typeof resultFileSchema>
