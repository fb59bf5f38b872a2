import { fmix32 } from '../../engine/balancing/hash.js'
import type { Backend } from '../../engine/balancing/types.js'
import { EngineError } from '../../engine/errors.js'
import type { RunEvent } from '../../reports/result/result-model.js'
import { drawLatencyMs } from '../backend/latency-distribution.js'
import { arrivalStream, type ArrivalStream } from './arrival-process.js'
import { ACCEPTED, BackendStations, REFUSED, RESET } from './backend-stations.js'
import { BalancerCpu } from './balancer-cpu.js'
import { ControlPlane, type DisruptionEvent } from './control-plane.js'
import { DeadlineQueue } from './deadline-queue.js'
import { EventQueue } from './event-queue.js'
import { StickinessTracker } from '../runner/stickiness.js'
import { SendOrder } from './send-order.js'
import { SimRecorder } from './sim-recorder.js'
import type { SimModel, SimRequestKind } from './sim-model.js'
import { EV_ARRIVE, EV_CLIENT, EV_CPU, EV_DEPART, EV_LOCAL, EV_OUTLIER, EV_PROBE, EV_PROBE_RESULT, EV_RESPONSE, EV_STOP, EV_TIMELINE, REFUSED_ANSWER } from './sim-events.js'
import { createSimPools, PORT_INDEX_MAX, type SimPoolState } from './sim-pools.js'
import { applyTimelineEntry, type TimelineHost } from './timeline-actions.js'
import { createVirtualClock, type VirtualClock } from './virtual-clock.js'
import { zipfSampler } from './zipf.js'

/** Time the balancer takes to answer by itself (404, 503 without backends): keeps closed loops moving. */
const LOCAL_ANSWER_US = 20
export type { DisruptionEvent } from './control-plane.js'

/** Everything a simulated run measured. */
export interface SimulationOutcome {
  readonly recorder: SimRecorder
  readonly stations: BackendStations
  readonly events: RunEvent[]
  readonly disruptions: DisruptionEvent[]
  /** Requests checked against the mix's expected groups, and how many reached another group. */
  readonly routing?: { checked: number; misrouted: number }
  /** Requests simulated (warm-up included) and events processed. */
  readonly requests: number
  readonly eventsProcessed: number
  /** Virtual time at the end, µs (warm-up included). */
  readonly virtualUs: number
  /** The measured window: end of the warm-up to when sending stopped, µs. */
  readonly measuredUs: number
  /** Measured time the station averages cover (the end of the warm-up to the end of sending), µs. */
  readonly accountedUs: number
  /** Backends that were ever in service (not only reserved for an add-backend that never ran). */
  readonly everPresent: Uint8Array
  /**
   * With remove-/add-backend on the timeline and several clients: each client's backend (station,
   * −1 none) from its last measured answer in each epoch between membership changes — epoch k
   * ends at the k-th change, the last at the end of the run.
   */
  readonly keyEpochs?: readonly Int32Array[]
  /** Stickiness of the measured answers (backends by station), with several clients or cookies as a live run checks it. */
  readonly sticky?: StickinessTracker<number>
  /** The balancer's CPU over the measured window, when modelled. */
  readonly balancer?: ReturnType<BalancerCpu['summary']>
  readonly warnings: string[]
}

/**
 * A discrete-event simulation of one scenario variant: clients, the engine's pools (its pickers,
 * health, ejection and retry rules, running on virtual time), the network and the backends as
 * queueing stations. Pure: no timers and no I/O; everything random comes from the seeded clock,
 * so a model and a seed always give the same outcome.
 */
export class Simulation {
  private readonly clock: VirtualClock
  private readonly queue = new EventQueue(4096)
  private readonly stations: BackendStations
  private readonly pools: SimPoolState[]
  private readonly recorder: SimRecorder
  private readonly stationOf = new Map<string, number>()
  private readonly ids: string[]
  private readonly everPresent: Uint8Array

  // Requests in flight, by slot.
  private cap = 0
  private free = new Int32Array(0)
  private freeTop = 0
  /** Per request slot, `RF` doubles and `RI` integers (see the offsets at the end of the file). */
  private rf = new Float64Array(0)
  private ri = new Int32Array(0)
  private backendObj: (Backend | undefined)[] = []
  private tried: (Set<string> | undefined)[] = []

  /** Requests in flight in send order: the oldest has the next client timeout. */
  private readonly inFlight = new SendOrder(4096)
  /** Open loop: intended send times waiting for a free connection. */
  private readonly waiting = new DeadlineQueue(64)
  private connsInUse = 0
  /** The earliest deadline among the timer FIFOs (possibly of a stale timer). */
  private timeoutAt = Infinity
  private lastSend = new Float64Array(0)
  private nextArrival = Infinity
  private arrivals: ArrivalStream | undefined
  private sendingDone = false
  private stoppedAtUs = Infinity
  private measuredSends = 0
  private measuredOpen = 0
  private requests = 0
  private eventsProcessed = 0
  private now = 0

