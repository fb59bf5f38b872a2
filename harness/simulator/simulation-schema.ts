/**
 * The `simulation` section of a scenario: what only the simulator needs. Every field has a default
 * drawn from the rest of the scenario (backends' behaviour, load rate and duration, timeline), so a
 * scenario without this section can still be simulated.
 */
import { PEER_NAMES } from '../peers/peer-names.js'
import { z } from 'zod'
import { latencySchema } from '../backend/backend-config.js'
import type { LatencySpec } from '../backend/latency-distribution.js'
import { duration } from '../scenario/duration.js'

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'names are letters, digits, - and _')
const latencyMs = z.number().min(0).max(3_600_000)

/** A service-time or delay distribution: the backend app's latency kinds, plus bimodal. */
export const simLatencySchema = z.union([
  latencySchema,
  z
    .strictObject({ kind: z.literal('bimodal'), fastMs: latencyMs, slowMs: latencyMs, slowFraction: z.number().min(0).max(1) })
    .refine((b) => b.fastMs <= b.slowMs, { message: 'must be at least fastMs', path: ['slowMs'] }),
])

// The schema and the shared distribution code must agree on the shape of a spec.
type AssertLatency<T extends LatencySpec> = T
export type SimLatency = AssertLatency<z.infer<typeof simLatencySchema>>

const rate = z.number().positive().max(100_000_000)

/**
 * How requests arrive. Open-loop kinds send at their own pace whatever the answers; `closed` is
 * `connections` clients that each send, wait for the answer, and send again. Default: what the
 * live generator does — `constant` at `load.rate` for an open loop, `closed` otherwise.
 */
export const arrivalSchema = z.discriminatedUnion('kind', [
  /** Exponential gaps: the M in M/M/1. */
  z.strictObject({ kind: z.literal('poisson'), rate: rate.optional() }),
  /** Equal gaps of 1/rate (the live generator's schedule). */
  z.strictObject({ kind: z.literal('constant'), rate: rate.optional() }),
  /**
   * On/off traffic: arrivals only during `on` periods, at the rate that keeps the long-run mean at
   * `rate` (peak = rate·(on + off)/on); `within` shapes the gaps inside a burst.
   */
  z.strictObject({
    kind: z.literal('bursty'),
    rate: rate.optional(),
    on: duration(),
    off: duration(),
    within: z.enum(['poisson', 'constant']).default('poisson'),
  }),
  /**
   * A recorded trace: one send time per line, in ms from the trace's start (non-decreasing; `#`
   * starts a comment; in CSV the first column). The path is relative to the scenario file.
   */
  z.strictObject({ kind: z.literal('replay'), file: z.string().min(1), speed: z.number().positive().max(1000).default(1), loop: z.boolean().default(false) }),
  /** Clients in a closed loop (default `load.connections`), optionally paced to `load.rate` in total. */
  z.strictObject({ kind: z.literal('closed'), connections: z.number().int().min(1).max(10_000_000).optional(), think: duration().default(0) }),
])

/** How one group's backends serve in the simulation. */
export const simBackendGroupSchema = z.strictObject({
  /** Instances (scenario groups stop at 200; a simulation can hold a million). */
  count: z.number().int().min(1).max(1_000_000).optional(),
  /**
   * Requests served at once (M/M/c's c). Default unlimited: the backend app's injected latency is a
   * timer, not work, so it holds no worker; give a number to model a saturating server.
   */
  servers: z.number().int().min(1).max(1_000_000).optional(),
  /** Requests that may wait for a server; beyond that the backend answers 503. Default unlimited. */
  queue: z.number().int().min(0).max(100_000_000).optional(),
  /** Service time per request. Default: the group's `behaviour.latency`, else 50 µs fixed. */
  service: simLatencySchema.optional(),
})

/** The `simulation` section of a scenario. */
export const simulationSectionSchema = z.strictObject({
  /** Only the simulator can host this scenario (e.g. 10,000 backends): `layerbench run` skips it. */
  only: z.boolean().default(false),
  /** Seed of the simulation's random streams (default: the scenario's `seed`). */
  seed: z.number().int().optional(),
  /** Measured requests to send; replaces `load.duration` as the end of the measured phase. */
  requests: z.number().int().min(1).max(10_000_000_000).optional(),
  arrival: arrivalSchema.optional(),
  /**
   * Open loop: connections in the client's pool (default `load.connections`); requests beyond
   * them wait at the client, as with the live generator. `unlimited` for textbook open queues.
   */
  connections: z.union([z.number().int().min(1).max(10_000_000), z.literal('unlimited')]).optional(),
  /** Per backend group: instances, servers, queue and service time. */
  backends: z.record(name, simBackendGroupSchema).default({}),
  /** One-way delay between the balancer and a backend, drawn per direction. Default none. */
  network: simLatencySchema.optional(),
  /**
   * The balancer's own CPU: `cores` processing requests first come, first served, each for a time
   * drawn from `perRequest` before the balancer picks a backend (a live run's balancer CPU per
   * request on keep-alive connections is the figure to use). Default none: the balancer takes no
   * time. Ignored when there is no balancer (`implementation: direct`).
   */
  balancer: z
    .strictObject({
      cores: z.number().int().min(1).max(1024).default(1),
      perRequest: simLatencySchema,
      /**
       * CPU for each connection a client opens (accepting it; at layer 4 also connecting to the
       * backend), added to a request's time when the load opens a new connection per request
       * (`load.newConnectionPerRequest`); on kept-alive connections it is spread over many requests
       * and left out. A live run's balancer CPU per request with new connections, less the
       * keep-alive figure, is the one to use.
       */
      perConnection: simLatencySchema.optional(),
      /**
       * The implementations these figures describe (measured on them): runs of any other simulate
       * a balancer that takes no time. Default: every one (`direct` has no balancer either way).
       */
      implementations: z.array(z.enum(['engine', ...PEER_NAMES, 'external'])).min(1).optional(),
    })
    .optional(),
  /**
   * TLS handshakes, when the load opens a connection per request over TLS: the CPU of one
   * handshake at the side that terminates TLS — the balancer behind an `https` listener
   * (termination; it needs a core, so the balancer's CPU is modelled, one core by default), the
   * backends behind a `tls` listener (passthrough) or reached directly. The request is written
   * once the handshake is done: latency leaves the handshake out and `handshakeUs` holds it, as a
   * live run measures them. On kept-alive connections handshakes are rare and left out.
   */
  tls: z.strictObject({ handshake: simLatencySchema }).optional(),
  /**
   * Hash keys the requests carry, for hash algorithms: `count` distinct keys drawn uniformly or
   * by Zipf's law. Default: from the pool's `hashKey` (source-ip: the load's client addresses).
   */
  keys: z
    .strictObject({
      count: z.number().int().min(1).max(10_000_000),
      distribution: z.enum(['uniform', 'zipf']).default('uniform'),
      /** Zipf exponent s: key k is drawn with probability ∝ 1/k^s. */
      exponent: z.number().min(0).max(10).default(1),
    })
    .optional(),
  /** Backends up to which per-backend series (queue, utilisation, request counts per interval) are kept. */
  perBackendSeries: z.number().int().min(0).max(100_000).default(64),
  /** Keys sampled to measure how many move when a hash pool's membership changes. */
  disruptionKeys: z.number().int().min(100).max(10_000_000).default(65_536),
})

export type SimulationSection = z.infer<typeof simulationSectionSchema>
export type SimulationSectionInput = z.input<typeof simulationSectionSchema>
export type ArrivalSpec = z.infer<typeof arrivalSchema>
export type SimBackendGroup = z.infer<typeof simBackendGroupSchema>
