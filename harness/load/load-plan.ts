import { EngineError, type Issue } from '../../engine/errors.js'
import { isIPv4 } from 'node:net'
import { isToken } from '../../engine/http/index.js'
import { LOAD_PROTOCOLS, type HttpRequestShape, type LoadPlan, type LoadProtocol } from './load-types.js'

/**
 * A plan with every default filled in. `connections` is the pool's clients: for h2 and grpc,
 * connections × streams per connection (each client one stream at a time on a shared connection).
 */
export interface ResolvedPlan extends LoadPlan {
  readonly streamsPerConnection: number
  readonly warmupMs: number
  readonly timeoutMs: number
  readonly intervalMs: number
  readonly maxRequests: number
  readonly newConnectionPerRequest: boolean
  readonly tcpPayload: string
  readonly udpPayloadBytes: number
}

/** What a generator can do, for the checks that depend on it. */
export interface GeneratorAbilities {
  readonly protocols: readonly LoadProtocol[]
  readonly newConnectionPerRequest: boolean
  /** Per-request shapes, per-response callbacks, cookie jars, client source addresses and client aborts. */
  readonly clients: boolean
}

const PLAN_KEYS = new Set([
  'protocol', 'target', 'mode', 'connections', 'rate', 'durationMs', 'warmupMs', 'maxRequests', 'newConnectionPerRequest',
  'http', 'tcpPayload', 'udpPayloadBytes', 'timeoutMs', 'intervalMs', 'seed', 'headersPerRequest',
  'requestFor', 'mix', 'onResponse', 'cookies', 'localAddresses', 'clientAbort', 'streamsPerConnection', 'grpc',
])
const TARGET_KEYS = new Set(['host', 'port', 'serverName', 'ca', 'rejectUnauthorized'])
const HTTP_KEYS = new Set(['method', 'path', 'headers', 'bodyBytes', 'hostHeader'])

const isPositiveInt = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) > 0
const isPositive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0

/**
 * Every problem with `plan`, with its path; empty when it can run. `abilities` adds the checks of
 * one generator (protocols it speaks, connection per request).
 */