  private readonly ctx: { hash: number | undefined; tried: ReadonlySet<string> | undefined; attempt: number; nowUs: number } = { hash: undefined, tried: undefined, attempt: 0, nowUs: 0 }
  private readonly outcome = { ok: true, latencyUs: 0 }
  private readonly net: (() => number) | undefined
  private readonly keyOf: (r: number, serial: number, client: number, kind: number) => number
  private readonly control: ControlPlane
  private readonly timelineHost: TimelineHost
  private readonly warnings: string[] = []
  private readonly routing: { checked: number; misrouted: number } | undefined
  private readonly layer7: boolean
  private anyRebuilt = false
  /** Each client's backend from its last measured answer in this epoch (see `keyEpochs`). */
  private keyLast: Int32Array | undefined
  /** Clients a request's `R_KEY` is taken from (0: requests carry no client). */
  private readonly sessions: number
  /** Stickiness as measured (see `SimulationOutcome.sticky`). */
  private readonly sticky: StickinessTracker<number> | undefined
  /** The backend each client's cookie pins (−1 none), when clients keep cookies and a pool sticks by them. */
  private readonly pins: Int32Array | undefined
  /** The balancer's CPU, when modelled; requests wait for it before being routed. */
  private readonly cpu: BalancerCpu | undefined
  private readonly keyEpochs: Int32Array[] = []
  /** The load's settings the hot path reads, in one object of fixed shape. */
  private readonly hot: HotSettings
  /** The pool of every request when there is one request kind without a split; else −1. */
  private onlyPool: number
  /** Whether requests carry hash keys at all. */
  private readonly keyed: boolean
  /**
   * Per pool, whether its response timeout can fire: only at layer 7, and only when shorter than
   * the client's timeout (a longer one is always preceded by the client giving up, which ends the
   * attempt), so most requests need one timer, not two.
   */
  private readonly responseTimers: Uint8Array
  /** Whether any pool's response timeout can fire. */
  private readonly responseTimed: boolean
  /** Whether every backend's index fits in its member port (see `memberSpec`). */
  private readonly portIndexed: boolean
  /** Whether each attempt's backend does a TLS handshake first (passthrough, direct over TLS). */
  private readonly backendHandshakes: boolean
  /** Whether requests' connections are set up by a TLS handshake at all (`R_RELAY`, `R_SET_UP` in use). */
  private readonly handshakes: boolean

  constructor(private readonly model: SimModel) {
    const clock = createVirtualClock(model.seed)
    this.clock = clock
    this.layer7 = model.layer === 7
    this.ids = model.backends.map((b) => b.id)
    model.backends.forEach((b, i) => this.stationOf.set(b.id, i))
    this.portIndexed = model.backends.length - 1 <= PORT_INDEX_MAX
    this.everPresent = Uint8Array.from(model.backends, (b) => (b.present ? 1 : 0))
    this.backendHandshakes = model.tls?.at === 'backends'
    this.handshakes = model.tls !== undefined
    this.stations = new BackendStations(model.backends, this.queue, clock.service, this.backendHandshakes ? model.tls!.handshake : undefined)
    this.pools = createSimPools(
      model,
      clock.deps,
      (n) => this.control.notice(n),
      () => (this.anyRebuilt = true),
    )
    this.anyRebuilt = this.pools.some((p) => p.rebuilt)
    this.recorder = new SimRecorder({ originUs: model.load.warmupUs, intervalUs: model.load.intervalUs, stations: this.stations, ids: this.ids, perBackendLimit: model.perBackendSeries, statuses: this.layer7, corrected: model.load.open !== undefined })
    const spec = model.network
    this.net = spec === undefined ? undefined : () => drawLatencyMs(spec, clock.network) * 1000
    this.keyOf = this.keySource()
    this.hot = new HotSettings(model)
    this.control = new ControlPlane({
      queue: this.queue,
      stations: this.stations,
      pools: this.pools,
      ids: this.ids,
      stationOf: this.stationOf,
      warmupUs: model.load.warmupUs,
      net: this.net,
      random: clock.network,
      nowUs: () => this.now,
    })
    this.timelineHost = this.timelineParts()
    const changes = model.timeline.some((t) => t.entry.do === 'remove-backend' || t.entry.do === 'add-backend')
    const clients = model.load.closed?.clients ?? model.load.clients
    if (changes && model.load.clients > 1) this.keyLast = new Int32Array(clients).fill(-1)
    // As a live run: stickiness is checked with several clients or with cookies.
    const checked = model.load.clients > 1 || model.load.cookies
    // Key remapping (keyLast) needs several clients too, so it is covered.
    this.sessions = checked ? clients : 0
    if (checked) this.sticky = new StickinessTracker<number>()
    if (model.load.cookies && model.pools.some((p) => p.sticky)) this.pins = new Int32Array(clients).fill(-1)
    const b = model.balancer
    if (b !== undefined) {
      const window = { fromUs: model.load.warmupUs, toUs: () => this.recorder.totalsEndUs }
      const handshake = model.tls?.at === 'balancer' ? model.tls.handshake : undefined
      this.cpu = new BalancerCpu(b, handshake, this.queue, clock.balancer, window, (r, gen, connectionUs, requestUs) => {
        if (this.ri[r * RI + R_REQ_GEN] !== gen) return
        // Termination: the handshake ends before the request is read.
        if (handshake !== undefined) this.connected(r, this.now + connectionUs)
        // Passthrough: the relay's work on the request (spent here, before the pick) belongs to
        // the request's latency, after the backend's handshake.
        else this.rf[r * RF + R_RELAY] = requestUs
      })
    }
    this.keyed = model.load.keys.kind !== 'none'
    const kinds = model.load.kinds
    this.onlyPool = kinds.length === 1 && !kinds[0]!.splits ? kinds[0]!.target(0) : -1
    this.responseTimers = Uint8Array.from(model.pools, (p) => (this.layer7 && p.responseTimeoutUs < model.load.timeoutUs ? 1 : 0))
    this.responseTimed = this.responseTimers.includes(1)
    this.routing = model.load.kinds.some((k) => k.expectedGroups !== undefined) ? { checked: 0, misrouted: 0 } : undefined
    this.growRequests(1024)
  }

