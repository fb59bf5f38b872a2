import type { Behaviour } from '../backend/backend-config.js'
import { drawLatencyMs } from '../backend/latency-distribution.js'
import type { EventQueue } from './event-queue.js'
import { EV_DEPART } from './sim-events.js'
import type { SimBackend } from './sim-model.js'
import type { SimLatency } from './simulation-schema.js'


/** Station states. */
export const ABSENT = 0
export const UP = 1
/** Killed: connections are refused. */
export const DEAD = 2
/** Hung: connections are accepted, nothing is served until resumed. */
export const PAUSED = 3

/** Answer codes a departure yields (besides HTTP statuses): the backend reset the connection. */
export const RESET = 0

/** What became of a job that reached its backend. */
export const ACCEPTED = -1
export const REFUSED = -2

// Each backend's numbers sit together in one record (a row of a typed array), so an arrival or
// a departure touches one or two cache lines, not one per field: with thousands of backends the
// fields of separate arrays would each miss the cache.
/** Offsets in a backend's record of doubles. */
const BUSY = 0
const QUEUED = 1
const SERVERS = 2
const QUEUE_CAP = 3
const LAST_T = 4
const AREA_BUSY = 5
const AREA_QUEUE = 6
const MAX_QUEUE = 7
const SERVED = 8
const RESET_RATE = 9
const ERROR_RATE = 10
const PAUSED_AT = 11
const F = 12
/** Offsets in a backend's record of integers. */
const STATE = 0
const Q_HEAD = 1
const Q_TAIL = 2
const HOLD_HEAD = 3
const ERROR_STATUS = 4
const I = 8
/** Offsets in a job's record of integers. */
const J_REQ = 0
const J_GEN = 1
const J_SERIAL = 2
const J_BACKEND = 3
const J_NEXT = 4
const J_LIVE = 5
/** 1: the job's connection is new and the backend does its TLS handshake first (passthrough). */
const J_HANDSHAKE = 6
const J = 8

/**
 * The backends as service stations: `servers` parallel servers and a FIFO queue of bounded
 * length each, jobs (one attempt of one request at one backend) in typed arrays with a free list,
 * queues and held jobs as linked lists through the jobs. Time-weighted areas of the number waiting
 * and in service give queue lengths and utilisation without storing any per-request sample.
 */
export class BackendStations {
  readonly n: number
  /** Per backend, `F` doubles (see the offsets above). */
  private readonly f: Float64Array
  /** Per backend, `I` integers. */
  private readonly i: Int32Array
  private readonly service: SimLatency[]
  private readonly behaviour: Behaviour[]

  /**
   * Per job, `J` integers; what is left of its service while held by a hung backend; when its
   * handshake ends (jobs with one).
   */
  private jobs: Int32Array
  private remaining: Float64Array
  private setUpAt: Float64Array
  private jobFree: Int32Array
  private jobFreeTop: number
  private serial = 0

  constructor(
    backends: readonly SimBackend[],
    private readonly queue: EventQueue,
    private readonly random: () => number,
    /** The TLS handshake a backend does before serving a job on a new connection (passthrough). */
    private readonly handshake?: SimLatency,
  ) {
    const n = backends.length
    this.n = n
    this.f = new Float64Array(n * F)
    this.i = new Int32Array(n * I)
    backends.forEach((b, k) => {
      this.f[k * F + SERVERS] = b.servers
      this.f[k * F + QUEUE_CAP] = b.queue
      this.i[k * I + STATE] = b.present ? UP : ABSENT
      this.i[k * I + Q_HEAD] = -1
      this.i[k * I + Q_TAIL] = -1
      this.i[k * I + HOLD_HEAD] = -1
      this.setRates(k, b.behaviour)
    })
    this.service = backends.map((b) => literalKind(b.service))
    this.behaviour = backends.map((b) => b.behaviour)
    const cap = 1024
    this.jobs = new Int32Array(cap * J)
    this.remaining = new Float64Array(cap)
    this.setUpAt = new Float64Array(cap)
    this.jobFree = Int32Array.from({ length: cap }, (_, k) => cap - 1 - k)
    this.jobFreeTop = cap
  }

