import { z } from 'zod'
import { BALANCER_IMPLEMENTATIONS } from '../../harness/peers/peer-names.js'

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

/** One quantity across backends: mean, min, median, 99th percentile, max. */
const acrossBackendsSchema = z.strictObject({ mean: z.number(), min: z.number(), p50: z.number(), p99: z.number(), max: z.number() })
const meanMax = z.strictObject({ mean: z.number(), max: z.number() })

/**
 * What only a simulated run (`provider: simulator`) measures. Queue = requests waiting for a
 * server, in service = requests being served, utilisation = busy share of a backend's servers
 * (null when its servers are unlimited); all time-averaged over the measured phase.
 */
export const simulationResultSchema = z.strictObject({
  /** Seed of the run: the same model and seed replay it exactly. */
  seed: z.number().int(),
  /** Requests simulated (warm-up included) and events processed. */
  requests: z.number().int(),
  events: z.number().int(),
  /** Virtual time simulated, warm-up included, and the wall-clock time it took, ms. */
  virtualMs: z.number(),
  wallMs: z.number(),
  /** The arrival process, e.g. `poisson 9000/s` or `closed 16 clients`. */
  arrival: z.string(),
  backends: z.number().int(),
  queue: acrossBackendsSchema,
  inService: acrossBackendsSchema,
  utilisation: acrossBackendsSchema.nullable(),
  /** Of successful answers per unit of weight: Jain's index, and the extremes over the mean. */
  fairness: z.strictObject({ jain: z.number(), maxOverMean: z.number(), minOverMean: z.number() }),
  /** Per backend, when there are few enough (the scenario's `simulation.perBackendSeries`). */
  perBackend: z.record(z.string(), z.strictObject({ queue: z.number(), maxQueue: z.number(), inService: z.number(), utilisation: z.number().nullable() })).optional(),
  /** Per interval of the time series, aligned with `timeseries`. */
  timeseries: z.array(
    z.strictObject({
      tMs: z.number(),
      queue: meanMax,
      inService: meanMax,
      utilisation: meanMax.nullable(),
      byBackend: z.record(z.string(), z.strictObject({ queue: z.number(), utilisation: z.number().nullable() })).optional(),
    }),
  ),
  /** Hash pools: share of keys that moved at each membership change, and the share that had to. */
  disruption: z.array(z.strictObject({ tMs: z.number(), pool: z.string(), before: z.number().int(), after: z.number().int(), moved: z.number(), minimal: z.number() })),
  /** The balancer's CPU, when modelled (`simulation.balancer`): busy share of its cores, mean and longest queue of requests waiting for one. */
  balancer: z.strictObject({ cores: z.number().int(), utilisation: z.number(), queue: z.number(), maxQueue: z.number().int() }).optional(),
})

/**
 * What a backend received, by its own account: requests (HTTP requests, TCP lines, UDP datagrams)
 * that arrived inside TLS or in plaintext, and the client address it attributed each to —
 * X-Forwarded-For's first entry, else X-Real-IP, else the PROXY header's source, else the
 * connection's peer — beside the peer address itself and how the address was learnt (`via`).
 */
export const backendSeenSchema = z.strictObject({
  tls: z.number().int(),
  plaintext: z.number().int(),
  clients: counts,
  peers: counts,
  /** Requests by where the client address came from: x-forwarded-for, x-real-ip, proxy-protocol, peer. */
  via: counts,
})

/**
 * A backend's injected latency as it waited it (from its own account, warm-up included): requests
 * held, the mean wait asked for and made, and made minus asked (µs; `min` exact, percentiles from
 * a µs histogram). A correct backend never has a negative `min`.
 */
export const backendServiceSchema = z.strictObject({
  holds: z.number().int(),
  requestedMeanUs: z.number(),
  actualMeanUs: z.number(),
  overshootUs: z.strictObject({ min: z.number(), mean: z.number(), p50: z.number(), p99: z.number(), max: z.number() }),
})

