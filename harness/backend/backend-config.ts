/**
 * Configuration of the backend application: what it listens on, how it misbehaves, and how a
 * caller changes that at run time. Parsed once at start (from `--config` or `LAYERBENCH_BACKEND`)
 * and for every `PUT /behaviour`; unknown keys are errors and every problem is reported with its path.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { murmur3 } from '../../engine/balancing/hash.js'
import { EngineError, formatPath, type Issue } from '../../engine/errors.js'
import { parseIPv6 } from '../../engine/proxy-protocol/ip-address.js'
import type { LatencySpec } from './latency-distribution.js'

/** The environment variable read when no `--config` argument is given. */
export const CONFIG_ENV = 'LAYERBENCH_BACKEND'

const MAX_LATENCY_MS = 3_600_000
const latencyMs = z.number().min(0).max(MAX_LATENCY_MS)

/** A latency distribution (see `latency-distribution.ts`). */
export const latencySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), ms: latencyMs }),
  z
    .strictObject({ kind: z.literal('uniform'), minMs: latencyMs, maxMs: latencyMs })
    .refine((l) => l.minMs <= l.maxMs, { message: 'must be at least minMs', path: ['maxMs'] }),
  z.strictObject({ kind: z.literal('exponential'), meanMs: latencyMs }),
  z.strictObject({ kind: z.literal('lognormal'), medianMs: latencyMs, sigma: z.number().min(0).max(10) }),
])

// The schema and the distribution code must agree on the shape of a spec.
type AssertLatency<T extends LatencySpec> = T
export type LatencyConfig = AssertLatency<z.infer<typeof latencySchema>>

const rate = z.number().min(0).max(1)
const fields = {
  latency: latencySchema,
  /** Fraction of requests answered with `errorStatus` (HTTP), `ERR` (TCP), or not at all (UDP). */
  errorRate: rate,
  /** 4xx or 5xx: other statuses would change how the response is framed. */
  errorStatus: z.number().int().min(400).max(599),
  /** gRPC status (1–16) of an injected error on the gRPC listener; default from `errorStatus` by gRPC's HTTP mapping. */
  grpcStatus: z.number().int().min(1).max(16),
  /** Fraction of requests whose connection is reset instead of answered (UDP: dropped). */
  resetRate: rate,
  /** Exact HTTP body size of a 200, and TCP reply line size including the newline. */
  responseBytes: z.number().int().min(0).max(64 * 1024 * 1024),
  slowBody: z.strictObject({ bytesPerSecond: z.number().min(1).max(1e10) }),
  healthy: z.boolean(),
}

/** How the backend answers: latency, faults, sizes and health. Every field is optional. */
export const behaviourSchema = z.strictObject({
  latency: fields.latency.optional(),
  errorRate: fields.errorRate.optional(),
  errorStatus: fields.errorStatus.optional(),
  grpcStatus: fields.grpcStatus.optional(),
  resetRate: fields.resetRate.optional(),
  responseBytes: fields.responseBytes.optional(),
  slowBody: fields.slowBody.optional(),
  healthy: fields.healthy.optional(),
})

/** A change to the behaviour: absent fields are kept, `null` clears a field back to its default. */
export const behaviourPatchSchema = z.strictObject({
  latency: fields.latency.nullable().optional(),
  errorRate: fields.errorRate.nullable().optional(),
  errorStatus: fields.errorStatus.nullable().optional(),
  grpcStatus: fields.grpcStatus.nullable().optional(),
  resetRate: fields.resetRate.nullable().optional(),
  responseBytes: fields.responseBytes.nullable().optional(),
  slowBody: fields.slowBody.nullable().optional(),
  healthy: fields.healthy.nullable().optional(),
})

export type Behaviour = z.infer<typeof behaviourSchema>
export type BehaviourPatch = z.infer<typeof behaviourPatchSchema>

/** True for an IPv4 address in 127.0.0.0/8 or the IPv6 loopback `::1` (in any spelling). */
export function isLoopbackAddress(host: string): boolean {
  if (isIPv4(host)) return host.startsWith('127.')
  if (!isIPv6(host)) return false
  const bytes = parseIPv6(host)
  return bytes !== undefined && bytes.subarray(0, 15).every((b) => b === 0) && bytes[15] === 1
}

const port = z.number().int().min(0).max(65_535)

const tlsSchema = z.strictObject({
  cert: z.string().includes('BEGIN CERTIFICATE', { message: 'expected a PEM certificate' }),
  key: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key' }),
})

/** The longest connection age that may be configured: a day. */
const MAX_AGE_MS = 86_400_000

/**
 * True for an IPv4 address in 198.18.0.0/15, RFC 2544's benchmarking range: the addresses of the
 * network namespaces the project makes for its Swarm lab (see harness/setup/swarm-lab.sh).
 */
