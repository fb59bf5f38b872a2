import net, { type Socket } from 'node:net'
import type { ListenerConfig } from '../config/lb-config.js'
import { parseEndpoint } from '../config/lb-config.js'
import { EngineError } from '../errors.js'
import { parseProxyHeader } from '../proxy-protocol/proxy-protocol.js'
import { proxyHeaderFor, type ClientOrigin } from '../runtime/proxy-header.js'
import type { PoolRuntime } from '../runtime/pool-runtime.js'
import { acceptConnection } from '../runtime/accept.js'
import { cidrMatcher, normalizeAddress, serverNameMatcher } from '../runtime/address.js'
import type { ListenerContext, RunningListener } from '../runtime/listener.js'
import { countError, newListenerCounters } from '../stats/counters.js'
import { parseClientHello } from '../tls/client-hello.js'
import { Sweeper, sweepInterval } from '../runtime/sweeper.js'
import { relay } from './relay.js'
import { bindServer } from '../runtime/bind-server.js'

/**
 * Starts a layer 4 stream listener: `tcp` (every connection to the listener's pool) or `tls`
 * (TLS passthrough: the ClientHello's SNI chooses the pool; the TLS session itself is relayed
 * untouched). Optionally reads a PROXY header from trusted downstreams first, and sends one to
 * backends when their pool asks. Connect failures retry on another backend, within the budget.
 */
