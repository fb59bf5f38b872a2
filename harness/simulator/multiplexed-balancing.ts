/**
 * Connection-level against request-level balancing for long-lived multiplexed connections (HTTP/2,
 * gRPC), in windows of simulated time. At `connection` level (an L4 balancer) each client holds one
 * connection pinned to the backend picked when it connected, and every request of the client goes
 * there; with a maximum connection age (gRFC A9) the client reconnects after its jittered age and
 * is picked again. At `request` level (an L7 balancer) every request is picked on its own. A backend
 * joins at `addAtWindow` (by default a third of the way in); the result is each window's share per
 * backend, how uneven it is, and the time to fair: the first window from the join on where the new
 * backend holds at least 0.8 × 1/N of the requests and keeps that to the end. Pure: the picks come
 * from the engine's registry algorithms with seeded randomness.
 */
import { configureAlgorithm } from '../../engine/balancing/create-picker.js'
import type { Backend, Picker } from '../../engine/balancing/types.js'
import { jitteredAge } from '../backend/behaviour.js'
import { seededRandom } from '../../engine/balancing/random.js'
import { createVirtualClock, streamSeed } from './virtual-clock.js'

/** Where the balancing decision is made. */
export type BalancingLevel = 'connection' | 'request'

/** One simulation of the model. */
export interface MultiplexedModel {
  readonly level: BalancingLevel
  /** Registry name; default round-robin. */
  readonly algorithm?: string
  readonly options?: Record<string, unknown>
  /** Clients, one connection each. */
  readonly clients: number
  /** Requests each client sends per window (its streams carry them all). */
  readonly requestsPerWindow: number
  /** Backends at the start; one more joins at `addAtWindow`. */
  readonly backends: number
  readonly windows: number
  /** Default ⌊windows / 3⌋. */
  readonly addAtWindow?: number
  /** Connection level: a connection's maximum age in windows (±10% jitter); unset: connections live for ever. */
  readonly maxConnectionAgeWindows?: number
  readonly seed: number
}

/** One window of the result. */
export interface ShareWindow {
  readonly window: number
  /** Share of the window's requests per backend id (backends present in the window). */
  readonly shares: Readonly<Record<string, number>>
  /** The largest share over the mean share. */
  readonly maxOverMean: number
  /** Coefficient of variation of the shares. */
  readonly cv: number
}

/** What the model produced. */
export interface MultiplexedResult {
  readonly windows: readonly ShareWindow[]
  /** The backend that joined. */
  readonly added: string
  /** Windows from the join to fairness; undefined when the new backend never got and kept its share. */
  readonly timeToFairWindows: number | undefined
  /** Connections opened, first ones included. */
  readonly connections: number
}

/** The share a new backend must reach, as a fraction of the fair 1/N. */
export const FAIR_FRACTION = 0.8

interface Client {
  backend: Backend | undefined
  /** Window (fractional) at which the connection is retired. */
  expires: number
}

/** Runs the model. */
export function simulateMultiplexed(m: MultiplexedModel): MultiplexedResult {
  const configured = configureAlgorithm(m.algorithm ?? 'round-robin', m.options ?? {})
  const clock = createVirtualClock(m.seed)
  // Its own stream: ages drawn do not shift the picker's draws.
  const ageRandom = seededRandom(streamSeed(m.seed, 7))
  const addAt = m.addAtWindow ?? Math.floor(m.windows / 3)
  const all: Backend[] = Array.from({ length: m.backends + 1 }, (_, i) => ({ id: `backend-${i}`, host: '127.0.0.1', port: 1, weight: 1 }))
  const added = all[m.backends]!
  // Rebuilt only when membership changes, as the engine does.
  let present = all.slice(0, m.backends)
  let picker: Picker = configured.build(present, clock.deps)
  const clients: Client[] = Array.from({ length: m.clients }, () => ({ backend: undefined, expires: Number.POSITIVE_INFINITY }))
  let connections = 0
  const connect = (c: Client, at: number) => {
    if (c.backend !== undefined) picker.onDone?.(c.backend, { ok: true, latencyUs: 0 })
    c.backend = picker.pick()
    if (c.backend !== undefined) picker.onStart?.(c.backend)
    connections++
    const age = m.maxConnectionAgeWindows
    c.expires = age === undefined ? Number.POSITIVE_INFINITY : at + jitteredAge(age, ageRandom)
  }

  const windows: ShareWindow[] = []
  for (let w = 0; w < m.windows; w++) {
    if (w === addAt) {
      present = all
      picker = configured.build(present, clock.deps)
      // The old picker's connection counts go with it; the new one learns the connections still open.
      for (const c of clients) if (c.backend !== undefined) picker.onStart?.(present.find((b) => b.id === c.backend!.id)!)
      for (const c of clients) if (c.backend !== undefined) c.backend = present.find((b) => b.id === c.backend!.id)
    }
    const counts = new Map<string, number>(present.map((b) => [b.id, 0]))
    for (const c of clients) {
      // A connection past its age is replaced at the start of the window.
      if (m.level === 'connection' && (c.backend === undefined || c.expires <= w)) connect(c, w)
      for (let r = 0; r < m.requestsPerWindow; r++) {
        let b: Backend | undefined
        if (m.level === 'connection') b = c.backend
        else {
          b = picker.pick()
          if (b !== undefined) {
            picker.onStart?.(b)
            picker.onDone?.(b, { ok: true, latencyUs: 0 })
          }
        }
        if (b !== undefined) counts.set(b.id, counts.get(b.id)! + 1)
      }
    }
    windows.push(shareWindow(w, counts))
  }
  if (m.level === 'request') connections = m.clients
  return { windows, added: added.id, timeToFairWindows: timeToFair(windows, added.id, addAt, m.backends + 1), connections }
}

/** One window's shares and their spread. */
function shareWindow(window: number, counts: ReadonlyMap<string, number>): ShareWindow {
  let total = 0
  for (const n of counts.values()) total += n
  const shares: Record<string, number> = {}
  for (const [id, n] of counts) shares[id] = total === 0 ? 0 : n / total
  const values = Object.values(shares)
  const mean = values.length === 0 ? 0 : 1 / values.length
  const max = Math.max(0, ...values)
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length)
  return { window, shares, maxOverMean: mean === 0 ? 1 : max / mean, cv: mean === 0 ? 0 : Math.sqrt(variance) / mean }
}

/**
 * Windows from `addAt` to the first window where `id` holds at least {@link FAIR_FRACTION} × 1/n of
 * the requests and does so in every later window; undefined when no such window exists.
 */
export function timeToFair(windows: readonly ShareWindow[], id: string, addAt: number, n: number): number | undefined {
  const threshold = FAIR_FRACTION / n
  let first: number | undefined
  for (const w of windows) {
    if (w.window < addAt) continue
    if ((w.shares[id] ?? 0) >= threshold) first ??= w.window
    else first = undefined
  }
  return first === undefined ? undefined : first - addAt
}
