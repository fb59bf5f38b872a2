import { z } from 'zod'
import { listenerSchema, poolSchema } from '../../engine/config/lb-config.js'
import { behaviourSchema } from '../backend/backend-config.js'
import { externalSchema } from '../peers/external/external-schema.js'
import { BALANCER_IMPLEMENTATIONS } from '../peers/peer-names.js'
import { simulationSectionSchema } from '../simulator/simulation-schema.js'
import { duration } from './duration.js'
import { LOAD_PROTOCOLS } from '../load/load-types.js'

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'names are letters, digits, - and _')

/** A group of identical backends the scenario starts (one provider instance each). */
export const backendGroupSchema = z.strictObject({
  count: z.number().int().min(1).max(200).default(1),
  /** Latency, errors, resets, body size, health — at start; the timeline may change it. */
  behaviour: behaviourSchema.default({}),
  /** What each instance serves: http (default; HTTP/1.x and h2c), https (HTTP/1.x and h2 by ALPN), grpc (the echo service), tcp (line protocol), udp. */
  protocols: z.array(z.enum(['http', 'https', 'grpc', 'tcp', 'udp'])).min(1).default(['http']),
  /** Expect a PROXY header from the balancer. */
  proxyProtocol: z.enum(['none', 'v1', 'v2', 'any']).default('none'),
  /** HTTP/2 and gRPC connections get GOAWAY after `max` (±10%) and are closed `grace` later: an L4 balancer in front then rebalances. */
  connectionAge: z.strictObject({ max: duration(), grace: duration().default(1000) }).optional(),
  /** Default weight of the group's backends in the pools that use it. */
  weight: z.number().min(0).max(1_000_000).default(1),
  /** Resource limits (docker: cpu quota, cpuset and memory; process: cpuset through taskset). */
  limits: z
    .strictObject({
      cpus: z.number().positive().max(64).optional(),
      cpuset: z.string().regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'expected a cpuset such as 0 or 0-1').optional(),
      memoryMb: z.number().int().min(16).max(65_536).optional(),
    })
    .optional(),
})

/** Which of a backend's ports a pool sends to. */
const backendPort = z.enum(['http', 'https', 'grpc', 'tcp', 'udp'])

/** A pool in a scenario: an engine pool whose backends come from backend groups. */
const scenarioPoolSchema = poolSchema.omit({ backends: true }).extend({
  backends: z.union([
    name,
    z.array(name).min(1),
    z.strictObject({
      groups: z.array(name).min(1),
      /** Default: from the listener protocol (https for tls passthrough, udp for udp, else http). */
      port: backendPort.optional(),
      /** Groups whose backends are backups in this pool. */
      backup: z.array(name).default([]),
    }),
    /**
     * Another listener of the same balancer (a tier in front of a tier: an L4 listener sending
     * PROXY v2 to an L7 one). The runner gives that listener a fixed free port when it says 0.
     */
    z.strictObject({ listener: name }),
  ]),
})

/**
 * The balancer under test: the reference engine, or a peer configured from the same description.
 * `direct` runs no balancer: the load goes straight to the first backend of the loaded listener's
 * pool (layer 7: the first pool its routes name), the baseline that balancers' costs are measured against.
 */
export const balancerSectionSchema = z.strictObject({
  implementation: z.enum(BALANCER_IMPLEMENTATIONS).default('engine'),
  /** The user's own balancer, for `implementation: external` (see the README's "Test your own balancer"). */
  external: externalSchema.optional(),
  listeners: z.array(listenerSchema.extend({ bind: z.string().default('127.0.0.1:0') })).min(1),
  pools: z.record(name, scenarioPoolSchema),
  /** Pads a listener's route table to a size, to measure what a large table costs (see `generated-routes.ts`). */
  generatedRoutes: z
    .strictObject({
      /** The listener whose routes are padded (default: the first). */
      listener: name.optional(),
      /** Size of the listener's table once padded: generated routes are added until it holds this many. */
      routes: z.number().int().min(1).max(100_000),
      /** `path`: prefixes `/generated-<i>/`; `host`: hosts `generated-<i>.example.test`. */
      match: z.enum(['path', 'host']).default('path'),
      /** The pool generated routes send to (the scenario's requests never match them). */
      pool: name,
      /** `before` the scenario's routes (every request passes them: the worst case for first-match routing), or `after`. */
      position: z.enum(['before', 'after']).default('before'),
    })
    .optional(),
})

