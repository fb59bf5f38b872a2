import type { z } from 'zod'

/** A backend as the balancing core sees it: an identity, an address and a weight. */
export interface Backend {
  /** Stable identity; hash algorithms place backends by it, so it must not change across restarts. */
  readonly id: string
  readonly host: string
  readonly port: number
  /** Relative weight, > 0. Algorithms that ignore weights say so in their `weighted` flag. */
  readonly weight: number
}

/** What a single pick may know about the request it is for. */
export interface PickContext {
  /** Hash key for key-based algorithms (source IP, header, cookie, path — extracted by the caller). */
  readonly key?: string | Uint8Array
  /**
   * The key's 32-bit hash (`murmur3(key)`), when the caller already has it: hashed once per request
   * and reused across retries, as Envoy does. Takes precedence over `key`.
   */
  readonly hash?: number
  /** The current time in µs, when the caller has just read the clock (saves a second read). */
  readonly nowUs?: number
  /** 0 for the first try; each retry counts up. */
  readonly attempt?: number
  /** Ids of backends already tried for this request; pickers never return one of these. */
  readonly tried?: ReadonlySet<string>
}

/** How a request on a backend ended, reported to feedback algorithms. */
export interface Outcome {
  readonly ok: boolean
  /** Time from start to completion, in microseconds. */
  readonly latencyUs: number
}

/**
 * Chooses backends from an immutable snapshot of ready backends. `pick` is synchronous and does no
 * I/O; it returns `undefined` only when the snapshot is empty or every backend in it was tried.
 */
export interface Picker {
  readonly backends: readonly Backend[]
  pick(ctx?: PickContext): Backend | undefined
  /** A request was sent to `backend` (feedback algorithms count it as in flight). */
  onStart?(backend: Backend): void
  /** A request on `backend` finished. Every `onStart` is matched by exactly one `onDone`. */
  onDone?(backend: Backend, outcome: Outcome): void
  /**
   * `onStart` for the backend at `index` of `backends`: the same feedback for a caller that knows
   * the position (the backend pool keeps it per member), without looking the backend up.
   * Feedback algorithms provide both forms.
   */
  onStartAt?(index: number): void
  /** `onDone` for the backend at `index` of `backends`. */
  onDoneAt?(index: number, outcome: Outcome): void
}

/** Injected time and randomness: with a seeded `random` and a virtual clock, every pick replays. */
export interface Deps {
  /** Uniform in [0, 1). */
  random(): number
  /** Monotonic time in microseconds. */
  nowUs(): number
}

/** An algorithm: a named factory of pickers with a validated configuration. */
export interface Algorithm<C = unknown> {
  readonly name: string
  /** One line for `--help`, docs and reports. */
  readonly summary: string
  /** `key`: the caller supplies `PickContext.key` (without one, the pick is uniformly random). */
  readonly needs: 'none' | 'key'
  /** Whether backend weights shape the distribution. */
  readonly weighted: boolean
  /** Whether the picker uses `onStart`/`onDone` feedback. */
  readonly feedback: boolean
  /** Strict schema of the options; parsing `{}` yields the defaults. */
  readonly options: z.ZodType<C>
  /**
   * Builds a picker over a snapshot of ready backends. `previous`, the picker this one replaces,
   * lets an algorithm carry what it learned (e.g. latency averages) for backends that stay; counts
   * of requests in flight are replayed by the caller through `onStart`.
   */
  build(backends: readonly Backend[], options: C, deps: Deps, previous?: Picker): Picker
}

/** An algorithm of any options type, as held by the registry (options are parsed before use). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAlgorithm = Algorithm<any>
