/**
 * How an L4 balancer forwards, simulated: NAT, where requests and responses both pass through the
 * balancer (its cores spend CPU on every packet each way), against direct server return (DSR),
 * where only requests do and the backends answer the clients directly — the balancer's CPU and
 * queue sit on the request path alone. The live suite cannot run DSR (it needs IPVS or raw
 * sockets answering from the balancer's address), so this is the place the claim is judged.
 *
 * A closed loop of `clients`, each sending its next request as soon as the last is answered (the
 * balancer is saturated whenever it is the bottleneck): request → a balancer core (FIFO, shared by
 * both directions, `perPacketUs` per packet) → a backend server (FIFO per backend, exponential
 * service) → NAT: a balancer core again for the response's packets → the client. Times in virtual
 * µs, draws from seeded streams: the same seed gives the same run. Pure.
 */
import { EventQueue } from './event-queue.js'
import { createVirtualClock } from './virtual-clock.js'

/** NAT: responses return through the balancer; DSR: they bypass it. */
export type ForwardingMode = 'nat' | 'dsr'

/** A forwarding model to simulate. */
export interface ForwardingModel {
  readonly mode: ForwardingMode
  /** Balancer cores. */
  readonly cores: number
  /** Mean CPU per packet forwarded, µs (each draw exponential around it). */
  readonly perPacketUs: number
  readonly requestPackets: number
  readonly responsePackets: number
  readonly backends: number
  /** Parallel requests per backend. */
  readonly servers: number
  /** Mean service time of a backend, µs (exponential). */
  readonly serviceUs: number
  readonly clients: number
  /** Completions counted, after as many again of warm-up. */
  readonly requests: number
  readonly seed: number
}

/** What a run of the model measured over its counted requests. */
export interface ForwardingResult {
  /** Requests answered per second of virtual time. */
  readonly rps: number
  /** Busy share of the balancer's cores. */
  readonly balancerUtilisation: number
  /** Busy share of the backends' servers. */
  readonly backendUtilisation: number
  /** Balancer CPU per request, µs. */
  readonly balancerCpuPerRequestUs: number
}

const EV_BALANCER_DONE = 1
const EV_BACKEND_DONE = 2

/** A FIFO of servers: `busy` of `count` in use, waiting jobs as request numbers, busy time integrated. */
class Station {
  busy = 0
  busyUs = 0
  private readonly waiting: number[] = []
  private head = 0

  constructor(readonly count: number) {}

  /** Takes job `r` now if a server is free (true), else queues it. */
  offer(r: number): boolean {
    if (this.busy < this.count) {
      this.busy++
      return true
    }
    this.waiting.push(r)
    return false
  }

  /** A server finished: the next waiting job it takes, if any (the server stays busy), else -1. */
  release(): number {
    if (this.head < this.waiting.length) return this.waiting[this.head++]!
    this.busy--
    return -1
  }
}

const exponential = (mean: number, random: () => number) => -mean * Math.log(1 - random())

/** Simulates one forwarding model; deterministic in its seed. */
export function simulateForwarding(m: ForwardingModel): ForwardingResult {
  const clock = createVirtualClock(m.seed)
  const queue = new EventQueue(4 * m.clients)
  const balancer = new Station(m.cores)
  const backends = Array.from({ length: m.backends }, () => new Station(m.servers))
  // Per request (one per client, reused): 0 = on its way in, 1 = its response on its way back.
  const leg = new Uint8Array(m.clients)
  const backendOf = new Int32Array(m.clients)
  let next = 0
  let done = 0
  let countFromUs = -1
  let balancerBusyAtCount = 0
  let backendBusyAtCount = 0
  let cpuUs = 0
  let now = 0

  const balancerWork = (r: number) => {
    const packets = leg[r] === 0 ? m.requestPackets : m.responsePackets
    let us = 0
    for (let i = 0; i < packets; i++) us += exponential(m.perPacketUs, clock.balancer)
    if (countFromUs >= 0) cpuUs += us
    balancer.busyUs += us
    queue.push(now + us, EV_BALANCER_DONE, r)
  }
  const backendWork = (r: number) => {
    const us = exponential(m.serviceUs, clock.service)
    backends[backendOf[r]!]!.busyUs += us
    queue.push(now + us, EV_BACKEND_DONE, r)
  }
  const send = (r: number) => {
    leg[r] = 0
    if (balancer.offer(r)) balancerWork(r)
  }
  const answered = () => {
    done++
    if (done === m.requests) {
      countFromUs = now
      balancerBusyAtCount = balancer.busyUs
      backendBusyAtCount = backends.reduce((s, b) => s + b.busyUs, 0)
      cpuUs = 0
    }
  }

  for (let r = 0; r < m.clients; r++) send(r)
  while (done < 2 * m.requests && queue.pop()) {
    now = queue.t
    const r = queue.a
    if (queue.kind === EV_BALANCER_DONE) {
      const waiting = balancer.release()
      if (waiting >= 0) balancerWork(waiting)
      if (leg[r] === 0) {
        // Round robin, as the relay's default.
        const b = next++ % m.backends
        backendOf[r] = b
        if (backends[b]!.offer(r)) backendWork(r)
      } else {
        answered()
        send(r)
      }
    } else {
      const waiting = backends[backendOf[r]!]!.release()
      if (waiting >= 0) backendWork(waiting)
      leg[r] = 1
      if (m.mode === 'dsr') {
        // The backend answers the client itself: the balancer never sees the response.
        answered()
        send(r)
      } else if (balancer.offer(r)) balancerWork(r)
    }
  }
  const spanUs = now - countFromUs
  const counted = done - m.requests
  // Busy time is booked when work starts: what started in the window, against the window's length (a close estimate over many requests).
  const backendBusy = backends.reduce((s, b) => s + b.busyUs, 0) - backendBusyAtCount
  return {
    rps: spanUs > 0 ? (counted / spanUs) * 1e6 : 0,
    balancerUtilisation: spanUs > 0 ? Math.min(1, (balancer.busyUs - balancerBusyAtCount) / (spanUs * m.cores)) : 0,
    backendUtilisation: spanUs > 0 ? Math.min(1, backendBusy / (spanUs * m.backends * m.servers)) : 0,
    balancerCpuPerRequestUs: counted > 0 ? cpuUs / counted : 0,
  }
}
