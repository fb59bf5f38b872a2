import { z } from 'zod'
import { parseConfig } from './parse-config.js'
import { grpcProbe } from './grpc-probe.js'
import { httpProbe, tcpProbe, tlsProbe, type Probe } from './probes.js'

const tlsSchema = z.strictObject({
  /** SNI name; defaults to the backend host unless it is an IP address. */
  serverName: z.string().min(1).max(253).optional(),
  /** Verify the backend's certificate; off by default. */
  rejectUnauthorized: z.boolean().optional(),
})

const statusRange = z
  .tuple([z.number().int().min(100).max(599), z.number().int().min(100).max(599)])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [low, high] with low ≤ high' })

const httpSchema = z.strictObject({
  method: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP method token').default('GET'),
  path: z.string().regex(/^[\x21-\x7e]+$/, 'expected a request target without spaces or control characters').default('/health'),
  /** Host header; default `host:port` of the backend. */
  host: z.string().regex(/^[\x21-\x7e]+$/, 'expected a host without spaces or control characters').optional(),
  /** Inclusive status ranges that pass. */
  expectStatus: z.array(statusRange).min(1).default([[200, 399]]),
  /** Text the first 64 KiB of the body must contain. */
  bodyContains: z.string().min(1).max(65_536).optional(),
  /** Speak HTTPS. */
  tls: tlsSchema.optional(),
})

/** The fields of a health check, for configurations that embed one alongside other settings. */
export const healthCheckFields = {
  type: z.enum(['tcp', 'http', 'tls', 'grpc']),
  /** Time between checks of one backend, ±10 % jitter (HAProxy `inter`, default 2000). */
  intervalMs: z.number().int().min(1).max(3_600_000).default(2000),
  /** A probe that has not finished by then fails with 'timeout' (default 1000). */
  timeoutMs: z.number().int().min(1).max(600_000).default(1000),
  http: httpSchema.optional(),
  tls: tlsSchema.optional(),
  /** gRPC health checking protocol (grpc.health.v1.Health/Check) over HTTP/2. */
  grpc: z
    .strictObject({
      /** The service asked about; '' is the server as a whole. */
      service: z.string().max(127).default(''),
      /** Speak TLS (ALPN h2). */
      tls: tlsSchema.optional(),
    })
    .optional(),
}

/** Rules across the fields: protocol settings only with their probe type. */
export function checkHealthCheckRules(c: { type: string; http?: unknown; tls?: unknown; grpc?: unknown }, ctx: z.RefinementCtx): void {
  if (c.type !== 'grpc' && c.grpc !== undefined) ctx.addIssue({ code: 'custom', path: ['grpc'], message: 'only allowed with type "grpc"' })
  if (c.type !== 'http' && c.http !== undefined) ctx.addIssue({ code: 'custom', path: ['http'], message: 'only allowed with type "http"' })
  if (c.type !== 'tls' && c.tls !== undefined) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'only allowed with type "tls" (HTTPS checks use http.tls)' })
}

/** Active health check settings: which probe, how often, how long it may take. */
export const healthCheckConfigSchema = z.strictObject(healthCheckFields).superRefine(checkHealthCheckRules)

/** Active health check settings (input form: defaults may be omitted). */
export type HealthCheckConfig = z.input<typeof healthCheckConfigSchema>

/** Health check settings after validation, with defaults filled in. */
export type ParsedHealthCheckConfig = z.output<typeof healthCheckConfigSchema>

/** Validates a health check configuration; throws EngineError LB_ERR_INVALID_OPTIONS listing every problem. */
export function parseHealthCheckConfig(config: HealthCheckConfig): ParsedHealthCheckConfig {
  return parseConfig(healthCheckConfigSchema, config, 'healthCheck')
}

/** The probe a validated configuration asks for, with its options bound. */
export function probeFor(check: ParsedHealthCheckConfig): Probe {
  const timeoutMs = check.timeoutMs
  switch (check.type) {
    case 'tcp':
      return (target, signal) => tcpProbe(target, { timeoutMs }, signal)
    case 'tls':
      return (target, signal) => tlsProbe(target, { ...check.tls, timeoutMs }, signal)
    case 'http':
      return (target, signal) => httpProbe(target, { ...check.http, timeoutMs }, signal)
    case 'grpc':
      return (target, signal) => grpcProbe(target, { ...check.grpc, timeoutMs }, signal)
  }
}
