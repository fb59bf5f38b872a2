import { z } from 'zod'

// The configuration language of `filters:` (listener and route level): one strict schema per
// filter type, apart from the filters themselves so the balancer's configuration schema depends
// on nothing of the data plane.

/** An HTTP header name (RFC 9110 token). */
const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected an HTTP header name')

/** A header value: no CR, LF or NUL, which would split the message. */
const headerValue = z.string().min(1).regex(/^[^\r\n\0]*$/, 'header values cannot contain CR, LF or NUL')

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

/** `rate-limit` in lb.yaml, at listener or route level. */
export const rateLimitSchema = z.strictObject({
  type: z.literal('rate-limit'),
  /**
   * What a bucket belongs to: the client address, a request header's value, the route as a whole, or
   * `identity`: who an `auth` filter earlier in the chain found the request to be (a JWT's subject,
   * an API key). Requests without the header, or without an identity (a token with no `sub`), share one bucket.
   */
  key: z
    .discriminatedUnion('source', [
      z.strictObject({ source: z.literal('source-ip') }),
      z.strictObject({ source: z.literal('header'), name: headerName }),
      z.strictObject({ source: z.literal('route') }),
      z.strictObject({ source: z.literal('identity') }),
    ])
    .prefault({ source: 'source-ip' }),
  /** Sustained requests per second per key. */
  ratePerS: z.number().positive().max(1_000_000),
  /** Requests admitted at once from idle (the bucket's size); default: one second's worth, at least 1. */
  burst: z.number().int().min(1).max(10_000_000).optional(),
  /**
   * Keys tracked at most. When full, the key idle longest is forgotten (its next request starts a
   * full bucket): memory stays bounded, and a key idle that long had refilled in most setups anyway.
   */
  maxKeys: z.number().int().min(1).max(10_000_000).default(100_000),
})

/** A validated `rate-limit` configuration. */
export type RateLimitConfig = z.infer<typeof rateLimitSchema>

const ALGORITHMS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])

const jwtKey = z.union([
  z.strictObject({ alg: z.literal('HS256'), secret: z.string().min(32, 'an HS256 secret needs at least 32 characters (256 bits)'), kid: z.string().optional() }),
  z.strictObject({ alg: z.enum(['RS256', 'ES256', 'EdDSA']), publicKey: z.string().includes('BEGIN PUBLIC KEY'), kid: z.string().optional() }),
  z.strictObject({ alg: z.enum(['RS256', 'ES256', 'EdDSA']), publicKeyFile: z.string().min(1), kid: z.string().optional() }),
])

