/**
 * The simulation model: a scenario variant resolved into what the simulator core runs — backends as
 * service stations, pools as the engine configures them, the traffic, the timeline. Plain data;
 * times in µs; every default already applied.
 */
import type { OutlierConfig } from '../../engine/health/outlier-detection.js'
import type { Behaviour } from '../backend/backend-config.js'
import type { TimelineEntry } from '../scenario/scenario-schema.js'
import type { OpenArrival } from './arrival-process.js'
import type { SimLatency } from './simulation-schema.js'

/** One backend as a service station. */
export interface SimBackend {
  readonly id: string
  readonly group: string
  readonly weight: number
  /** Requests served at once; Infinity: no limit. */
  readonly servers: number
  /** Requests that may wait for a server; Infinity: no limit. */
  readonly queue: number
  readonly service: SimLatency
  /** Errors, resets, health: the backend app's behaviour at start. */
  readonly behaviour: Behaviour
  /** False for a backend the timeline adds later (add-backend). */
  readonly present: boolean
}

/** A pool, as the engine would run it. */
export interface SimPool {
  readonly name: string
  readonly algorithm: string
  readonly algorithmOptions: Record<string, unknown>
  /** Members at start (indexes into the model's backends). */
  readonly members: readonly { readonly index: number; readonly backup: boolean }[]
  /** Groups the pool draws from (add-backend extends them). */
  readonly groups: readonly string[]
  readonly backupGroups: ReadonlySet<string>
  readonly healthCheck?: { readonly type: 'tcp' | 'http' | 'tls' | 'grpc'; readonly intervalUs: number; readonly timeoutUs: number; readonly rise: number; readonly fall: number; readonly initial: 'healthy' | 'unhealthy' }
  readonly outlierDetection?: OutlierConfig
  readonly retries: { readonly attempts: number; readonly onConnectFailure: boolean; readonly onGatewayError: boolean; readonly budgetPercent: number; readonly minRetriesPerSecond: number }
  readonly responseTimeoutUs: number
  readonly slowStart?: { readonly windowMs: number; readonly aggression: number; readonly minWeightPercent: number }
  /** Cookie stickiness (`stickySession`): a client's cookie pins its backend while that one is ready. */
  readonly sticky: boolean
}

/** One kind of request of the load (one entry of the mix, or the single request shape). */
export interface SimRequestKind {
  /** The pool a request of this kind goes to, given one uniform draw (a weighted split); −1: no route. */
  readonly target: (u: number) => number
  /** Whether routing needs the draw (a split). */
  readonly splits: boolean
  /** The hash key the balancer would extract from this request (header, cookie, path, query). */
  readonly keyHash?: number
  /** Groups that may answer it (the mix's `expect`), for the misrouting count. */
  readonly expectedGroups?: ReadonlySet<string>
}

/** How hash keys are given to requests. */
export type SimKeys =
  | { readonly kind: 'none' }
  /** Drawn from `count` keys, uniformly or by Zipf's law. */
  | { readonly kind: 'space'; readonly count: number; readonly zipf: number }
  /** The client's address: request i comes from client i mod hashes.length. */
  | { readonly kind: 'client'; readonly hashes: Uint32Array }
  /** The request's own key (header, cookie, path, query), per request kind. */
  | { readonly kind: 'request' }

/** The traffic. */
export interface SimLoad {
  readonly mode: 'open' | 'closed'
  /** Open loop: the arrival process. */
  readonly open?: OpenArrival
  /** Closed loop: clients, think time and pacing gap per client (0: none). */
  readonly closed?: { readonly clients: number; readonly thinkUs: number; readonly paceUs: number }
  /** Open loop: connections in the client's pool (Infinity: unlimited). */
  readonly connections: number
  readonly warmupUs: number
  /** End of sending after the warm-up; Infinity when `maxRequests` ends it. */
  readonly durationUs: number
  /** Measured requests to send; Infinity: no cap. */
  readonly maxRequests: number
  /** The client's per-request timeout. */
  readonly timeoutUs: number
  readonly intervalUs: number
  /** Idempotent and bodiless (GET/HEAD/…): the balancer may replay it elsewhere after a reset. */
  readonly replayable: boolean
  readonly kinds: readonly SimRequestKind[]
  /** Which kind request `i` is (a seeded mix); undefined: always kind 0. */
  readonly kindOf?: (i: number) => number
  readonly keys: SimKeys
  /** Requested rate, for the result (open loop; closed loop with a cap). */
  readonly rate?: number
  /** Client addresses of the load (`load.clients`). */
  readonly clients: number
  /** Whether clients keep the cookies they are given (`load.cookies`). */
  readonly cookies: boolean
  /**
   * `set-weight` with `route`: gives the split arms that draw from `group` the weight, and returns
   * the request kinds routed anew (same order) and what changed; undefined when no arm draws from it.
   */
  readonly reweight?: (route: string, group: string, weight: number) => { kinds: SimRequestKind[]; detail: string } | undefined
}

/** A timeline action at a virtual time. */
export interface SimTimelineEntry {
  readonly atUs: number
  readonly entry: TimelineEntry
  readonly group: string
  readonly index?: number
}

/** Everything a simulation run needs. */
export interface SimModel {
  readonly seed: number
  readonly layer: 4 | 7
  readonly protocol: string
  readonly backends: readonly SimBackend[]
  readonly pools: readonly SimPool[]
  readonly load: SimLoad
  /** One-way balancer↔backend delay; undefined: none. */
  readonly network?: SimLatency
  readonly timeline: readonly SimTimelineEntry[]
  /** The balancer's CPU (see the `simulation.balancer` section); undefined: it takes no time. */
  readonly balancer?: {
    readonly cores: number
    readonly perRequest: SimLatency
    /** Added to each request's time: the load opens a connection per request (see the section). */
    readonly perConnection?: SimLatency
  }
  /**
   * A TLS handshake per request (connection per request over TLS), done by the balancer
   * (termination) or the backend (passthrough, direct) before the request is written.
   */
  readonly tls?: { readonly handshake: SimLatency; readonly at: 'balancer' | 'backends' }
  /** Backends up to which per-backend series are kept. */
  readonly perBackendSeries: number
  readonly disruptionKeys: number
  /** What the model leaves out or approximates, for the result's warnings. */
  readonly notes: readonly string[]
}
