import type { ResolvedPlan } from '../load-plan.js'
import type { LoadProtocol } from '../load-types.js'
import { h2ConnectionFactory } from './h2-connection.js'
import { grpcRequestEncoder, h2RequestEncoder } from './h2-request.js'
import { HttpConnection } from './http-connection.js'
import { httpRequestEncoder } from './http-request.js'
import { LineConnection } from './line-connection.js'
import type { ConnectionFactory } from './load-connection.js'
import { UdpConnection } from './udp-connection.js'
import { WebSocketConnection } from './websocket-connection.js'

/** The source address of a client, when the plan gives clients addresses of their own. */
const addressOf = (plan: ResolvedPlan, client: number): string | undefined => plan.localAddresses?.[client % plan.localAddresses.length]

function http(plan: ResolvedPlan, secure: boolean): ConnectionFactory {
  const encode = httpRequestEncoder(plan.target, plan.http, {
    close: plan.newConnectionPerRequest,
    ...(plan.headersPerRequest === undefined ? {} : { perRequest: plan.headersPerRequest }),
    ...(plan.requestFor === undefined ? {} : { requestFor: plan.requestFor }),
  })
  const method = plan.http?.method ?? 'GET'
  const requestFor = plan.requestFor
  const methodOf = requestFor === undefined ? () => method : (i: number) => requestFor(i).method ?? method
  return (client) => new HttpConnection(plan.target, secure, methodOf, encode, addressOf(plan, client))
}

/** One entry per protocol: how its connections are made. */
const factories: Record<LoadProtocol, (plan: ResolvedPlan) => ConnectionFactory> = {
  http: (plan) => http(plan, false),
  https: (plan) => http(plan, true),
  h2: (plan) => h2ConnectionFactory(plan.target, plan.streamsPerConnection, h2RequestEncoder(plan), 'h2', (session) => addressOf(plan, session)),
  grpc: (plan) => h2ConnectionFactory(plan.target, plan.streamsPerConnection, grpcRequestEncoder(plan), 'grpc', (session) => addressOf(plan, session)),
  tcp: (plan) => (client) => new LineConnection(plan.target, false, plan.tcpPayload, addressOf(plan, client)),
  tls: (plan) => (client) => new LineConnection(plan.target, true, plan.tcpPayload, addressOf(plan, client)),
  udp: (plan) => (client) => new UdpConnection(plan.target, plan.udpPayloadBytes, addressOf(plan, client)),
  websocket: (plan) => (client) => new WebSocketConnection(plan.target, plan.http?.path ?? '/', addressOf(plan, client)),
}

/** The connection factory of a plan's protocol. */
export function connectionFactory(plan: ResolvedPlan): ConnectionFactory {
  return factories[plan.protocol](plan)
}