/** `auth` in lb.yaml, at listener or route level: JWT bearer tokens, API keys, or both (either lets a request in). */
export const authSchema = z
  .strictObject({
    type: z.literal('auth'),
    jwt: z
      .strictObject({
        /** Local keys; a token's `kid` picks among keys that have one, else its `alg` does. */
        keys: z.array(jwtKey).min(1).optional(),
        /** A local JWKS file (RFC 7517), read at start-up. */
        jwksFile: z.string().min(1).optional(),
        algorithms: z.array(z.enum(ALGORITHMS)).min(1).default([...ALGORITHMS]),
        issuer: oneOrMany.optional(),
        audience: oneOrMany.optional(),
        /** Clock skew allowed on exp and nbf, seconds. */
        leewayS: z.number().int().min(0).max(3600).default(30),
      })
      .refine((j) => (j.keys === undefined) !== (j.jwksFile === undefined), { message: 'give exactly one of keys or jwksFile' })
      .optional(),
    apiKeys: z
      .strictObject({
        /** Header carrying the key. */
        header: headerName.default('x-api-key'),
        /** Query parameter carrying the key, when set. */
        query: z.string().min(1).optional(),
        keys: z.array(z.string().min(16, 'API keys need at least 16 characters')).optional(),
        /** One key a line; blank lines and lines starting with # are skipped. */
        keysFile: z.string().min(1).optional(),
      })
      .refine((a) => a.keys !== undefined || a.keysFile !== undefined, { message: 'give keys, keysFile or both' })
      .optional(),
    /** Token claims passed to the backend as request headers (claim → header); a client's own headers of these names are dropped. */
    claimsToHeaders: z.record(z.string().min(1), headerName).default({}),
    /** Claims a token must carry with these values (a list claim such as `scope` must contain it), else 403. */
    requireClaims: z.record(z.string().min(1), z.string()).default({}),
    realm: z.string().regex(/^[^"\\\r\n]*$/).default('layerbench'),
  })
  .refine((a) => a.jwt !== undefined || a.apiKeys !== undefined, { message: 'auth needs jwt, apiKeys or both' })

/** A validated `auth` configuration. */
export type AuthConfig = z.infer<typeof authSchema>

/** `access-log` in lb.yaml, at listener or route level. */
export const accessLogSchema = z.strictObject({
  type: z.literal('access-log'),
  /** `json`: one object a line; `combined`: the Apache/nginx combined format, timings appended. */
  format: z.enum(['json', 'combined']).default('json'),
  /** `stdout`, or a file appended to (created if missing). */
  destination: z.union([z.literal('stdout'), z.strictObject({ file: z.string().min(1) })]).default('stdout'),
  /**
   * Bytes the writer may hold while the disk or pipe is behind. Beyond it a line is dropped, and
   * counted, rather than slowing requests or growing memory without bound.
   */
  maxBufferedBytes: z.number().int().min(4096).max(1 << 30).default(16 << 20),
})

/** A validated `access-log` configuration. */
export type AccessLogConfig = z.infer<typeof accessLogSchema>

/** The content codings `compress` can apply. */
export const CONTENT_CODINGS = ['br', 'gzip'] as const

/** A media type or a `type/*` range, lower case. */
const mediaRange = z.string().regex(/^[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+)$/, 'expected a media type such as text/html or a range such as text/*')

/** `compress` in lb.yaml, at listener or route level. */
export const compressSchema = z.strictObject({
  type: z.literal('compress'),
  /** Codings offered, in order of preference when a client weighs several the same. */
  algorithms: z.array(z.enum(CONTENT_CODINGS)).min(1).refine((a) => new Set(a).size === a.length, { message: 'each coding once' }).default(['br', 'gzip']),
  /** Media types compressed (`type/*` for a whole type); others pass as they are. */
  contentTypes: z
    .array(mediaRange)
    .min(1)
    .default(['text/*', 'application/json', 'application/javascript', 'application/xml', 'application/problem+json', 'image/svg+xml']),
  /** Bodies shorter than this (by Content-Length) are sent as they are: the coding's framing would eat the gain. */
  minBytes: z.number().int().min(0).max(1 << 30).default(1024),
  /** Level per coding: gzip 1–9, brotli quality 0–11. */
  levels: z
    .strictObject({
      gzip: z.number().int().min(1).max(9).default(6),
      br: z.number().int().min(0).max(11).default(4),
    })
    .prefault({}),
})

/** A validated `compress` configuration. */
export type CompressConfig = z.infer<typeof compressSchema>

/** `cache` in lb.yaml, at listener or route level: a shared HTTP cache (RFC 9111) in memory. */
export const cacheSchema = z
  .strictObject({
    type: z.literal('cache'),
    /** Bytes the cache holds at most (bodies and headers); the entry used least recently goes first. */
    maxBytes: z.number().int().min(1024).max(2 ** 40).default(64 << 20),
    /** The largest response stored; longer ones pass through uncached. */
    maxEntryBytes: z.number().int().min(1).max(2 ** 40).default(1 << 20),
    /** Concurrent misses on one key wait for the first one's response instead of each going to the backend. */
    coalesce: z.boolean().default(true),
    /**
     * Freshness given to a response with a Last-Modified but no explicit lifetime, as a fraction of
     * its age then (RFC 9111 §4.2.2); 0 stores only responses with an explicit lifetime.
     */
    heuristicFraction: z.number().min(0).max(1).default(0.1),
    /**
     * Seconds past its freshness a stored response may still answer when the backend fails (5xx, or
     * no backend reachable), as RFC 5861's stale-if-error; 0: never.
     */
    staleIfErrorS: z.number().int().min(0).max(7 * 86_400).default(0),
  })
  .refine((c) => c.maxEntryBytes <= c.maxBytes, { message: 'maxEntryBytes cannot exceed maxBytes', path: ['maxEntryBytes'] })

/** A validated `cache` configuration. */
export type CacheConfig = z.infer<typeof cacheSchema>

/** One entry of a `filters:` list. */
export const filterConfigSchema = z.discriminatedUnion('type', [securityHeadersSchema, rateLimitSchema, authSchema, accessLogSchema, compressSchema, cacheSchema])

/** A validated filter configuration. */
export type FilterConfig = z.infer<typeof filterConfigSchema>