  /** Runs the simulation to the end of the measured phase and every measured request's answer. */
  run(): SimulationOutcome {
    const { load } = this.model
    const q = this.queue
    this.start()
    const warmup = load.warmupUs
    // The pickers' clock: virtual time never runs backwards, so a plain store keeps it.
    const time = this.clock.time
    for (;;) {
      if (this.sendingDone && this.measuredOpen === 0 && this.waiting.size === 0) break
      const th = q.peekTime()
      const ta = this.nextArrival
      const tt = this.timeoutAt
      // Ties: heap events first, then arrivals, then timeouts (an answer at the deadline counts).
      let t = th < ta ? th : ta
      const timeout = tt < t
      if (timeout) t = tt
      if (t === Infinity) break
      if (t >= this.recorder.nextBoundary) this.recorder.advance(t)
      this.now = t
      time[0] = t
      this.eventsProcessed++
      if (timeout) this.expireTimeouts()
      else if (ta < th) this.arrive(ta, warmup)
      else {
        q.pop()
        this.dispatch(q.kind, q.a, q.b, q.c)
      }
      if (this.anyRebuilt) {
        this.anyRebuilt = false
        this.control.checkDisruption()
      }
    }
    const end = this.now
    this.recorder.closeTotals(Math.max(end, warmup))
    this.recorder.finish(Math.max(end, warmup))
    const measuredUs = Math.max(0, Math.min(this.stoppedAtUs, end) - warmup)
    return {
      recorder: this.recorder,
      stations: this.stations,
      events: this.control.events.sort((a, b) => a.tMs - b.tMs),
      disruptions: this.control.disruptions,
      ...(this.routing === undefined ? {} : { routing: this.routing }),
      requests: this.requests,
      eventsProcessed: this.eventsProcessed,
      virtualUs: end,
      measuredUs,
      accountedUs: Math.max(0, Math.min(this.recorder.totalsEndUs, end) - warmup),
      everPresent: this.everPresent,
      ...(this.keyLast === undefined ? {} : { keyEpochs: [...this.keyEpochs, this.keyLast] }),
      ...(this.sticky === undefined ? {} : { sticky: this.sticky }),
      ...(this.cpu === undefined ? {} : { balancer: this.cpu.summary(end) }),
      warnings: [...this.warnings, ...this.control.warnings],
    }
  }

  // ── Set-up ────────────────────────────────────────────────────────────────────────────────

  private start(): void {
    const { load } = this.model
    const q = this.queue
    this.model.timeline.forEach((e, i) => q.push(e.atUs, EV_TIMELINE, i))
    this.pools.forEach((p, pi) => {
      if (p.model.healthCheck === undefined) return
      for (const m of p.model.members) q.push(0, EV_PROBE, pi, m.index)
    })
    if (Number.isFinite(load.durationUs)) q.push(load.warmupUs + load.durationUs, EV_STOP)
    if (load.open !== undefined) {
      this.arrivals = arrivalStream(load.open, this.clock.arrivals, 0)
      this.nextArrival = this.arrivals()
    } else {
      const clients = load.closed!.clients
      this.lastSend = new Float64Array(clients).fill(-Infinity)
      for (let c = 0; c < clients; c++) q.push(0, EV_CLIENT, c)
    }
  }