export function loadPlanIssues(plan: LoadPlan, abilities?: GeneratorAbilities): Issue[] {
  const issues: Issue[] = []
  const bad = (path: string, message: string) => issues.push({ path, message })
  if (typeof plan !== 'object' || plan === null) return [{ path: '', message: 'expected an object' }]
  for (const k of Object.keys(plan)) if (!PLAN_KEYS.has(k)) bad(k, 'unknown key')
  if (!LOAD_PROTOCOLS.includes(plan.protocol)) bad('protocol', `expected one of ${LOAD_PROTOCOLS.join(', ')}`)
  else if (abilities !== undefined && !abilities.protocols.includes(plan.protocol)) bad('protocol', `this generator speaks ${abilities.protocols.join(', ')}`)
  const t = plan.target as LoadPlan['target'] | undefined
  if (typeof t !== 'object' || t === null) bad('target', 'expected { host, port }')
  else {
    for (const k of Object.keys(t)) if (!TARGET_KEYS.has(k)) bad(`target.${k}`, 'unknown key')
    if (typeof t.host !== 'string' || t.host.length === 0) bad('target.host', 'expected a host name or address')
    if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) bad('target.port', 'expected a port 1-65535')
  }
  if (plan.mode !== 'closed' && plan.mode !== 'open') bad('mode', 'expected closed or open')
  if (!isPositiveInt(plan.connections)) bad('connections', 'expected a positive integer')
  if (plan.mode === 'open' && !isPositive(plan.rate)) bad('rate', 'the open loop needs a positive rate (requests per second)')
  if (plan.mode === 'closed' && plan.rate !== undefined) bad('rate', 'a closed loop is paced by its replies: rate applies to the open loop only')
  if (!isPositive(plan.durationMs)) bad('durationMs', 'expected a positive number')
  if (plan.warmupMs !== undefined && !(typeof plan.warmupMs === 'number' && plan.warmupMs >= 0)) bad('warmupMs', 'expected a number ≥ 0')
  if (plan.maxRequests !== undefined && !isPositiveInt(plan.maxRequests)) bad('maxRequests', 'expected a positive integer')
  if (plan.timeoutMs !== undefined && !isPositive(plan.timeoutMs)) bad('timeoutMs', 'expected a positive number')
  if (plan.intervalMs !== undefined && !isPositive(plan.intervalMs)) bad('intervalMs', 'expected a positive number')
  if (plan.newConnectionPerRequest === true && abilities?.newConnectionPerRequest === false) {
    bad('newConnectionPerRequest', 'this generator keeps its connections open')
  }
  if (plan.tcpPayload !== undefined && (typeof plan.tcpPayload !== 'string' || plan.tcpPayload.length === 0 || /[\r\n]/.test(plan.tcpPayload))) {
    bad('tcpPayload', 'expected a non-empty string without CR or LF')
  }
  if (plan.udpPayloadBytes !== undefined && !(Number.isInteger(plan.udpPayloadBytes) && plan.udpPayloadBytes >= 16 && plan.udpPayloadBytes <= 65_000)) {
    bad('udpPayloadBytes', 'expected an integer 16-65000')
  }
  if (plan.headersPerRequest !== undefined && typeof plan.headersPerRequest !== 'function') bad('headersPerRequest', 'expected a function')
  for (const k of ['requestFor', 'onResponse', 'clientAbort'] as const) if (plan[k] !== undefined && typeof plan[k] !== 'function') bad(k, 'expected a function')
  if (plan.clientAbort !== undefined && plan.protocol !== 'http' && plan.protocol !== 'https') bad('clientAbort', `client aborts are HTTP exchanges; this plan speaks ${String(plan.protocol)}`)
  if (plan.localAddresses !== undefined) {
    if (!Array.isArray(plan.localAddresses) || plan.localAddresses.length === 0) bad('localAddresses', 'expected a non-empty list of addresses')
    else plan.localAddresses.forEach((a, i) => isIPv4(a) && a.startsWith('127.') ? undefined : bad(`localAddresses[${i}]`, 'expected an address in 127.0.0.0/8'))
  }
  const clientFeatures = plan.requestFor !== undefined || plan.onResponse !== undefined || plan.cookies === true || plan.localAddresses !== undefined || plan.clientAbort !== undefined
  if (clientFeatures && abilities?.clients === false) bad('', 'this generator sends one request shape from anonymous clients: requestFor, onResponse, cookies, localAddresses and clientAbort need the layerbench generator')
  if (plan.http !== undefined) httpIssues(plan.http, bad)
  const multiplexed = plan.protocol === 'h2' || plan.protocol === 'grpc'
  if (plan.streamsPerConnection !== undefined) {
    if (!multiplexed) bad('streamsPerConnection', 'applies to h2 and grpc, whose connections carry several streams')
    else if (!(isPositiveInt(plan.streamsPerConnection) && plan.streamsPerConnection <= 10_000)) bad('streamsPerConnection', 'expected an integer 1-10000')
  }
  if (plan.grpc !== undefined) {
    if (plan.protocol !== 'grpc') bad('grpc', 'applies to protocol grpc')
    if (plan.grpc.path !== undefined && !/^\/[^/]+\/[^/]+$/.test(plan.grpc.path)) bad('grpc.path', 'expected /package.Service/Method')
    if (plan.grpc.message !== undefined && !(plan.grpc.message instanceof Uint8Array)) bad('grpc.message', 'expected protobuf bytes')
  }
  if (multiplexed && plan.newConnectionPerRequest === true) bad('newConnectionPerRequest', 'h2 and grpc multiplex requests on long-lived connections')
  return issues
}

function httpIssues(h: HttpRequestShape, bad: (path: string, message: string) => void): void {
  for (const k of Object.keys(h)) if (!HTTP_KEYS.has(k)) bad(`http.${k}`, 'unknown key')
  if (h.method !== undefined && !isToken(h.method)) bad('http.method', 'expected an HTTP method token')
  if (h.path !== undefined && (typeof h.path !== 'string' || !h.path.startsWith('/'))) bad('http.path', 'expected an origin-form path starting with /')
  if (h.bodyBytes !== undefined && !(Number.isInteger(h.bodyBytes) && h.bodyBytes >= 0)) bad('http.bodyBytes', 'expected an integer ≥ 0')
  for (const name of Object.keys(h.headers ?? {})) if (!isToken(name)) bad(`http.headers.${name}`, 'expected a header name token')
}

/** Validates `plan` and fills its defaults; throws `LB_ERR_INVALID_OPTIONS` listing every problem. */
export function resolvePlan(plan: LoadPlan, abilities?: GeneratorAbilities): ResolvedPlan {
  const issues = loadPlanIssues(plan, abilities)
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_OPTIONS', 'invalid load plan', issues)
  const streamsPerConnection = plan.streamsPerConnection ?? 1
  return {
    ...plan,
    connections: plan.connections * streamsPerConnection,
    streamsPerConnection,
    warmupMs: plan.warmupMs ?? 0,
    timeoutMs: plan.timeoutMs ?? 10_000,
    intervalMs: plan.intervalMs ?? 1000,
    maxRequests: plan.maxRequests ?? Number.POSITIVE_INFINITY,
    newConnectionPerRequest: plan.newConnectionPerRequest ?? false,
    tcpPayload: plan.tcpPayload ?? 'ping',
    udpPayloadBytes: plan.udpPayloadBytes ?? 64,
  }
}