/** How reports name a run's balancer: the user's name for an external one, else its implementation. */
export function balancerName(b: { readonly implementation: string; readonly name?: string | undefined }): string {
  return b.name ?? b.implementation
}

/** One run of one variant. */
export const runResultSchema = z.strictObject({
  id: z.string(),
  variant: z.record(z.string(), scalar),
  repeat: z.number().int().min(1),
  balancer: z.strictObject({ implementation: z.enum([...BALANCER_IMPLEMENTATIONS, 'simulator']), name: z.string().optional(), version: z.string(), layer: z.union([z.literal(4), z.literal(7)]), protocol: z.string() }),
  provider: z.enum(['process', 'docker', 'swarm', 'simulator']),
  load: z.strictObject({
    generator: z.string(),
    protocol: z.string(),
    mode: z.enum(['closed', 'open']),
    connections: z.number(),
    rate: z.number().optional(),
    durationMs: z.number(),
    warmupMs: z.number(),
    /** Source addresses the load came from, when it used several (`load.clients`). */
    clientAddresses: z.array(z.string()).optional(),
    /** Each load agent's own share, when the load ran as several (`load.agents`); the summary is their merge. */
    agents: z
      .array(
        z.strictObject({
          id: z.string(),
          where: z.string(),
          state: z.enum(['ok', 'lagging', 'dead']),
          reason: z.string().optional(),
          sent: z.number().int(),
          ok: z.number().int(),
          failed: z.number().int(),
          latencyUs: latencySummarySchema,
          clockOffsetUs: z.number(),
          clockRttUs: z.number(),
        }),
      )
      .optional(),
  }),
  startedAt: z.string(),
  durationMs: z.number(),
  /** Set when the run could not happen (a peer lacks a feature): the reason. No measurements then. */
  skipped: z.string().optional(),
  summary: z.strictObject({
    rps: z.number(),
    requestedRate: z.number().optional(),
    /**
     * Invariant: sent == ok + failed + (clientAborts.total, else 0). `clientAborts`: requests the
     * clients abandoned on purpose (the soak's client-abort fault), by where; not failures.
     * `grpcStatus`: gRPC runs, every call that got a status by its name (`OK`, `UNAVAILABLE`…).
     */
    requests: z.strictObject({
      sent: z.number().int(),
      ok: z.number().int(),
      failed: z.number().int(),
      failures: z.strictObject({ byKind: counts, byStatus: counts }),
      clientAborts: z.strictObject({ total: z.number().int(), byPoint: counts }).optional(),
      grpcStatus: counts.optional(),
    }),
    latencyUs: latencySummarySchema,
    correctedLatencyUs: latencySummarySchema.optional(),
    handshakeUs: latencySummarySchema.optional(),
    /** Open loop: due time → send per measured request, µs (the pacer's lateness, plus any wait for a free connection). */
    sendLagUs: latencySummarySchema.optional(),
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
      /** What it received, as it reports it (warm-up included). */
      seen: backendSeenSchema.optional(),
      /** Its injected latency as it waited it, when it held any request. */
      service: backendServiceSchema.optional(),
    }),
  ),
  /** Every backend's `service` of the run merged: how well the backends kept their latency. */
  backendService: backendServiceSchema.optional(),
  groups: z.record(z.string(), z.strictObject({ requests: z.number(), share: z.number() })),
  /** Shares (0–1) the scenario's share expectations configure, by group or by backend: what reports draw measured shares against. */
  configuredShares: z.record(z.string(), z.number()).optional(),
  timeseries: z.array(intervalSchema),
  events: z.array(runEventSchema),
  failover: z.array(failoverSchema).default([]),
  sticky: z.strictObject({ sessions: z.number(), requests: z.number(), violations: z.number(), violationRate: z.number(), imbalance: z.number() }).optional(),
  routing: z.strictObject({ checked: z.number(), misrouted: z.number() }).optional(),
  /**
   * How evenly the run's requests spread over its backends (successful answers per backend, every
   * backend of the run): the busiest over the mean (1 = even) and the coefficient of variation
   * (standard deviation over the mean, 0 = even). Not weighted: a weighted algorithm is uneven by design.
   */
  fairness: z.strictObject({ maxOverMean: z.number(), cv: z.number() }).optional(),
  /**
   * Keys (clients of the load) that changed backend at each membership change of the timeline
   * (remove-backend, add-backend; `atMs`: when the action had finished). A key's backend before is
   * that of its last answer before the action started, after that of its last answer once it had
   * finished (and before the next change); only keys answered on both sides count (`keys`).
   * `minimal`: keys that had to move (their backend left, or they landed on the one that joined);
   * `backendsBefore/After`: backends of the run present; `idealShare`: 1/N for the larger, the
   * least a consistent hash moves when one of N backends joins or leaves.
   */
  remap: z
    .array(
      z.strictObject({
        atMs: z.number(),
        change: z.string(),
        keys: z.number().int(),
        moved: z.number().int(),
        minimal: z.number().int(),
        backendsBefore: z.number().int(),
        backendsAfter: z.number().int(),
        movedShare: z.number(),
        minimalShare: z.number(),
        idealShare: z.number(),
      }),
    )
    .optional(),
  cpu: cpuSchema,
  /**
   * The machine during the measured phase, as shares of all CPU time: steal (the hypervisor ran
   * other guests), busy (anything ran here), foreign (busy minus what the balancer, backends and
   * generator used: other processes competing with the measurement).
   */
  machine: z.strictObject({ steal: z.number(), busy: z.number(), foreign: z.number().optional(), heavySteal: z.boolean() }),
  /**
   * Closed-loop (maximum-load) runs: what limited the rate — a process that saturated its core
   * (balancer, generator, backends), the machine's shared cores, or none — with each party's share
   * of one core and the machine's busy and steal shares it was judged from.
   */
  bottleneck: z
    .strictObject({
      kind: z.enum(['balancer', 'generator', 'backends', 'machine', 'none']),
      shares: z.strictObject({ balancer: z.number().nullable(), backend: z.number().nullable(), generator: z.number(), busy: z.number(), steal: z.number() }),
      detail: z.string(),
    })
    .optional(),
  /**
   * What the balancer's own statistics reported for the listener under load (warm-up included):
   * connections accepted, requests it saw, responses by status class; `source` says which
   * statistics (the engine's /stats, HAProxy's `show stat`). An L4 relay sees connections and
   * bytes; an L7 proxy also sees requests and their statuses.
   */
  observed: z.strictObject({ source: z.string().optional(), connections: z.number().int(), requests: z.number().int(), responses: counts }).optional(),
  /** A peer's other own counters at the end of the run (warm-up included), in its own words (`pool/backend lbtot`). */
  peerCounters: z.record(z.string(), z.number()).optional(),
  /** Engine-side timings (reference engine only): accept → connected (L4), head → upstream (L7). */
  engineTimeUs: latencySummarySchema.optional(),
  expectations: z.array(z.strictObject({ name: z.string(), expected: z.string(), actual: z.string(), pass: z.boolean() })),
  warnings: z.array(z.string()),
  histograms: z.strictObject({ latency: z.string().optional(), corrected: z.string().optional(), handshake: z.string().optional() }),
  /** Simulated runs only: queues, utilisation, fairness, hash disruption. */
  simulation: simulationResultSchema.optional(),
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
  provider: z.enum(['process', 'docker', 'swarm', 'simulator']),
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
export type BackendSeen = z.infer<typeof backendSeenSchema>
export type BackendService = z.infer<typeof backendServiceSchema>
export type SimulationResult = z.infer<typeof simulationResultSchema>
export type EnvironmentResult = z.infer<typeof environmentSchema>
export type ResultFile = z.infer<typeof resultFileSchema>