  // What the recorder and the result read of a backend.
  stateOf(b: number): number {
    return this.i[b * I + STATE]!
  }
  serversOf(b: number): number {
    return this.f[b * F + SERVERS]!
  }
  /** Jobs whose service finished, warm-up included (the backend's own count). */
  servedOf(b: number): number {
    return this.f[b * F + SERVED]!
  }
  /** Time integral of requests in service since the last `resetAreas`, µs. */
  areaBusyOf(b: number): number {
    return this.f[b * F + AREA_BUSY]!
  }
  /** Time integral of requests waiting since the last `resetAreas`, µs. */
  areaQueueOf(b: number): number {
    return this.f[b * F + AREA_QUEUE]!
  }
  /** Longest queue since the last `resetAreas`. */
  maxQueueOf(b: number): number {
    return this.f[b * F + MAX_QUEUE]!
  }

  /** The request and attempt generation a job works for. */
  requestOf(j: number): number {
    return this.jobs[j * J + J_REQ]!
  }
  genOf(j: number): number {
    return this.jobs[j * J + J_GEN]!
  }
  backendOf(j: number): number {
    return this.jobs[j * J + J_BACKEND]!
  }
  serialOf(j: number): number {
    return this.jobs[j * J + J_SERIAL]!
  }
  /** Whether an event still belongs to job `j` (not killed, not reused). */
  current(j: number, serial: number): boolean {
    const o = j * J
    return this.jobs[o + J_LIVE] === 1 && this.jobs[o + J_SERIAL] === serial
  }

  /**
   * When job `j`'s TLS handshake ended, µs; NaN for a job without one or whose service has not
   * started.
   */
  setUpAtOf(j: number): number {
    return this.jobs[j * J + J_HANDSHAKE] === 1 ? this.setUpAt[j]! : NaN
  }

  /** A new job for attempt `gen` of request `r` at backend `b`; `handshake`: on a new TLS connection. */
  newJob(r: number, gen: number, b: number, handshake = false): number {
    if (this.jobFreeTop === 0) this.growJobs()
    const j = this.jobFree[--this.jobFreeTop]!
    const o = j * J
    const jobs = this.jobs
    jobs[o + J_REQ] = r
    jobs[o + J_GEN] = gen
    jobs[o + J_BACKEND] = b
    jobs[o + J_SERIAL] = this.serial = (this.serial + 1) | 0
    jobs[o + J_NEXT] = -1
    jobs[o + J_LIVE] = 1
    jobs[o + J_HANDSHAKE] = handshake && this.handshake !== undefined ? 1 : 0
    return j
  }

  freeJob(j: number): void {
    this.jobs[j * J + J_LIVE] = 0
    this.jobFree[this.jobFreeTop++] = j
  }

  /** Adds the time since the last change to backend `b`'s areas. */
  account(b: number, t: number): void {
    const f = this.f
    const o = b * F
    const dt = t - f[o + LAST_T]!
    if (dt > 0) {
      f[o + AREA_BUSY]! += f[o + BUSY]! * dt
      f[o + AREA_QUEUE]! += f[o + QUEUED]! * dt
    }
    f[o + LAST_T] = t
  }

  /** Closes every backend's areas at `t` and starts new ones (interval boundaries). */
  resetAreas(t: number): void {
    const f = this.f
    for (let b = 0; b < this.n; b++) {
      this.account(b, t)
      const o = b * F
      f[o + AREA_BUSY] = 0
      f[o + AREA_QUEUE] = 0
      f[o + MAX_QUEUE] = f[o + QUEUED]!
    }
  }

