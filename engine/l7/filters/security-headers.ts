import { z } from 'zod'
import type { HttpHeader } from '../../http/http-head.js'
import { headerValue } from './filter-config-parts.js'
import type { Filter } from './filter.js'

/** `security-headers` in lb.yaml, at listener or route level. */
export const securityHeadersSchema = z.strictObject({
  type: z.literal('security-headers'),
  /** Strict-Transport-Security, sent only on responses over TLS (RFC 6797 §7.2: ignored, and wrong, over plain HTTP). */
  hsts: z
    .union([
      z.literal(false),
      z.strictObject({
        maxAgeS: z.number().int().min(0).max(2 ** 31 - 1).default(31_536_000),
        includeSubDomains: z.boolean().default(true),
        preload: z.boolean().default(false),
      }),
    ])
    .prefault({}),
  /** X-Content-Type-Options: nosniff. */
  contentTypeOptions: z.boolean().default(true),
  /** X-Frame-Options. */
  frameOptions: z.union([z.literal(false), z.enum(['DENY', 'SAMEORIGIN'])]).default('SAMEORIGIN'),
  referrerPolicy: z
    .union([
      z.literal(false),
      z.enum(['no-referrer', 'no-referrer-when-downgrade', 'origin', 'origin-when-cross-origin', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin', 'unsafe-url']),
    ])
    .default('strict-origin-when-cross-origin'),
  /** Content-Security-Policy, as the user writes it (no default: a wrong policy breaks pages). */
  contentSecurityPolicy: headerValue.optional(),
  /** Replace what a backend set; by default a backend's own value is kept. */
  override: z.boolean().default(false),
})

/** A validated `security-headers` configuration. */
export type SecurityHeadersConfig = z.infer<typeof securityHeadersSchema>

interface Preset {
  readonly lower: string
  readonly header: HttpHeader
}

/** The headers a configuration sets, precomputed: over plain HTTP and over TLS. */
function presets(c: SecurityHeadersConfig): { plain: readonly Preset[]; tls: readonly Preset[] } {
  const plain: Preset[] = []
  const add = (name: string, value: string) => plain.push({ lower: name.toLowerCase(), header: { name, value } })
  if (c.contentTypeOptions) add('X-Content-Type-Options', 'nosniff')
  if (c.frameOptions !== false) add('X-Frame-Options', c.frameOptions)
  if (c.referrerPolicy !== false) add('Referrer-Policy', c.referrerPolicy)
  if (c.contentSecurityPolicy !== undefined) add('Content-Security-Policy', c.contentSecurityPolicy)
  const tls = [...plain]
  if (c.hsts !== false) {
    const value = `max-age=${c.hsts.maxAgeS}${c.hsts.includeSubDomains ? '; includeSubDomains' : ''}${c.hsts.preload ? '; preload' : ''}`
    tls.unshift({ lower: 'strict-transport-security', header: { name: 'Strict-Transport-Security', value } })
  }
  return { plain, tls }
}

/** Index of the first header named `lower`, or -1. */
function find(headers: readonly HttpHeader[], lower: string): number {
  for (let i = 0; i < headers.length; i++) {
    const n = headers[i]!.name
    if (n.length === lower.length && n.toLowerCase() === lower) return i
  }
  return -1
}

/**
 * A preset of response security headers on every response, the balancer's own errors included:
 * what the backend set stays unless `override`, nothing is ever set twice, and HSTS only over TLS.
 */
export function securityHeadersFilter(config: SecurityHeadersConfig): Filter {
  const { plain, tls } = presets(config)
  const override = config.override
  return {
    name: 'security-headers',
    onResponseHead(ctx, _status, headers) {
      const set = ctx.proto === 'https' ? tls : plain
      for (let i = 0; i < set.length; i++) {
        const p = set[i]!
        const at = find(headers, p.lower)
        if (at < 0) headers.push(p.header)
        else if (override) {
          headers[at] = p.header
          // Any further lines of the same field go: one value, the configured one.
          for (let j = headers.length - 1; j > at; j--) if (headers[j]!.name.toLowerCase() === p.lower) headers.splice(j, 1)
        }
      }
    },
  }
}
