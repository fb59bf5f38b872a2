import { scenarioSchema, type Scenario, type ScenarioInput } from '../scenario/scenario-schema.js'
import { resolveModel } from './resolve-model.js'
import type { SimModel } from './sim-model.js'
import type { SimulationSectionInput } from './simulation-schema.js'
import { Simulation, type SimulationOutcome } from './simulator.js'

/** A textbook open queueing system to simulate. */
export interface TextbookSystem {
  readonly algorithm: string
  readonly algorithmOptions?: Record<string, unknown>
  readonly backends: number
  /** Servers per backend (default 1). */
  readonly servers?: number
  /** Offered load per server, λ/(cμ) (the arrival rate follows). */
  readonly load: number
  /** Mean service time, ms (default 1); exponential unless `service` says otherwise. */
  readonly serviceMs?: number
  readonly service?: NonNullable<SimulationSectionInput['backends']>[string]['service']
  /** Measured requests. */
  readonly requests: number
  /** Requests' worth of warm-up before measuring (default: a tenth of `requests`). */
  readonly warmupRequests?: number
  readonly seed?: number
  /** Arrival process (default Poisson). */
  readonly arrival?: 'poisson' | 'constant'
  /** Hash keys drawn uniformly from this many (hash algorithms). */
  readonly keys?: number
}

/**
 * The scenario of a textbook system: Poisson arrivals, single-server FIFO backends with exponential
 * service, no connection limit, no timeouts that could fire, no retries — the assumptions of the
 * closed forms in queueing-theory.ts — driven through the same scenario path as any other.
 */
export function textbookScenario(sys: TextbookSystem): ScenarioInput {
  const serviceMs = sys.serviceMs ?? 1
  const servers = sys.servers ?? 1
  const rate = (sys.load * sys.backends * servers * 1000) / serviceMs
  const warmupMs = ((sys.warmupRequests ?? Math.ceil(sys.requests / 10)) / rate) * 1000
  return {
    name: `textbook-${sys.algorithm}`,
    backends: { web: { count: 1 } },
    balancer: {
      listeners: [{ name: 'web', protocol: 'http', routes: [{ pool: 'web' }] }],
      pools: { web: { backends: 'web', algorithm: sys.algorithm, algorithmOptions: sys.algorithmOptions ?? {}, retries: { attempts: 0 } } },
    },
    load: { mode: 'open', rate: 1, duration: '24h', warmup: warmupMs, timeout: '24h', intervalMs: 60_000 },
    seed: sys.seed ?? 1,
    simulation: {
      backends: { web: { count: sys.backends, servers, service: sys.service ?? { kind: 'exponential', meanMs: serviceMs } } },
      arrival: { kind: sys.arrival ?? 'poisson', rate },
      connections: 'unlimited',
      requests: sys.requests,
      perBackendSeries: 0,
      ...(sys.keys === undefined ? {} : { keys: { count: sys.keys } }),
    },
  }
}

/** The model of a textbook system. */
export function textbookModel(sys: TextbookSystem): SimModel {
  const scenario: Scenario = scenarioSchema.parse(textbookScenario(sys))
  return resolveModel(scenario)
}

/** Simulates a textbook system; returns the outcome and the mean time in system, ms. */
export function simulateTextbook(sys: TextbookSystem): { outcome: SimulationOutcome; meanMs: number } {
  const outcome = new Simulation(textbookModel(sys)).run()
  return { outcome, meanMs: outcome.recorder.latency.summary().mean / 1000 }
}
