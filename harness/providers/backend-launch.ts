/**
 * From a `BackendSpec` to what the backend app is started with, as pure functions: the fixed
 * ports, the app's JSON configuration, and the validation of a batch of specs.
 */
import { EngineError, formatPath, type Issue } from '../../engine/errors.js'
import type { BackendConfig } from '../backend/backend-config.js'
import { backendConfigSchema } from '../backend/backend-config.js'
import type { BackendPorts, BackendSpec } from './types.js'

/**
 * The port of every protocol. Each backend has its own address, so every backend uses the same
 * ports and a restarted one is found exactly where it was.
 */
export const FIXED_PORTS = { http: 8080, https: 8443, grpc: 50051, tcp: 5432, udp: 5353, control: 9900 } as const

/** Where a backend serving `spec.protocols` listens. */
export function portsFor(spec: BackendSpec): BackendPorts {
  const has = (p: string) => spec.protocols.includes(p as never)
  return {
    ...(has('http') ? { http: FIXED_PORTS.http } : {}),
    ...(has('https') ? { https: FIXED_PORTS.https } : {}),
    ...(has('grpc') ? { grpc: FIXED_PORTS.grpc } : {}),
    ...(has('tcp') ? { tcp: FIXED_PORTS.tcp } : {}),
    ...(has('udp') ? { udp: FIXED_PORTS.udp } : {}),
    control: FIXED_PORTS.control,
  }
}

/** The TCP and UDP ports a backend binds on its address, for probing that they are free. */
export function boundPorts(ports: BackendPorts): { tcp: number[]; udp: number[] } {
  const tcp = [ports.http, ports.https, ports.grpc, ports.tcp, ports.control].filter((p): p is number => p !== undefined)
  return { tcp, udp: ports.udp === undefined ? [] : [ports.udp] }
}

/** The backend app's configuration (`LAYERBENCH_BACKEND`) for `spec` on `host`. */
export function backendConfigFor(spec: BackendSpec, host: string): BackendConfig {
  const ports = portsFor(spec)
  const http =
    ports.https !== undefined && spec.tls !== undefined
      ? { port: ports.https, tls: { cert: spec.tls.cert, key: spec.tls.key } }
      : ports.http !== undefined
        ? { port: ports.http }
        : undefined
  return {
    id: spec.id,
    host,
    ...(http === undefined ? {} : { http }),
    ...(ports.grpc === undefined ? {} : { grpc: { port: ports.grpc } }),
    ...(ports.tcp === undefined ? {} : { tcp: { port: ports.tcp } }),
    ...(ports.udp === undefined ? {} : { udp: { port: ports.udp } }),
    control: { port: ports.control },
    proxyProtocol: spec.proxyProtocol ?? 'none',
    ...(spec.connectionAge === undefined ? {} : { connectionAge: { maxMs: Math.max(1, Math.round(spec.connectionAge.maxMs)), graceMs: Math.round(spec.connectionAge.graceMs) } }),
    behaviour: spec.behaviour ?? {},
    ...(spec.seed === undefined ? {} : { seed: spec.seed }),
  }
}

const ID = /^[\x21-\x7e]{1,128}$/
const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/

/** Every problem of a batch of specs, with its path (`[1].protocols`). */
export function specIssues(specs: readonly BackendSpec[]): Issue[] {
  const issues: Issue[] = []
  const seen = new Set<string>()
  specs.forEach((spec, i) => {
    const at = (field: string, message: string) => issues.push({ path: `[${i}]${field === '' ? '' : `.${field}`}`, message })
    const before = issues.length
    if (!ID.test(spec.id)) at('id', 'expected 1–128 visible ASCII characters without spaces')
    else if (seen.has(spec.id)) at('id', `duplicate id ${spec.id}`)
    seen.add(spec.id)
    if (spec.protocols.length === 0) at('protocols', 'expected at least one protocol')
    if (spec.protocols.includes('http') && spec.protocols.includes('https')) at('protocols', 'http and https share one listener: choose one')
    if (spec.protocols.includes('https') && spec.tls === undefined) at('tls', 'https needs a certificate and key')
    if (issues.length === before) {
      // What reaches the app must pass the app's own schema (behaviour, seed, certificate shapes).
      const parsed = backendConfigSchema.safeParse(backendConfigFor(spec, '127.0.0.1'))
      if (!parsed.success) for (const issue of parsed.error.issues) at(formatPath(issue.path), issue.message)
    }
    const limits = spec.limits
    if (limits?.cpus !== undefined && !(limits.cpus > 0 && limits.cpus <= 1024)) at('limits.cpus', 'expected a positive number of cores')
    if (limits?.cpuset !== undefined && !CPUSET.test(limits.cpuset)) at('limits.cpuset', 'expected CPU numbers and ranges such as 0-1,3')
    if (limits?.memoryMb !== undefined && !(Number.isInteger(limits.memoryMb) && limits.memoryMb >= 6)) at('limits.memoryMb', 'expected an integer of at least 6 (MiB)')
  })
  return issues
}

/** Throws `LB_ERR_INVALID_CONFIG` listing every problem of `specs`. */
export function assertValidSpecs(specs: readonly BackendSpec[]): void {
  const issues = specIssues(specs)
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_CONFIG', 'invalid backend specs', issues)
}

/** The first line `ready {json}` of the backend app's stdout, parsed; `undefined` for any other line. */
export function parseReadyLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('ready ')) return undefined
  try {
    const value: unknown = JSON.parse(line.slice(6))
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