  /**
   * Job `j` reaches its backend at `t`: served at once, queued, refused (backend dead or gone:
   * REFUSED) or turned away because the queue is full (503). Returns ACCEPTED, REFUSED or 503.
   */
  arrive(j: number, t: number): number {
    const b = this.jobs[j * J + J_BACKEND]!
    const st = this.i[b * I + STATE]!
    if (st === DEAD || st === ABSENT) {
      this.freeJob(j)
      return REFUSED
    }
    this.account(b, t)
    const f = this.f
    const o = b * F
    if (st === UP && f[o + BUSY]! < f[o + SERVERS]!) {
      f[o + BUSY]! += 1
      this.startService(j, b, t)
      return ACCEPTED
    }
    // A hung backend's kernel still accepts: its queue grows whatever the limit.
    if (st === UP && f[o + QUEUED]! >= f[o + QUEUE_CAP]!) {
      this.freeJob(j)
      return 503
    }
    this.enqueue(j, b)
    return ACCEPTED
  }

  /**
   * Job `j`'s service ended at `t`. Returns the answer (200, an error status, or RESET), or
   * ACCEPTED when the backend is hung and the job is held until it resumes. Starts the next job.
   */
  depart(j: number, t: number): number {
    const b = this.jobs[j * J + J_BACKEND]!
    const f = this.f
    const o = b * F
    const io = b * I
    if (this.i[io + STATE] === PAUSED) {
      // Frozen mid-service: what was left at the pause is served after the resume.
      this.remaining[j] = t - f[o + PAUSED_AT]!
      this.jobs[j * J + J_NEXT] = this.i[io + HOLD_HEAD]!
      this.i[io + HOLD_HEAD] = j
      return ACCEPTED
    }
    this.account(b, t)
    f[o + SERVED]! += 1
    const head = this.i[io + Q_HEAD]!
    if (head >= 0) {
      this.dequeue(b)
      this.startService(head, b, t)
    } else f[o + BUSY]! -= 1
    // The backend app's draw order: reset first, then error.
    const reset = f[o + RESET_RATE]!
    if (reset > 0 && this.random() < reset) return RESET
    const error = f[o + ERROR_RATE]!
    if (error > 0 && this.random() < error) return this.i[io + ERROR_STATUS]!
    return 200
  }

  /** Backend `b` hangs at `t`. */
  pause(b: number, t: number): void {
    if (this.i[b * I + STATE] !== UP) return
    this.i[b * I + STATE] = PAUSED
    this.f[b * F + PAUSED_AT] = t
  }

  /** A hung backend carries on at `t`: held jobs finish their remaining service, queued ones start. */
  resume(b: number, t: number): void {
    const io = b * I
    if (this.i[io + STATE] !== PAUSED) return
    this.i[io + STATE] = UP
    this.account(b, t)
    for (let j = this.i[io + HOLD_HEAD]!; j >= 0; ) {
      const next = this.jobs[j * J + J_NEXT]!
      this.jobs[j * J + J_NEXT] = -1
      this.queue.push(t + this.remaining[j]!, EV_DEPART, j, this.jobs[j * J + J_SERIAL]!)
      j = next
    }
    this.i[io + HOLD_HEAD] = -1
    const f = this.f
    const o = b * F
    while (f[o + BUSY]! < f[o + SERVERS]! && this.i[io + Q_HEAD]! >= 0) {
      const j = this.i[io + Q_HEAD]!
      this.dequeue(b)
      f[o + BUSY]! += 1
      this.startService(j, b, t)
    }
  }

  /**
   * Backend `b` dies at `t` (kill, remove): every job on it is lost; `onLost(r, gen)` hears of each
   * (its connection was reset). `next` is the state it is left in (DEAD or ABSENT).
   */
  kill(b: number, t: number, onLost: (r: number, gen: number) => void, next: number = DEAD): void {
    this.account(b, t)
    const lost: number[] = []
    const jobs = this.jobs
    for (let j = 0; j * J < jobs.length; j++) if (jobs[j * J + J_LIVE] === 1 && jobs[j * J + J_BACKEND] === b) lost.push(j)
    for (const j of lost) {
      const r = jobs[j * J + J_REQ]!
      const g = jobs[j * J + J_GEN]!
      this.freeJob(j)
      onLost(r, g)
    }
    const o = b * F
    const io = b * I
    this.f[o + BUSY] = 0
    this.f[o + QUEUED] = 0
    this.i[io + Q_HEAD] = -1
    this.i[io + Q_TAIL] = -1
    this.i[io + HOLD_HEAD] = -1
    this.i[io + STATE] = next
  }