export function isBenchmarkingAddress(host: string): boolean {
  if (!isIPv4(host)) return false
  const [a, b] = host.split('.').map(Number)
  return a === 198 && (b === 18 || b === 19)
}

/** Where a backend may listen: loopback, or a lab namespace's benchmarking address. */
export function isBackendAddress(host: string): boolean {
  return isLoopbackAddress(host) || isBenchmarkingAddress(host)
}

/** The backend's configuration; see the module comment of `main.ts` for the whole contract. */
export const backendConfigSchema = z
  .strictObject({
    /** Names the backend in every answer; visible ASCII without spaces so TCP replies stay parseable. */
    id: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'expected 1–128 visible ASCII characters without spaces'),
    host: z.string().refine(isBackendAddress, 'must be an address in 127.0.0.0/8, ::1 or 198.18.0.0/15').default('127.0.0.1'),
    /** HTTP/1.x and HTTP/2 on one port: h2c by prior knowledge in plaintext, ALPN `h2` / `http/1.1` with TLS. */
    http: z.strictObject({ port, tls: tlsSchema.optional() }).optional(),
    /** gRPC (grpc-js): the echo service and grpc.health.v1; h2c, or TLS with ALPN `h2`. */
    grpc: z.strictObject({ port, tls: tlsSchema.optional() }).optional(),
    /**
     * HTTP/2 and gRPC connections are sent GOAWAY after `maxMs` (±10% jitter, as gRFC A9 asks) and
     * closed `graceMs` later if calls are still open: an L4 balancer in front then sees reconnections.
     */
    connectionAge: z.strictObject({ maxMs: z.number().int().min(1).max(MAX_AGE_MS), graceMs: z.number().int().min(0).max(MAX_AGE_MS).default(1000) }).optional(),
    tcp: z.strictObject({ port }).optional(),
    udp: z.strictObject({ port }).optional(),
    control: z.strictObject({ port }),
    /** `any` requires a header of either version; `none` reads none. */
    proxyProtocol: z.enum(['none', 'v1', 'v2', 'any']).default('none'),
    behaviour: behaviourSchema.default({}),
    seed: z.number().int().optional(),
  })
  .superRefine(
    (config, ctx) => {
      // http, grpc, tcp and control are all TCP listeners on one host: a fixed port may be used once.
      // Runs even when other fields are invalid (so all problems show at once), hence the checks.
      const seen = new Map<number, string>()
      for (const name of ['http', 'grpc', 'tcp', 'control'] as const) {
        const listener: unknown = config[name]
        const p = typeof listener === 'object' && listener !== null ? (listener as { port?: unknown }).port : undefined
        if (typeof p !== 'number' || p === 0) continue
        const other = seen.get(p)
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: [name, 'port'], message: `port ${p} is already used by ${other}` })
        seen.set(p, name)
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )

export type BackendConfig = z.infer<typeof backendConfigSchema>

/** A zod error's issues, with paths like `behaviour.latency.maxMs`. */
export function zodIssues(error: z.ZodError): Issue[] {
  // An unknown key is reported at its own path, so `behaviour.latncy` names the typo.
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ path: formatPath([...i.path, key]), message: 'unknown key' }))
      : [{ path: formatPath(i.path) || '(root)', message: i.message }],
  )
}

/** The seed used when the configuration gives none: a hash of the id, so each backend differs. */
export function defaultSeed(id: string): number {
  return murmur3(id)
}

/**
 * Reads the configuration from `--config <json>` in `argv` or, failing that, from
 * `env.LAYERBENCH_BACKEND`. Throws {@link EngineError} `LB_ERR_INVALID_CONFIG` listing every issue.
 */
export function loadBackendConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BackendConfig {
  let text: string | undefined
  let source: string
  try {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' } }, strict: true, allowPositionals: false })
    text = values.config
    source = '--config'
  } catch (e) {
    throw new EngineError('LB_ERR_INVALID_CONFIG', `invalid arguments: ${(e as Error).message}`, [{ path: '(arguments)', message: (e as Error).message }])
  }
  if (text === undefined) {
    text = env[CONFIG_ENV]
    source = CONFIG_ENV
  }
  if (text === undefined || text.trim() === '') {
    throw new EngineError('LB_ERR_INVALID_CONFIG', 'no configuration', [{ path: '(root)', message: `pass --config '<json>' or set ${CONFIG_ENV}` }])
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new EngineError('LB_ERR_INVALID_CONFIG', `invalid configuration in ${source}`, [{ path: '(root)', message: `not JSON: ${(e as Error).message}` }])
  }
  const parsed = backendConfigSchema.safeParse(value)
  if (!parsed.success) throw new EngineError('LB_ERR_INVALID_CONFIG', `invalid configuration in ${source}`, zodIssues(parsed.error))
  return parsed.data
}
