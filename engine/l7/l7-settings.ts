import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import type { Backend } from '../balancing/types.js'
import { murmur3 } from '../balancing/hash.js'
import type { ListenerConfig } from '../config/lb-config.js'
import type { HeadLimits } from '../http/http-parser.js'
import type { RequestHead } from '../http/http-head.js'
import { getCookie } from '../routing/cookies.js'
import { queryParam, requestPath } from '../routing/request-target.js'
import type { RouteTable } from '../routing/route-table.js'
import type { RouteRequest } from '../routing/route-types.js'
import type { PoolRuntime } from '../runtime/pool-runtime.js'
import type { ClientOrigin } from '../runtime/proxy-header.js'
import type { ListenerCounters } from '../stats/counters.js'
import type { FilterChain } from './filters/filter-chain.js'
import { UpstreamPool, type UpstreamSettings } from './upstream-pool.js'
import type { Sweeper } from '../runtime/sweeper.js'

/** What every session of one L7 listener shares, computed once at start-up. */
export interface L7Settings {
  readonly listener: ListenerConfig
  readonly proto: 'http' | 'https'
  readonly counters: ListenerCounters
  /** Replaced as a whole when a split is re-weighted at run time (`RunningListener.setSplit`). */
  table: RouteTable
  /** The filter chain of each route, by route index, compiled at start-up. */
  readonly chains: readonly FilterChain[]
  /** The listener's own filters, for answers given before any route matched (404, bad requests). */
  readonly listenerChain: FilterChain
  readonly pools: ReadonlyMap<string, PoolRuntime>
  readonly limits: HeadLimits
  readonly random: () => number
  /** Checks every session's deadlines (idle, response timeout) on one timer. */
  readonly sweeper: Sweeper
  draining(): boolean
  upstreams(rt: PoolRuntime): UpstreamPool
  /** h2c with prior knowledge on this cleartext listener: where a connection opening with the HTTP/2 preface goes. */
  h2c?: (socket: Socket, origin: ClientOrigin, initial: Buffer) => void
}

const upstreamPools = new WeakMap<PoolRuntime, UpstreamPool>()

/** The keep-alive connections of a pool, shared by every L7 listener using it. */
export function upstreamsOf(rt: PoolRuntime): UpstreamPool {
  let u = upstreamPools.get(rt)
  if (u === undefined) {
    const c = rt.config
    u = new UpstreamPool({
      connectMs: c.timeouts.connectMs,
      idleTimeoutMs: c.keepAlive.idleTimeoutMs,
      maxIdlePerBackend: c.keepAlive.maxIdlePerBackend,
      maxConnectionsPerBackend: c.maxConnectionsPerBackend,
      observer: {
        opened(id) {
          const b = rt.backend(id)
          b.connectionsActive++
          b.connectionsTotal++
        },
        transferred(id, written, read) {
          const b = rt.backend(id)
          b.bytesToBackend += written
          b.bytesFromBackend += read
        },
        closed(id) {
          rt.backend(id).connectionsActive--
        },
      },
      ...(c.tls === undefined ? {} : { tls: upstreamTlsOf(c) }),
    })
    upstreamPools.set(rt, u)
  }
  return u
}

/** TLS towards a pool's backends, if it re-encrypts; its CA file is read when first needed (the path was resolved at load). */
export function upstreamTlsOf(c: PoolRuntime['config']): UpstreamSettings['tls'] {
  if (c.tls === undefined) return undefined
  return { rejectUnauthorized: c.tls.rejectUnauthorized, ...(c.tls.serverName === undefined ? {} : { serverName: c.tls.serverName }), ...(c.tls.caFile === undefined ? {} : { ca: readCa(c.tls.caFile) }) }
}

/** Reads a pool's CA file. */
function readCa(file: string): string {
  return readFileSync(file, 'utf8')
}

/** All values of the Cookie header(s), joined as one header (RFC 6265 §5.4). */
export function cookieHeaderOf(head: RequestHead): string | undefined {
  let joined: string | undefined
  for (const h of head.headers) {
    if (h.name.length === 6 && h.name.toLowerCase() === 'cookie') joined = joined === undefined ? h.value : `${joined}; ${h.value}`
  }
  return joined
}

/** The routing view of a request: every lookup is lazy. */
export function routeRequestOf(head: RequestHead): RouteRequest {
  return {
    method: head.method,
    host: head.host,
    target: head.target,
    header: (name) => head.get(name),
    cookieHeader: () => cookieHeaderOf(head),
  }
}

/** The hash a pool's key gives this request, or undefined (no key configured, or absent). */
export function requestHash(rt: PoolRuntime, head: RequestHead, clientAddress: string, clientPort: number): number | undefined {
  const key = rt.config.hashKey
  if (key === undefined) return undefined
  let value: string | undefined
  switch (key.source) {
    case 'source-ip':
      value = clientAddress
      break
    case 'source-address':
      value = `${clientAddress}:${clientPort}`
      break
    case 'header':
      value = head.get(key.name!.toLowerCase())
      break
    case 'cookie':
      value = getCookie(cookieHeaderOf(head), key.name!)
      break
    case 'path':
      value = requestPath(head.target)
      break
    case 'query':
      value = queryParam(head.target, key.name!)
      break
  }
  return value === undefined ? undefined : murmur3(value)
}

/** A fresh request id. */
export const newRequestId = (): string => randomUUID()

/** Methods whose requests may be sent again (RFC 9110 §9.2.2). */
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

export type { Backend }
