import net, { type Socket } from 'node:net'
import tls from 'node:tls'
import { parseEndpoint, type ListenerConfig } from '../config/lb-config.js'
import { EngineError } from '../errors.js'
import { defaultHeadLimits } from '../http/http-parser.js'
import { parseProxyHeader } from '../proxy-protocol/proxy-protocol.js'
import { RouteError } from '../routing/route-errors.js'
import { compileRouteTable } from '../routing/route-table.js'
import { activeArms, reweightSplit } from '../routing/split-weights.js'
import { acceptConnection } from '../runtime/accept.js'
import { cidrMatcher, normalizeAddress } from '../runtime/address.js'
import type { ListenerContext, RunningListener } from '../runtime/listener.js'
import type { ClientOrigin } from '../runtime/proxy-header.js'
import { countError, newListenerCounters } from '../stats/counters.js'
import { ClientSession } from './client-session.js'
import { h2Acceptor } from './h2/h2-acceptor.js'
import { closeH2Sessions } from './h2/h2-session-pool.js'
import { compileListenerChains } from './filters/compile-chains.js'
import { newRequestId, upstreamsOf, type L7Settings } from './l7-settings.js'
import { loadTlsContexts, type TlsContexts } from './tls-contexts.js'
import { Sweeper, sweepInterval } from '../runtime/sweeper.js'
import { bindServer } from '../runtime/bind-server.js'

/** A running L7 listener, with the certificates it serves (https) for clients that must trust them. */
export interface RunningHttpListener extends RunningListener {
  readonly certificates: readonly string[]
}

/**
 * Starts a layer 7 listener: HTTP/1.1 (`http`), or HTTPS terminated here (`https`, certificate
 * chosen by SNI). A PROXY header is read first from trusted downstreams (before TLS, as HAProxy's
 * `accept-proxy` does). Requests are routed by the listener's routes to pools.
 */