  /** The hash key source of the load: NaN for a request the balancer hashes at random. */
  private keySource(): (r: number, serial: number, client: number, kind: number) => number {
    const keys = this.model.load.keys
    switch (keys.kind) {
      case 'none':
        return () => NaN
      case 'space': {
        const random = this.clock.arrivals
        const count = keys.count
        const draw = keys.zipf > 0 ? zipfSampler(count, keys.zipf, random) : () => 1 + Math.floor(random() * count)
        return () => fmix32(Math.imul(draw(), 0x9e3779b1) ^ 0x5f356495)
      }
      case 'client': {
        const hashes = keys.hashes
        return (_r, serial, client) => hashes[(client >= 0 ? client : serial) % hashes.length]!
      }
      case 'request': {
        const kinds = this.model.load.kinds
        return (_r, _s, _c, kind) => kinds[kind]!.keyHash ?? NaN
      }
    }
  }

  // ── The loop's sources ────────────────────────────────────────────────────────────────────

  private dispatch(kind: number, a: number, b: number, c: number): void {
    switch (kind) {
      case EV_DEPART:
        return this.departed(a, b)
      case EV_ARRIVE:
        // A kill while the job was on the wire already answered for it.
        if (this.stations.current(a, b)) this.reached(a)
        return
      case EV_RESPONSE:
        if (this.ri[a * RI + R_ATT_GEN] === b && this.ri[a * RI + R_BACKEND]! >= 0) this.answered(a, c)
        return
      case EV_LOCAL:
        if (this.ri[a * RI + R_REQ_GEN] === b) this.finishFailed(a, c)
        return
      case EV_CLIENT:
        return this.clientSends(a)
      case EV_PROBE:
        return this.control.probe(a, b)
      case EV_PROBE_RESULT:
        return this.control.probeResult(a, b, c === 1)
      case EV_TIMELINE:
        return applyTimelineEntry(this.timelineHost, a)
      case EV_OUTLIER:
        return this.control.outliersDue(a)
      case EV_STOP:
        return this.stopSending(this.now)
      case EV_CPU:
        this.cpu!.done(this.now)
        // A request whose client gave up while it waited or was processed goes no further.
        if (this.ri[a * RI + R_REQ_GEN] === b) this.admit(a, this.rf[a * RF + R_SERIAL]!)
        return
    }
  }

  /** An open-loop arrival at its intended time. */
  private arrive(t: number, warmup: number): void {
    const h = this.hot
    if (this.sendingDone) {
      this.nextArrival = Infinity
      return
    }
    if (t >= warmup) {
      if (t >= h.sendEndUs) {
        this.stopSending(h.sendEndUs)
        this.nextArrival = Infinity
        return
      }
      if (++this.measuredSends >= h.maxRequests) this.stopSending(t + h.gapUs)
    }
    if (this.connsInUse < h.connections) {
      this.connsInUse++
      this.send(t, -1)
    } else this.waiting.push(t, 0, 0)
    this.nextArrival = this.sendingDone ? Infinity : this.arrivals!()
    // A trace without loop ran out: nothing more will be sent.
    if (this.nextArrival === Infinity) this.stopSending(t)
  }

  private stopSending(at: number): void {
    if (this.sendingDone) return
    this.sendingDone = true
    this.stoppedAtUs = at
    // Queues and utilisation are averaged over the sending window, not the drain after it.
    if (this.now >= this.hot.warmupUs) this.recorder.closeTotals(this.now)
  }

  /** A closed-loop client's turn. */
  private clientSends(c: number): void {
    if (this.sendingDone) return
    const t = this.now
    const h = this.hot
    if (t >= h.warmupUs) {
      if (++this.measuredSends >= h.maxRequests) this.stopSending(t)
    }
    this.lastSend[c] = t
    this.send(t, c)
  }

  // ── A request's life ──────────────────────────────────────────────────────────────────────

