/**
 * One backend: its listeners (HTTP/1.x and HTTP/2 in plaintext or TLS, gRPC, the TCP line
 * protocol, UDP echo, the control API)
 * around one shared state, started together and stopped gracefully together.
 */
import type { BackendConfig } from './backend-config.js'
import { BackendState, type ListeningPorts } from './backend-state.js'
import { listenControl } from './control-server.js'
import { GRPC_ALPN, grpcProtocol } from './grpc-protocol.js'
import { h2Protocol } from './h2-protocol.js'
import { httpProtocol } from './http-protocol.js'
import { HTTP_ALPN, httpVersions } from './http-versions.js'
import { listenStream } from './stream-listener.js'
import { serveTcp } from './tcp-protocol.js'
import { listenUdp } from './udp-echo.js'

/** A running backend. */
export interface RunningBackend {
  readonly state: BackendState
  readonly ports: ListeningPorts
  /** Stops accepting, lets answers in progress finish for up to `graceMs`, then closes everything. */
  stop(graceMs: number): Promise<void>
}

/** Binds every configured listener; rejects (after closing what was bound) if one cannot bind. */
export async function startBackend(config: BackendConfig, log: (message: string) => void): Promise<RunningBackend> {
  const state = new BackendState(config.id, config.behaviour, config.seed)
  const { host, proxyProtocol, connectionAge } = config
  const closers: ((graceMs: number) => Promise<void>)[] = []
  const bound: { http?: number; grpc?: number; tcp?: number; udp?: number } = {}
  try {
    if (config.http !== undefined) {
      const protocol = httpVersions(httpProtocol(state), h2Protocol(state, connectionAge))
      const l = await listenStream({ host, port: config.http.port, proxyProtocol, tls: config.http.tls, alpn: HTTP_ALPN }, protocol)
      closers.push((g) => l.close(g))
      bound.http = l.port
    }
    if (config.grpc !== undefined) {
      const grpc = grpcProtocol(state, connectionAge)
      const onAccept = () => void state.served.grpc.connections++
      const l = await listenStream({ host, port: config.grpc.port, proxyProtocol, tls: config.grpc.tls, alpn: GRPC_ALPN, onAccept }, grpc.serve)
      closers.push(async (g) => {
        grpc.drain(g)
        await l.close(g)
        grpc.destroy()
      })
      bound.grpc = l.port
    }
    if (config.tcp !== undefined) {
      const onAccept = () => void state.served.tcp.connections++
      const l = await listenStream({ host, port: config.tcp.port, proxyProtocol, onAccept }, (c) => serveTcp(state, c))
      closers.push((g) => l.close(g))
      bound.tcp = l.port
    }
    if (config.udp !== undefined) {
      const l = await listenUdp(state, host, config.udp.port)
      closers.push(() => l.close())
      bound.udp = l.port
    }
    const control = await listenControl(state, host, config.control.port, log)
    closers.push(() => control.close())
    state.listening = { ...bound, control: control.port }
  } catch (e) {
    await Promise.all(closers.map((close) => close(0)))
    throw e
  }
  const ports = state.listening
  return {
    state,
    ports,
    stop: async (graceMs) => {
      await Promise.all(closers.map((close) => close(graceMs)))
    },
  }
}