const httpShape = z.strictObject({
  method: z.string().regex(/^[A-Z]+$/).default('GET'),
  path: z.string().startsWith('/').default('/'),
  host: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  bodyBytes: z.number().int().min(0).max(64 * 1024 * 1024).default(0),
})

/** The load: which generator, how hard, what requests, against which listener. */
export const loadSectionSchema = z.strictObject({
  generator: z.enum(['layerbench', 'autocannon']).default('layerbench'),
  /** The listener to load (default: the first). */
  listener: name.optional(),
  /**
   * Default from the listener: http → http, https → https, tls → https (passthrough), tcp → http,
   * udp → udp. `h2`: HTTP/2 by prior knowledge (cleartext); `grpc`: unary gRPC over h2c;
   * `websocket`: messages echoed after an HTTP/1.1 upgrade.
   */
  protocol: z.enum(LOAD_PROTOCOLS).optional(),
  /** h2 and grpc: streams each connection carries at once; the clients are connections × streams. */
  streamsPerConnection: z.number().int().min(1).max(10_000).optional(),
  /** grpc: the method called and its request message (protobuf, base64); default the backend's echo of `ping`. */
  grpc: z
    .strictObject({
      path: z.string().regex(/^\/[^/]+\/[^/]+$/, 'expected /package.Service/Method').optional(),
      messageBase64: z.base64().optional(),
    })
    .optional(),
  mode: z.enum(['closed', 'open']).default('closed'),
  connections: z.number().int().min(1).max(10_000).default(16),
  /** Requests per second in total (open loop; closed loop: a cap). */
  rate: z.number().positive().max(1_000_000).optional(),
  duration: duration().default(10_000),
  warmup: duration().default(2000),
  maxRequests: z.number().int().min(1).optional(),
  newConnectionPerRequest: z.boolean().default(false),
  /** Distinct client addresses (127.0.1.x) the connections come from: source-IP hashing sees them. */
  clients: z.number().int().min(1).max(250).default(1),
  request: httpShape.prefault({}),
  /** A weighted mix of requests; `expect.group` checks every answer came from that backend group. */
  mix: z
    .array(
      httpShape.extend({
        weight: z.number().positive().default(1),
        expect: z.strictObject({ group: name.optional(), groups: z.array(name).optional() }).optional(),
      }),
    )
    .min(1)
    .optional(),
  /** Give each client a session cookie and follow Set-Cookie, for stickiness measurements. */
  cookies: z.boolean().default(false),
  tcpPayload: z.string().max(65_536).default('SELECT 1'),
  udpPayloadBytes: z.number().int().min(1).max(65_000).default(64),
  intervalMs: z.number().int().min(100).max(60_000).default(1000),
  timeout: duration().default(10_000),
  /** Load agents: the generator as this many coordinated processes, their results merged (histograms added). */
  agents: z.number().int().min(1).max(64).default(1),
})

const timelineTarget = z.string().regex(/^[a-z0-9][a-z0-9_-]*(\[\d+\])?$/i, 'expected a group name, or group[index]')