  private send(intended: number, client: number): void {
    const t = this.now
    const h = this.hot
    const r = this.allocRequest()
    const serial = this.inFlight.push(r)
    this.requests++
    this.rf[r * RF + R_SEND] = t
    this.rf[r * RF + R_WRITE] = t
    if (this.handshakes) {
      this.rf[r * RF + R_RELAY] = 0
      this.ri[r * RI + R_SET_UP] = 0
    }
    this.rf[r * RF + R_SERIAL] = serial
    this.rf[r * RF + R_INTENDED] = intended
    this.ri[r * RI + R_CLIENT] = client
    this.ri[r * RI + R_ATTEMPT] = 0
    this.ri[r * RI + R_BACKEND] = -1
    const isMeasured = intended >= h.warmupUs
    this.ri[r * RI + R_MEASURED] = isMeasured ? 1 : 0
    if (isMeasured) {
      this.recorder.recordSent()
      this.measuredOpen++
    }
    // The only request in flight: its deadline is the client's next one.
    if (this.inFlight.span === 1 && t + h.timeoutUs < this.timeoutAt) this.timeoutAt = t + h.timeoutUs
    if (this.cpu !== undefined) return this.cpu.arrive(r, this.ri[r * RI + R_REQ_GEN]!, t)
    this.admit(r, serial)
  }

  /** The balancer takes request `r` (the `serial`-th sent): routes it to a pool and starts its first attempt. */
  private admit(r: number, serial: number): void {
    const t = this.now
    const h = this.hot
    const client = this.ri[r * RI + R_CLIENT]!
    const k = h.kindOf === undefined ? 0 : h.kindOf(serial)
    this.ri[r * RI + R_KIND] = k
    if (this.sessions > 0) this.ri[r * RI + R_KEY] = client >= 0 ? client : serial % this.sessions
    const kind = h.kinds[k]!
    const p = this.onlyPool >= 0 ? this.onlyPool : kind.target(kind.splits ? this.clock.arrivals() : 0)
    if (p < 0) return this.localAnswer(r, 404)
    this.ri[r * RI + R_POOL] = p
    this.rf[r * RF + R_HASH] = this.keyed ? this.keyOf(r, serial, client, k) : NaN
    const ps = this.pools[p]!
    // The budget only matters to pools that retry.
    if (ps.attempts > 0) ps.budget.deposit(t)
    this.startAttempt(r)
  }

  private startAttempt(r: number): void {
    const t = this.now
    const ps = this.pools[this.ri[r * RI + R_POOL]!]!
    const ctx = this.ctx
    const h = this.rf[r * RF + R_HASH]!
    ctx.hash = h === h ? h : undefined
    ctx.tried = this.tried[r]
    ctx.attempt = this.ri[r * RI + R_ATTEMPT]!
    ctx.nowUs = t
    // A cookie's backend serves while it is ready and untried; otherwise the picker chooses (the
    // engine's L7 exchange).
    const pin = this.pins !== undefined && ps.sticky ? this.pins[this.ri[r * RI + R_KEY]!]! : -1
    let backend = pin >= 0 ? ps.pool.readyBackend(this.ids[pin]!, ctx.tried) : undefined
    if (backend === undefined) {
      try {
        backend = ps.pool.pick(ctx)
      } catch (e) {
        if (!(e instanceof EngineError)) throw e
        return this.localAnswer(r, e.code === 'LB_ERR_NO_HEALTHY_BACKEND' ? 503 : 502)
      }
    }
    const s = this.portIndexed ? backend.port - 1 : this.stationOf.get(backend.id)!
    ps.pool.onStart(backend)
    this.backendObj[r] = backend
    this.ri[r * RI + R_BACKEND] = s
    this.rf[r * RF + R_ATTEMPT_T] = t
    const gen = this.ri[r * RI + R_ATT_GEN]!
    if (this.responseTimers[ps.index] === 1) this.armTimeout(ps.responseTimeouts, t + ps.responseTimeoutUs, r, gen)
    const j = this.stations.newJob(r, gen, s, this.backendHandshakes)
    if (this.net === undefined) this.reached(j)
    else this.queue.push(t + this.net(), EV_ARRIVE, j, this.stations.serialOf(j))
  }

  /** Job `j` reaches its backend. */
  private reached(j: number): void {
    const st = this.stations
    const r = st.requestOf(j)
    const gen = st.genOf(j)
    const code = st.arrive(j, this.now)
    if (code === ACCEPTED) return
    // Refused (dead backend) or turned away (full queue): the news travels back.
    this.queue.push(this.now + (this.net === undefined ? 0 : this.net()), EV_RESPONSE, r, gen, code === REFUSED ? REFUSED_ANSWER : code)
  }

  /** Job `j` finished its service. */
  private departed(j: number, serial: number): void {
    const st = this.stations
    if (!st.current(j, serial)) return
    const code = st.depart(j, this.now)
    if (code === ACCEPTED) return // held by a hung backend
    const r = st.requestOf(j)
    const gen = st.genOf(j)
    const setUp = st.setUpAtOf(j)
    st.freeJob(j)
    // An attempt the balancer gave up on (timeout, client gone) still used the server.
    if (this.ri[r * RI + R_ATT_GEN] !== gen) return
    if (setUp === setUp) this.connected(r, setUp - this.rf[r * RF + R_RELAY]!)
    if (this.net === undefined) this.answered(r, code)
    else this.queue.push(this.now + this.net(), EV_RESPONSE, r, gen, code)
  }

