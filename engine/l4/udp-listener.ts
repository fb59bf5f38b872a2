import dgram, { type RemoteInfo, type Socket as UdpSocket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { Backend } from '../balancing/types.js'
import type { ListenerConfig } from '../config/lb-config.js'
import { parseEndpoint } from '../config/lb-config.js'
import { EngineError } from '../errors.js'
import { normalizeAddress } from '../runtime/address.js'
import type { ListenerContext, RunningListener } from '../runtime/listener.js'
import { countError, newListenerCounters } from '../stats/counters.js'

/** One client's flow: datagrams from it go to one backend, replies come back to it. */
interface Flow {
  readonly key: string
  readonly client: RemoteInfo
  readonly backend: Backend
  readonly upstream: UdpSocket
  readonly startedAt: number
  lastActive: number
  /** Datagrams received while the upstream socket is still connecting; undefined once connected. */
  pending: Buffer[] | undefined
}

/** Most datagrams a flow holds while its upstream socket connects; more are dropped. */
const MAX_PENDING_DATAGRAMS = 64

/**
 * Starts a layer 4 UDP listener. Each client address gets a flow with its own upstream socket
 * connected to the backend picked for it, so replies find their way back to the right client;
 * flows expire after `timeouts.idleMs` without datagrams either way. Flow count is bounded by
 * `limits.maxConnections`; datagrams that would open a flow beyond it are dropped and counted.
 */
export async function startUdpListener(config: ListenerConfig, ctx: ListenerContext): Promise<RunningListener> {
  const counters = newListenerCounters()
  const rt = ctx.pools.get(config.pool!)!
  const { host, port } = parseEndpoint(config.bind)!
  const type = isIPv6(host) ? 'udp6' : 'udp4'
  const socket = dgram.createSocket({ type, reuseAddr: false })
  const flows = new Map<string, Flow>()
  const idleMs = config.timeouts.idleMs

  const closeFlow = (flow: Flow) => {
    if (!flows.delete(flow.key)) return
    counters.connectionsActive--
    rt.backend(flow.backend.id).connectionsActive--
    flow.upstream.close()
    rt.pool.onDone(flow.backend, { ok: true, latencyUs: (performance.now() - flow.startedAt) * 1000 })
  }

  const openFlow = (client: RemoteInfo, key: string): Flow | undefined => {
    counters.connectionsTotal++
    if (flows.size >= config.limits.maxConnections || ctx.draining()) {
      counters.connectionsRejected++
      countError(counters, 'LB_ERR_CONNECTION_LIMIT')
      return undefined
    }
    const address = normalizeAddress(client.address)
    const hash = rt.sourceHash(address, client.port)
    let backend: Backend
    try {
      backend = rt.pool.pick(hash === undefined ? {} : { hash })
    } catch (e) {
      countError(counters, e instanceof EngineError ? e.code : 'LB_ERR_INTERNAL')
      return undefined
    }
    rt.recordRequest()
    const upstream = dgram.createSocket(isIPv6(backend.host) ? 'udp6' : 'udp4')
    const flow: Flow = { key, client, backend, upstream, startedAt: performance.now(), lastActive: performance.now(), pending: [] }
    const bc = rt.backend(backend.id)
    upstream.on('message', (reply) => {
      flow.lastActive = performance.now()
      bc.bytesFromBackend += reply.length
      counters.bytesToClients += reply.length
      socket.send(reply, client.port, client.address)
    })
    upstream.on('error', () => {
      bc.connectFailures++
      rt.recordOutcome(backend.id, false)
      closeFlow(flow)
    })
    // send() without an address throws until the connect completes: hold datagrams until then.
    upstream.connect(backend.port, backend.host, () => {
      const queued = flow.pending ?? []
      flow.pending = undefined
      for (const d of queued) upstream.send(d)
    })
    flows.set(key, flow)
    counters.connectionsActive++
    bc.connectionsActive++
    bc.connectionsTotal++
    rt.pool.onStart(backend)
    return flow
  }

  socket.on('message', (datagram, client) => {
    const receivedAt = performance.now()
    counters.bytesFromClients += datagram.length
    counters.requests++
    const key = `${client.address}|${client.port}`
    const flow = flows.get(key) ?? openFlow(client, key)
    if (flow === undefined) return
    flow.lastActive = receivedAt
    if (flow.pending !== undefined && flow.pending.length >= MAX_PENDING_DATAGRAMS) return countError(counters, 'LB_ERR_UDP_QUEUE_FULL')
    const bc = rt.backend(flow.backend.id)
    bc.requests++
    bc.bytesToBackend += datagram.length
    if (flow.pending === undefined) flow.upstream.send(datagram)
    else flow.pending.push(datagram)
    counters.engineTimeUs.record((performance.now() - receivedAt) * 1000)
  })

  const sweep = setInterval(
    () => {
      const now = performance.now()
      for (const flow of [...flows.values()]) if (now - flow.lastActive >= idleMs) closeFlow(flow)
    },
    Math.max(10, Math.min(1000, idleMs / 4)),
  )
  sweep.unref()

  await new Promise<void>((resolve, reject) => {
    socket.once('error', (e: NodeJS.ErrnoException) => reject(new EngineError('LB_ERR_BIND', `listener ${config.name} cannot bind udp ${config.bind}: ${e.code ?? e.message}`)))
    socket.bind(port, host, () => resolve())
  })
  socket.on('error', () => countError(counters, 'LB_ERR_UDP_SOCKET'))
  const address = socket.address()
  let closed = false
  const closeSocket = () => {
    if (closed) return
    closed = true
    clearInterval(sweep)
    socket.close()
  }
  return {
    name: config.name,
    protocol: 'udp',
    layer: 4,
    address: { host: address.address, port: address.port },
    counters,
    activeConnections: () => flows.size,
    // New flows are already refused while the engine drains; existing flows carry on until the deadline.
    stopAccepting: () => {},
    closeIdle: () => {},
    destroyAll: () => {
      for (const flow of [...flows.values()]) closeFlow(flow)
      closeSocket()
    },
  }
}