/** One timed action. `target` is `group` (every instance) or `group[i]`. */
export const timelineEntrySchema = z.discriminatedUnion('do', [
  z.strictObject({ at: duration(), do: z.enum(['kill', 'pause', 'resume', 'restart', 'drain', 'undrain', 'remove-backend']), target: timelineTarget, pool: name.optional() }),
  z.strictObject({ at: duration(), do: z.literal('set-behaviour'), target: timelineTarget, behaviour: behaviourSchema }),
  /**
   * A backend weight in the pools the target is in — or, with `route`, the weight of that route's
   * split arm(s) whose pool draws from the target group (a canary step; the reference engine's
   * admin API). `route` is a route's name (`route-<index>` when unnamed); 0 takes an arm out.
   */
  z.strictObject({ at: duration(), do: z.literal('set-weight'), target: timelineTarget, weight: z.number().min(0).max(1_000_000), pool: name.optional(), route: z.string().min(1).optional() }),
  z.strictObject({ at: duration(), do: z.literal('set-health'), target: timelineTarget, healthy: z.boolean() }),
  /** `group`: one more instance of the group; `group[i]`: instance i, removed earlier, back at its address under its id. */
  z.strictObject({ at: duration(), do: z.literal('add-backend'), target: timelineTarget, pool: name.optional() }),

])

/** A dimension value: a scalar (substituted for `${dim}` in strings) or a named set of overrides. */
const matrixValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.strictObject({
    name: z.string().min(1),
    /** Scalar for `${dim}` (default: the name). */
    value: z.union([z.string(), z.number(), z.boolean()]).optional(),
    /** Paths into the scenario (`balancer.listeners[0].protocol`) and their values; null deletes. */
    set: z.record(z.string(), z.unknown()).default({}),
  }),
])

/** Matrix entries a variant must have: dimension → a value, or any of several. */
const variantPattern = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]))
const when = variantPattern.optional()
const range = z.strictObject({ min: z.number().optional(), max: z.number().optional() }).refine((r) => r.min !== undefined || r.max !== undefined, 'give min, max or both')
/**
 * A time window of the measured phase (ms after its start): only the time series intervals that lie
 * wholly inside it count. Under --quick, `quick.timeScale` scales it with the timeline.
 */
const timeWindow = z
  .strictObject({ from: duration(), to: duration() })
  .refine((w) => w.to > w.from, { message: 'to must be after from', path: ['to'] })

/** What a run must show. `when` limits an expectation to matching variants. */
export const expectationSchema = z.union([
  z.strictObject({
    name: z.string().optional(),
    when,
    /** Traffic share per backend group (or per backend of one group): χ² against the weights, plus a tolerance. */
    share: z.strictObject({
      groups: z.record(name, z.number().min(0)).optional(),
      backendsOf: name.optional(),
      tolerance: z.number().min(0).max(1).default(0.02),
      /** Fail when the χ² test's p-value is below this (0 disables the test). */
      minPValue: z.number().min(0).max(1).default(0.001),
      /** Only the answers within this window (from the time series' per-backend counts). */
      window: timeWindow.optional(),
    }),
  }),
  /** Failed / sent over the run; with `window`, failed / (ok + failed) of the requests completed in it. */
  z.strictObject({ name: z.string().optional(), when, errorRate: range, window: timeWindow.optional() }),
  /** One group's share of the successful answers (0–1), over the run or within a window: a one-sided bound where `share` tests equality. */
  z.strictObject({ name: z.string().optional(), when, groupShare: z.strictObject({ group: name, min: z.number().min(0).max(1).optional(), max: z.number().min(0).max(1).optional(), window: timeWindow.optional() }).refine((g) => g.min !== undefined || g.max !== undefined, 'give min, max or both') }),
  /** Spread of requests over backends (`run.fairness`): busiest over mean, coefficient of variation. */
  z.strictObject({ name: z.string().optional(), when, fairness: z.strictObject({ maxOverMean: range.optional(), cv: range.optional() }).refine((f) => f.maxOverMean !== undefined || f.cv !== undefined, 'give maxOverMean, cv or both') }),
  /**
   * Keys (clients) that changed backend at each membership change of the timeline (`run.remap`),
   * as shares of the keys seen on both sides: `moved` all that moved, `excess` those that moved
   * without having to (moved − minimal). Every change must hold.
   */
  z.strictObject({ name: z.string().optional(), when, remap: z.strictObject({ moved: range.optional(), excess: range.optional() }).refine((r) => r.moved !== undefined || r.excess !== undefined, 'give moved, excess or both') }),
  z.strictObject({ name: z.string().optional(), when, latency: z.strictObject({ percentile: z.enum(['p50', 'p90', 'p99', 'p999', 'max', 'mean']), maxUs: z.number().positive(), corrected: z.boolean().default(false) }) }),
  z.strictObject({ name: z.string().optional(), when, rps: range }),
  z.strictObject({
    name: z.string().optional(),
    when,
    failover: z.strictObject({
      detectionMs: range.optional(),
      failedRequests: range.optional(),
      recoveryMs: range.optional(),
    }),
  }),
  z.strictObject({ name: z.string().optional(), when, stickyViolations: range }),
  z.strictObject({ name: z.string().optional(), when, misrouted: range }),
  z.strictObject({
    name: z.string().optional(),
    when,
    /**
     * What the backends received, as they report it: `transport` — every request arrived inside
     * TLS, or every one in plaintext; `clientAddress` — every request was attributed to one of the
     * load's client addresses (`real`: the address survived the balancer, through
     * X-Forwarded-For or PROXY), or none was (`balancer`: the backend saw the balancer's address).
     * `clientAddress` needs `load.clients` ≥ 2 (clients from 127.0.1.x, apart from the balancer's 127.0.0.1).
     */
    backendSees: z
      .strictObject({ transport: z.enum(['tls', 'plaintext']).optional(), clientAddress: z.enum(['real', 'balancer']).optional() })
      .refine((b) => b.transport !== undefined || b.clientAddress !== undefined, 'give transport, clientAddress or both'),
  }),
])