  /** The outstanding attempt of `r` ends with `code` at the balancer: feedback, then retry or answer. */
  private answered(r: number, code: number): void {
    const t = this.now
    const ps = this.pools[this.ri[r * RI + R_POOL]!]!
    const backend = this.backendObj[r]!
    const s = this.ri[r * RI + R_BACKEND]!
    const ok = code >= 200 && code < 500
    this.endAttempt(r, ps, ok)
    if (ps.outliers !== undefined) this.control.recordOutcome(ps, backend.id, ok)
    if (code === 200) {
      this.pinTo(r, ps, s)
      return this.finishOk(r, s)
    }
    const left = this.ri[r * RI + R_ATTEMPT]! < ps.attempts
    const replayable = this.hot.replayable
    if (code === REFUSED_ANSWER || code === RESET) {
      const allowed = code === REFUSED_ANSWER || replayable
      if (left && ps.retryConnectFailure && allowed && ps.budget.tryWithdraw(t)) return this.retry(r, backend)
      return this.finishFailed(r, this.layer7 ? 502 : RESET)
    }
    if ((code === 502 || code === 503) && left && ps.retryGatewayError && replayable && ps.budget.tryWithdraw(t)) return this.retry(r, backend)
    this.pinTo(r, ps, s)
    this.finishFailed(r, code, true)
  }

  /**
   * Request `r`'s connection is set up at `at` (its TLS handshake done): the request is written
   * then, so its latency starts there, and the handshake is measured as a live run measures it.
   */
  private connected(r: number, at: number): void {
    if (this.ri[r * RI + R_SET_UP] === 1) return
    this.ri[r * RI + R_SET_UP] = 1
    if (this.ri[r * RI + R_MEASURED] === 1) this.recorder.recordHandshake(at - this.rf[r * RF + R_SEND]!)
    this.rf[r * RF + R_WRITE] = at
  }

  /** A backend's answer reaches the client with the cookie of that backend (sticky pools), which the client keeps. */
  private pinTo(r: number, ps: SimPoolState, s: number): void {
    if (this.pins !== undefined && ps.sticky) this.pins[this.ri[r * RI + R_KEY]!] = s
  }

  private retry(r: number, backend: Backend): void {
    let tried = this.tried[r]
    if (tried === undefined) this.tried[r] = tried = new Set()
    tried.add(backend.id)
    this.ri[r * RI + R_ATTEMPT]! += 1
    this.startAttempt(r)
  }

  /** Feedback for the attempt in flight, which is then no longer current. */
  private endAttempt(r: number, ps: SimPoolState, ok: boolean): void {
    const o = this.outcome
    o.ok = ok
    o.latencyUs = this.now - this.rf[r * RF + R_ATTEMPT_T]!
    ps.pool.onDone(this.backendObj[r]!, o)
    this.ri[r * RI + R_ATT_GEN] = (this.ri[r * RI + R_ATT_GEN]! + 1) | 0
    this.ri[r * RI + R_BACKEND] = -1
  }

  private localAnswer(r: number, status: number): void {
    this.queue.push(this.now + LOCAL_ANSWER_US, EV_LOCAL, r, this.ri[r * RI + R_REQ_GEN]!, status)
  }

  private finishOk(r: number, s: number): void {
    if (this.ri[r * RI + R_MEASURED] === 1) {
      const t = this.now
      this.recorder.recordOk(s, t - this.rf[r * RF + R_WRITE]!, this.ri[r * RI + R_CLIENT]! < 0 ? t - this.rf[r * RF + R_INTENDED]! : undefined)
      if (this.keyLast !== undefined) this.keyLast[this.ri[r * RI + R_KEY]!] = s
      if (this.sticky !== undefined) this.sticky.answer(this.ri[r * RI + R_KEY]!, s)
      if (this.routing !== undefined) {
        const expected = this.hot.kinds[this.ri[r * RI + R_KIND]!]!.expectedGroups
        if (expected !== undefined) {
          this.routing.checked++
          if (!expected.has(this.model.backends[s]!.group)) this.routing.misrouted++
        }
      }
    }
    this.release(r)
  }