export async function startTcpListener(config: ListenerConfig, ctx: ListenerContext): Promise<RunningListener> {
  const counters = newListenerCounters()
  const sockets = new Set<Socket>()
  const defaultPool = ctx.pools.get(config.pool!)!
  const sniRoutes = (config.sni ?? []).map((r) => ({ matches: serverNameMatcher(r.serverNames), pool: ctx.pools.get(r.pool)! }))
  const trusted = config.proxyProtocol === undefined ? undefined : cidrMatcher(config.proxyProtocol.trustedSources)
  const proxyVersions = { v1: config.proxyProtocol?.versions.includes('v1') ?? false, v2: config.proxyProtocol?.versions.includes('v2') ?? false }
  const idle = { sweeper: new Sweeper(sweepInterval(config.timeouts.idleMs)), idleMs: config.timeouts.idleMs }
  const fail = (client: Socket, code: string) => {
    countError(counters, code)
    client.destroy()
  }

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const acceptedAt = performance.now()
    const origin = acceptConnection(client, counters, config.limits.maxConnections, ctx.draining(), sockets)
    if (origin === undefined) return
    const expectProxy = trusted !== undefined && trusted(origin.address)
    if (!expectProxy && config.protocol === 'tcp') {
      connectUpstream(client, origin, defaultPool, undefined, acceptedAt)
      return
    }
    preamble(client, origin, expectProxy, acceptedAt)
  })

  /** Reads what precedes the relay: a PROXY header from a trusted downstream, then the ClientHello (tls). */
  function preamble(client: Socket, socketOrigin: ClientOrigin, expectProxy: boolean, acceptedAt: number) {
    let buffered: Buffer = Buffer.alloc(0)
    let origin = socketOrigin
    let proxyDone = !expectProxy
    const timer = setTimeout(() => fail(client, 'LB_ERR_HANDSHAKE_TIMEOUT'), config.timeouts.handshakeMs)
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      if (!proxyDone) {
        const r = parseProxyHeader(buffered, proxyVersions)
        if (r.status === 'incomplete') return
        if (r.status === 'invalid') return abort(r.code)
        const a = r.header.addresses
        // LOCAL (health checks of the downstream tier) keeps the socket's own addresses.
        if (r.header.command === 'proxy' && a !== undefined) {
          origin = { address: normalizeAddress(a.source.address), port: a.source.port, localAddress: normalizeAddress(a.destination.address), localPort: a.destination.port }
        }
        buffered = buffered.subarray(r.header.headerBytes)
        proxyDone = true
      }
      let pool = defaultPool
      if (config.protocol === 'tls') {
        if (buffered.length === 0) return
        const hello = parseClientHello(buffered)
        if (hello.status === 'incomplete') return
        if (hello.status === 'invalid') return abort(hello.code)
        const name = hello.serverName
        if (name !== undefined) pool = sniRoutes.find((r) => r.matches(name))?.pool ?? defaultPool
      }
      finish()
      connectUpstream(client, origin, pool, buffered, acceptedAt)
    }
    const finish = () => {
      clearTimeout(timer)
      client.pause()
      client.off('data', onData)
      client.off('close', finish)
    }
    const abort = (code: string) => {
      finish()
      fail(client, code)
    }
    client.on('data', onData)
    client.once('close', finish)
  }

  function connectUpstream(client: Socket, origin: ClientOrigin, rt: PoolRuntime, initial: Buffer | undefined, acceptedAt: number) {
    client.pause()
    const tried = new Set<string>()
    const hash = rt.sourceHash(origin.address, origin.port)
    const retries = rt.config.retries.on.includes('connect-failure') ? rt.config.retries.attempts : 0
    let upstream: Socket | undefined
    let timer: NodeJS.Timeout | undefined
    /** How the last attempt failed: the client's error once no backend is left to try. */
    let lastFailure: 'LB_ERR_UPSTREAM_CONNECT' | 'LB_ERR_UPSTREAM_CONNECT_TIMEOUT' = 'LB_ERR_UPSTREAM_CONNECT'
    const abandon = () => {
      if (timer !== undefined) clearTimeout(timer)
      upstream?.destroy()
    }
    client.once('close', abandon)
    rt.recordRequest()
    attempt(0)

    function attempt(n: number) {
      if (client.destroyed) return
      let backend
      try {
        backend = rt.pool.pick({ ...(hash === undefined ? {} : { hash }), tried, attempt: n })
      } catch (e) {
        const code = e instanceof EngineError ? e.code : 'LB_ERR_INTERNAL'
        if (code === 'LB_ERR_NO_HEALTHY_BACKEND') rt.counters.noHealthyBackend++
        // After failed attempts, the client's error is the connect failure, not the exhausted list.
        return fail(client, n > 0 ? lastFailure : code)
      }
      const bc = rt.backend(backend.id)
      const socket = net.connect({ host: backend.host, port: backend.port, noDelay: true, allowHalfOpen: true })
      upstream = socket
      let connected = false
      const failed = (timedOut: boolean) => {
        if (connected) return
        clearTimeout(timer)
        socket.destroy()
        bc.connectFailures++
        if (timedOut) bc.timeouts++
        rt.recordOutcome(backend.id, false)
        tried.add(backend.id)
        lastFailure = timedOut ? 'LB_ERR_UPSTREAM_CONNECT_TIMEOUT' : 'LB_ERR_UPSTREAM_CONNECT'
        if (n < retries && !client.destroyed && rt.allowRetry()) {
          bc.retries++
          attempt(n + 1)
        } else {
          fail(client, lastFailure)
        }
      }
      timer = setTimeout(() => failed(true), rt.config.timeouts.connectMs)
      socket.once('error', () => failed(false))
      socket.once('connect', () => {
        connected = true
        clearTimeout(timer)
        client.off('close', abandon)
        if (client.destroyed) {
          socket.destroy()
          return
        }
        recordEngineTime(acceptedAt)
        counters.requests++
        rt.recordOutcome(backend.id, true)
        rt.pool.onStart(backend)
        bc.connectionsActive++
        bc.connectionsTotal++
        bc.requests++
        const startedAt = performance.now()
        if (rt.config.proxyProtocol !== undefined) socket.write(proxyHeaderFor(rt.config.proxyProtocol, origin))
        if (initial !== undefined && initial.length > 0) socket.write(initial)
        relay(client, socket, idle, () => {
          bc.connectionsActive--
          bc.bytesToBackend += socket.bytesWritten
          bc.bytesFromBackend += socket.bytesRead
          rt.pool.onDone(backend, { ok: true, latencyUs: (performance.now() - startedAt) * 1000 })
        })
      })
    }
  }

  const recordEngineTime = (acceptedAt: number) => counters.engineTimeUs.record((performance.now() - acceptedAt) * 1000)

  const { host, port } = parseEndpoint(config.bind)!
  const address = await bindServer(server, { host, port, backlog: 4096 }, `listener ${config.name} cannot bind ${config.bind}`)
  return {
    name: config.name,
    protocol: config.protocol,
    layer: 4,
    address,
    counters,
    activeConnections: () => counters.connectionsActive,
    stopAccepting: () => {
      server.close()
    },
    closeIdle: () => {},
    destroyAll: () => {
      for (const s of sockets) s.destroy()
      idle.sweeper.stop()
    },
  }
}