/** A scenario file. */
export const scenarioSchema = z.strictObject({
  name,
  description: z.string().default(''),
  tags: z.array(z.string()).default([]),
  backends: z.record(name, backendGroupSchema),
  balancer: balancerSectionSchema,
  load: loadSectionSchema,
  timeline: z.array(timelineEntrySchema).default([]),
  matrix: z.record(name, z.array(matrixValue).min(1)).default({}),
  /**
   * Combinations of the matrix not to run (GitHub Actions' matrix.exclude): a combination whose
   * label matches every entry of one pattern (a value, or any of a list) is left out.
   */
  exclude: z.array(variantPattern).default([]),
  repeats: z.number().int().min(1).max(100).default(1),
  /** What --quick (CI) changes: shorter load, fewer repeats; timeline times only with `timeScale`. */
  quick: z
    .strictObject({
      duration: duration().optional(),
      warmup: duration().optional(),
      rate: z.number().positive().optional(),
      connections: z.number().int().min(1).optional(),
      repeats: z.number().int().min(1).max(100).optional(),
      /** Multiplies timeline times and expectation windows (e.g. 0.5: everything happens twice as soon); `duration` must still cover the timeline. */
      timeScale: z.number().positive().max(1).optional(),
      /** Further combinations left out under --quick, as `exclude`. */
      exclude: z.array(variantPattern).optional(),
    })
    .default({}),
  expect: z.array(expectationSchema).default([]),
  /** Seed for everything random in the run (request mix, keys, backend behaviour). */
  seed: z.number().int().default(1),
  simulation: simulationSectionSchema.optional(),
})

export type Scenario = z.infer<typeof scenarioSchema>
export type ScenarioInput = z.input<typeof scenarioSchema>
export type BackendGroup = z.infer<typeof backendGroupSchema>
export type BalancerSection = z.infer<typeof balancerSectionSchema>
export type LoadSection = z.infer<typeof loadSectionSchema>
export type TimelineEntry = z.infer<typeof timelineEntrySchema>
export type Expectation = z.infer<typeof expectationSchema>
export type MatrixValue = z.infer<typeof matrixValue>
export type VariantPattern = z.infer<typeof variantPattern>