  /**
   * A failed request: `code` is an HTTP status, RESET (connection cut) or TIMEOUT (no reply in
   * time). At layer 4 there are no statuses: a backend's error is its `ERR` reply, and whatever the
   * balancer itself gives up on closes the connection.
   */
  private finishFailed(r: number, code: number, fromBackend = false): void {
    if (this.ri[r * RI + R_MEASURED] === 1) {
      const t = this.now
      const latency = t - this.rf[r * RF + R_WRITE]!
      const corrected = this.ri[r * RI + R_CLIENT]! < 0 ? t - this.rf[r * RF + R_INTENDED]! : undefined
      if (code === TIMEOUT) this.recorder.recordFailure('timeout', undefined, undefined, undefined)
      else if (code === RESET) this.recorder.recordFailure('reset', undefined, undefined, undefined)
      else if (this.layer7) this.recorder.recordFailure('status', String(code), latency, corrected)
      else if (fromBackend) this.recorder.recordFailure('status', 'ERR', latency, corrected)
      else this.recorder.recordFailure('reset', undefined, undefined, undefined)
    }
    this.release(r)
  }

  private release(r: number): void {
    if (this.ri[r * RI + R_MEASURED] === 1) this.measuredOpen--
    this.ri[r * RI + R_REQ_GEN] = (this.ri[r * RI + R_REQ_GEN]! + 1) | 0
    this.ri[r * RI + R_ATT_GEN] = (this.ri[r * RI + R_ATT_GEN]! + 1) | 0
    // Only retried requests have a set; the stale backend reference is overwritten before use.
    if (this.tried[r] !== undefined) this.tried[r] = undefined
    this.free[this.freeTop++] = r
    // `timeoutAt` stays as it is: an earlier bound than the next live deadline costs one turn of
    // the loop when it comes (expireTimeouts then finds the next), where finding it now would cost
    // every request.
    this.inFlight.finish(this.rf[r * RF + R_SERIAL]!)
    const client = this.ri[r * RI + R_CLIENT]!
    if (client >= 0) {
      const h = this.hot
      const next = Math.max(this.now + h.thinkUs, this.lastSend[client]! + h.paceUs)
      this.queue.push(next, EV_CLIENT, client)
      return
    }
    this.connsInUse--
    if (this.waiting.size > 0) {
      const intended = this.waiting.peek()
      this.waiting.shift()
      this.connsInUse++
      this.send(intended, -1)
    }
  }

  // ── Timeouts ──────────────────────────────────────────────────────────────────────────────

  /**
   * Starts a response timer. Deadlines of one duration arrive in order, so each FIFO's head is its
   * earliest timer. Timers of attempts that moved on stay until the FIFO fills, then the stale
   * ones at its head go before it may grow: it holds no more than twice the timers from its
   * oldest live attempt on, however long the timeout, and most attempts cost one push.
   * `timeoutAt` — the loop's next timer — is a lower bound of the live deadlines (see `release`),
   * so a later deadline behind a head never moves it.
   */
  private armTimeout(f: DeadlineQueue, deadline: number, r: number, gen: number): void {
    if (f.full) this.dropStale(f)
    if (f.size === 0 && deadline < this.timeoutAt) this.timeoutAt = deadline
    f.push(deadline, r, gen)
  }

  /** Drops the timers at the head of `f` whose attempts ended. */
  private dropStale(f: DeadlineQueue): void {
    while (f.size > 0 && this.ri[f.peekSlot() * RI + R_ATT_GEN] !== f.peekGen()) f.shift()
  }

  /** The client's next deadline: the oldest request in flight's. */
  private clientDeadline(): number {
    const r = this.inFlight.oldest()
    return r < 0 ? Infinity : this.rf[r * RF + R_SEND]! + this.hot.timeoutUs
  }

  /** Finds the next timer, dropping stale heads of the response timers (attempts that ended). */
  private settleTimers(): void {
    let next = this.clientDeadline()
    const pools = this.pools
    if (this.responseTimed) {
      for (let i = 0; i < pools.length; i++) {
        const f = pools[i]!.responseTimeouts
        this.dropStale(f)
        const d = f.peek()
        if (d < next) next = d
      }
    }
    this.timeoutAt = next
  }

  /** Fires every timer due by now whose request or attempt is still current. */
  private expireTimeouts(): void {
    const now = this.now
    // A request that times out finishes, and the next oldest comes up.
    while (this.clientDeadline() <= now) this.clientTimeout(this.inFlight.oldest())
    for (const ps of this.pools) {
      const f = ps.responseTimeouts
      while (f.size > 0 && f.peek() <= now) {
        const r = f.peekSlot()
        const gen = f.peekGen()
        f.shift()
        if (this.ri[r * RI + R_ATT_GEN] === gen && this.ri[r * RI + R_BACKEND]! >= 0) this.responseTimeout(ps, r)
      }
    }
    this.settleTimers()
  }

  /** The client gives up: the balancer's attempt is abandoned (the backend may still serve it). */
  private clientTimeout(r: number): void {
    if (this.ri[r * RI + R_BACKEND]! >= 0) this.endAttempt(r, this.pools[this.ri[r * RI + R_POOL]!]!, false)
    this.finishFailed(r, TIMEOUT)
  }