export async function startHttpListener(config: ListenerConfig, ctx: ListenerContext): Promise<RunningHttpListener> {
  const counters = newListenerCounters()
  let table
  try {
    table = compileRouteTable(config.routes ?? [])
  } catch (e) {
    throw new EngineError('LB_ERR_INVALID_CONFIG', `listener ${config.name}: ${(e as Error).message}`)
  }
  const chains = compileListenerChains(config, ctx.pools, { requestId: newRequestId, nowMs: () => performance.now(), wallMs: () => Date.now() }, ctx.filters)
  for (const { route, filter } of chains.counted) counters.filters.push({ name: filter.name, route, stats: () => filter.stats!() })
  const contexts: TlsContexts | undefined = config.protocol === 'https' ? await loadTlsContexts(config.tls!.certificates, config.name) : undefined
  const settings: L7Settings = {
    listener: config,
    proto: config.protocol === 'https' ? 'https' : 'http',
    counters,
    table,
    chains: chains.routes,
    listenerChain: chains.listener,
    pools: ctx.pools,
    limits: { ...defaultHeadLimits, maxHeadBytes: config.limits.maxHeadBytes, maxHeaders: config.limits.maxHeaders },
    random: ctx.deps.random,
    // One tick fine enough for the shortest deadline this listener's sessions can have.
    sweeper: new Sweeper(
      sweepInterval(
        config.timeouts.idleMs,
        config.timeouts.lingerMs,
        config.http2.maxConnectionAgeMs ?? Infinity,
        ...[...new Set((config.routes ?? []).flatMap((r) => [r.pool, ...(r.split ?? []).map((x) => x.pool)]))]
          .map((p) => (p === undefined ? undefined : ctx.pools.get(p)?.config.timeouts))
          .flatMap((t) => (t === undefined ? [] : [t.responseMs, t.idleMs])),
      ),
    ),
    draining: ctx.draining,
    upstreams: upstreamsOf,
  }
  const sessions = new Set<{ closeIfIdle(): void }>()
  const h2 = config.http2.enabled ? h2Acceptor(settings, sessions) : undefined
  if (h2 !== undefined && contexts === undefined) settings.h2c = h2
  const raw = new Set<Socket>()
  const trusted = config.proxyProtocol === undefined ? undefined : cidrMatcher(config.proxyProtocol.trustedSources)
  const proxyVersions = { v1: config.proxyProtocol?.versions.includes('v1') ?? false, v2: config.proxyProtocol?.versions.includes('v2') ?? false }

  const begin = (socket: Socket, origin: ClientOrigin, initial: Buffer | undefined, acceptedAt: number) => {
    const session = new ClientSession(socket, origin, settings, initial, acceptedAt)
    sessions.add(session)
    socket.once('close', () => sessions.delete(session))
  }

  /** Terminates TLS on a connection (after any PROXY header), then starts HTTP on it. */
  const secure = (socket: Socket, origin: ClientOrigin, acceptedAt: number) => {
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: contexts!.defaultContext,
      SNICallback: (name, cb) => cb(null, contexts!.select(name)),
      ALPNProtocols: h2 === undefined ? ['http/1.1'] : ['h2', 'http/1.1'],
    })
    const timer = setTimeout(() => {
      countError(counters, 'LB_ERR_HANDSHAKE_TIMEOUT')
      tlsSocket.destroy()
    }, config.timeouts.handshakeMs)
    let secured = false
    tlsSocket.once('secure', () => {
      secured = true
      clearTimeout(timer)
      if (tlsSocket.alpnProtocol === 'h2') {
        // What tls.Server does before 'secureConnection': node:http2 waits for it to set up its session.
        ;(tlsSocket as unknown as { secureConnecting: boolean }).secureConnecting = false
        h2!(tlsSocket, origin, undefined)
      } else begin(tlsSocket, origin, undefined, acceptedAt)
    })
    tlsSocket.on('error', () => {
      clearTimeout(timer)
      // Later errors (a client resetting its connection, say) are not handshake failures.
      if (!secured) countError(counters, 'LB_ERR_TLS_HANDSHAKE')
      tlsSocket.destroy()
    })
  }

  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    const acceptedAt = performance.now()
    const origin = acceptConnection(socket, counters, config.limits.maxConnections, ctx.draining(), raw)
    if (origin === undefined) return
    if (trusted === undefined || !trusted(origin.address)) {
      if (contexts !== undefined) secure(socket, origin, acceptedAt)
      else begin(socket, origin, undefined, acceptedAt)
      return
    }
    // A trusted downstream tier: its PROXY header says who the client is.
    let buffered: Buffer = Buffer.alloc(0)
    const timer = setTimeout(() => {
      countError(counters, 'LB_ERR_HANDSHAKE_TIMEOUT')
      socket.destroy()
    }, config.timeouts.handshakeMs)
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      const r = parseProxyHeader(buffered, proxyVersions)
      if (r.status === 'incomplete') return
      clearTimeout(timer)
      socket.off('data', onData)
      if (r.status === 'invalid') {
        countError(counters, r.code)
        socket.destroy()
        return
      }
      const a = r.header.addresses
      const real: ClientOrigin =
        r.header.command === 'proxy' && a !== undefined
          ? { address: normalizeAddress(a.source.address), port: a.source.port, localAddress: normalizeAddress(a.destination.address), localPort: a.destination.port }
          : origin
      const rest = buffered.subarray(r.header.headerBytes)
      if (contexts !== undefined) {
        // TLS reads from the socket itself: put back what followed the PROXY header.
        socket.pause()
        if (rest.length > 0) socket.unshift(rest)
        secure(socket, real, acceptedAt)
      } else {
        begin(socket, real, rest, acceptedAt)
      }
    }
    socket.on('data', onData)
  })

  // Routes as configured, with split weights as last set at run time (zero-weight arms kept).
  let routes = config.routes ?? []
  const setSplit = (name: string, weights: Readonly<Record<string, number>>) => {
    const i = routes.findIndex((r, j) => (r.name ?? `route-${j}`) === name)
    const route = routes[i]
    if (route === undefined) throw new RouteError('ROUTE_ERR_NO_SUCH_ROUTE', `listener ${config.name} has no route "${name}"`)
    if (route.split === undefined) throw new RouteError('ROUTE_ERR_BAD_SPLIT', `route "${name}" of listener ${config.name} sends to one pool; only a split can be re-weighted`)
    const split = reweightSplit(route.split, weights)
    const next = routes.map((r, j) => (j === i ? { ...r, split } : r))
    // The table holds positive arms only; the next request routes by it.
    settings.table = compileRouteTable(next.map((r) => (r.split === undefined ? r : { ...r, split: activeArms(r.split) })))
    routes = next
    ctx.events.add({ atUs: ctx.deps.nowUs(), type: 'route-split', listener: config.name, detail: `${name}: ${split.map((t) => `${t.pool} ${t.weight}`).join(', ')}` })
    return split
  }

  const { host, port } = parseEndpoint(config.bind)!
  let address
  try {
    address = await bindServer(server, { host, port, backlog: 4096 }, `listener ${config.name} cannot bind ${config.bind}`)
  } catch (e) {
    // Nothing will serve: the filters' files are closed, not left open behind a failed start.
    await chains.close()
    throw e
  }
  return {
    name: config.name,
    protocol: config.protocol,
    layer: 7,
    address,
    counters,
    certificates: contexts?.certificates ?? [],
    activeConnections: () => counters.connectionsActive,
    stopAccepting: () => {
      server.close()
    },
    closeIdle: () => {
      for (const s of sessions) s.closeIfIdle()
    },
    setSplit,
    destroyAll: () => {
      for (const s of raw) s.destroy()
      settings.sweeper.stop()
      for (const rt of ctx.pools.values()) {
        upstreamsOf(rt).close()
        closeH2Sessions(rt)
      }
    },
    closeFilters: chains.close,
  }
}