  /** Backend `b` (re)starts empty at `t`. */
  start(b: number, t: number): void {
    this.account(b, t)
    this.i[b * I + STATE] = UP
  }

  /** Replaces backend `b`'s behaviour (set-behaviour): its latency becomes the service time. */
  configure(b: number, behaviour: Behaviour): void {
    this.behaviour[b] = behaviour
    this.setRates(b, behaviour)
    if (behaviour.latency !== undefined) this.service[b] = literalKind(behaviour.latency)
  }

  behaviourOf(b: number): Behaviour {
    return this.behaviour[b]!
  }

  private setRates(b: number, behaviour: Behaviour): void {
    this.f[b * F + RESET_RATE] = behaviour.resetRate ?? 0
    this.f[b * F + ERROR_RATE] = behaviour.errorRate ?? 0
    this.i[b * I + ERROR_STATUS] = behaviour.errorStatus ?? 500
  }

  private startService(j: number, b: number, t: number): void {
    let s = drawLatencyMs(this.service[b]!, this.random) * 1000
    if (this.jobs[j * J + J_HANDSHAKE] === 1) {
      // The handshake first, then the request written on the connection.
      const h = drawLatencyMs(this.handshake!, this.random) * 1000
      this.setUpAt[j] = t + h
      s += h
    }
    this.queue.push(t + s, EV_DEPART, j, this.jobs[j * J + J_SERIAL]!)
  }

  private enqueue(j: number, b: number): void {
    const io = b * I
    const tail = this.i[io + Q_TAIL]!
    if (tail < 0) this.i[io + Q_HEAD] = j
    else this.jobs[tail * J + J_NEXT] = j
    this.i[io + Q_TAIL] = j
    const f = this.f
    const o = b * F
    const q = (f[o + QUEUED]! += 1)
    if (q > f[o + MAX_QUEUE]!) f[o + MAX_QUEUE] = q
  }

  private dequeue(b: number): void {
    const io = b * I
    const j = this.i[io + Q_HEAD]!
    const next = this.jobs[j * J + J_NEXT]!
    this.i[io + Q_HEAD] = next
    if (next < 0) this.i[io + Q_TAIL] = -1
    this.jobs[j * J + J_NEXT] = -1
    this.f[b * F + QUEUED]! -= 1
  }

  private growJobs(): void {
    const old = this.remaining.length
    const n = old * 2
    const jobs = new Int32Array(n * J)
    jobs.set(this.jobs)
    this.jobs = jobs
    const remaining = new Float64Array(n)
    remaining.set(this.remaining)
    this.remaining = remaining
    const setUpAt = new Float64Array(n)
    setUpAt.set(this.setUpAt)
    this.setUpAt = setUpAt
    const free = new Int32Array(n)
    for (let k = 0; k < n - old; k++) free[k] = n - 1 - k
    this.jobFree = free
    this.jobFreeTop = n - old
  }
}

const KINDS: Readonly<Record<SimLatency['kind'], SimLatency['kind']>> = { fixed: 'fixed', uniform: 'uniform', exponential: 'exponential', lognormal: 'lognormal', bimodal: 'bimodal' }

/**
 * The spec with its `kind` replaced by the source's own literal: a kind parsed from YAML is an
 * equal but distinct string, and the distribution's switch would compare it character by
 * character on every draw instead of by identity.
 */
function literalKind(spec: SimLatency): SimLatency {
  return { ...spec, kind: KINDS[spec.kind] } as SimLatency
}