  /** The balancer's response timeout: 504, counted against the backend, never retried. */
  private responseTimeout(ps: SimPoolState, r: number): void {
    const id = this.backendObj[r]!.id
    this.endAttempt(r, ps, false)
    if (ps.outliers !== undefined) this.control.recordOutcome(ps, id, false)
    this.finishFailed(r, 504)
  }

  // ── The timeline ──────────────────────────────────────────────────────────────────────────

  /** What timeline actions reach of the simulation (see timeline-actions.ts). */
  private timelineParts(): TimelineHost {
    return {
      model: this.model,
      stations: this.stations,
      pools: this.pools,
      ids: this.ids,
      stationOf: this.stationOf,
      everPresent: this.everPresent,
      nowUs: () => this.now,
      lost: (r, gen) => this.queue.push(this.now + (this.net === undefined ? 0 : this.net()), EV_RESPONSE, r, gen, RESET),
      probeNow: (p, b) => this.queue.push(this.now, EV_PROBE, p, b),
      reroute: (kinds) => {
        this.hot.kinds = kinds
        this.onlyPool = -1
      },
      membershipChanging: () => {
        if (this.keyLast === undefined) return
        this.keyEpochs.push(this.keyLast)
        this.keyLast = new Int32Array(this.keyLast.length).fill(-1)
      },
      record: (e) => this.control.events.push(e),
      warn: (m) => this.warnings.push(m),
    }
  }

  // ── Request slots ─────────────────────────────────────────────────────────────────────────

  private allocRequest(): number {
    if (this.freeTop === 0) this.growRequests(this.cap * 2)
    return this.free[--this.freeTop]!
  }

  private growRequests(n: number): void {
    const old = this.cap
    const rf = new Float64Array(n * RF)
    rf.set(this.rf)
    this.rf = rf
    const ri = new Int32Array(n * RI)
    ri.set(this.ri)
    this.ri = ri
    this.backendObj.length = n
    this.tried.length = n
    const free = new Int32Array(n)
    free.set(this.free.subarray(0, this.freeTop))
    let top = this.freeTop
    for (let i = n - 1; i >= old; i--) free[top++] = i
    this.free = free
    this.freeTop = top
    this.cap = n
  }
}

/** A request that got no reply before the client's timeout. */
const TIMEOUT = -2

/**
 * The load's settings as the event loop reads them: copied out of the model (whose objects are
 * built by spreading optional parts, a shape V8 reads through slow property lookups) into one
 * class instance whose fields it reads directly.
 */
class HotSettings {
  readonly warmupUs: number
  readonly timeoutUs: number
  /** End of sending: warm-up plus duration (Infinity when a request count ends it). */
  readonly sendEndUs: number
  readonly maxRequests: number
  /** Open loop: the gap after the last request, for the measured window. */
  readonly gapUs: number
  readonly connections: number
  readonly thinkUs: number
  readonly paceUs: number
  readonly replayable: boolean
  /** Replaced when the timeline re-weights a route's split. */
  kinds: readonly SimRequestKind[]
  readonly kindOf: ((i: number) => number) | undefined

  constructor(model: SimModel) {
    const load = model.load
    this.warmupUs = load.warmupUs
    this.timeoutUs = load.timeoutUs
    this.sendEndUs = load.warmupUs + load.durationUs
    this.maxRequests = load.maxRequests
    this.gapUs = load.rate === undefined ? 0 : 1e6 / load.rate
    this.connections = load.connections
    this.thinkUs = load.closed?.thinkUs ?? 0
    this.paceUs = load.closed?.paceUs ?? 0
    this.replayable = load.replayable
    this.kinds = load.kinds
    this.kindOf = load.kindOf
  }
}

// A request slot's record, as for the backends' (backend-stations.ts): one request's numbers
// together, one or two cache lines, however many requests are in flight.
const R_SEND = 0
const R_INTENDED = 1
const R_ATTEMPT_T = 2
const R_HASH = 3
/** The request's send serial (its place in `inFlight`; the mix's request number). */
const R_SERIAL = 4
/** When the request is written: its send, or the end of its connection's TLS handshake. */
const R_WRITE = 5
/**
 * Passthrough with the balancer's CPU modelled: its time on the request, µs, spent before the pick
 * but counted after the backend's handshake, as a relay forwards the request once it is written.
 */
const R_RELAY = 6
const RF = 7
const R_CLIENT = 0
const R_KIND = 1
const R_POOL = 2
const R_ATTEMPT = 3
const R_BACKEND = 4
const R_REQ_GEN = 5
const R_ATT_GEN = 6
const R_MEASURED = 7
/** The load's key of the request (its client), for key remapping across membership changes. */
const R_KEY = 8
/** 1 once the request's connection is set up (its handshake measured). */
const R_SET_UP = 9
const RI = 10
