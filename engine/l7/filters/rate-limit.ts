import { LRUCache } from 'lru-cache'
import type { RateLimitConfig } from './filter-config.js'
import type { Filter, FilterContext, FilterEnv } from './filter.js'
import { fullBucket, takeToken, type BucketState } from './token-bucket.js'

/** Requests without the key's header, or without an identity, share one bucket under this key. */
const MISSING = '\u0000missing'

/** What names a request's bucket. */
function keyFunction(key: RateLimitConfig['key']): (ctx: FilterContext) => string {
  switch (key.source) {
    case 'source-ip':
      return (ctx) => ctx.client.address
    case 'route':
      return () => 'route'
    case 'identity':
      return (ctx) => ctx.identity ?? MISSING
    case 'header': {
      const name = key.name.toLowerCase()
      return (ctx) => ctx.request.get(name) ?? MISSING
    }
  }
}

/**
 * A token bucket per key: over its rate a request is answered 429 with `Retry-After` (seconds,
 * rounded up) and `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` (IETF httpapi
 * draft), without reaching a backend. Requests lacking the keying header (or identity) are
 * limited together, as one key. Counters: allowed, limited, keys tracked, keys forgotten for room.
 */
export function rateLimitFilter(config: RateLimitConfig, env: FilterEnv): Filter {
  const shape = { ratePerS: config.ratePerS, burst: config.burst ?? Math.max(1, Math.ceil(config.ratePerS)) }
  const counts = { allowed: 0, limited: 0, evicted: 0 }
  const buckets = new LRUCache<string, BucketState>({ max: config.maxKeys, dispose: (_v, _k, reason) => void (reason === 'evict' && counts.evicted++) })
  const keyOf = keyFunction(config.key)
  const limit = String(shape.burst)
  return {
    name: 'rate-limit',
    onRequest(ctx) {
      const now = env.nowMs()
      const k = keyOf(ctx)
      let state = buckets.get(k)
      if (state === undefined) {
        state = fullBucket(shape, now)
        buckets.set(k, state)
      }
      const r = takeToken(state, shape, now)
      if (r.allowed) {
        counts.allowed++
        return undefined
      }
      counts.limited++
      ;(ctx.decisions ??= {})['rate-limit'] = 'limited'
      return {
        status: 429,
        headers: [
          { name: 'content-type', value: 'text/plain; charset=utf-8' },
          { name: 'Retry-After', value: String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))) },
          { name: 'RateLimit-Limit', value: limit },
          { name: 'RateLimit-Remaining', value: String(r.remaining) },
          { name: 'RateLimit-Reset', value: String(Math.ceil(r.resetMs / 1000)) },
        ],
        body: '429 Too Many Requests: over the rate limit\n',
      }
    },
    stats: () => ({ counters: { allowed: counts.allowed, limited: counts.limited, evicted: counts.evicted }, gauges: { keys: buckets.size } }),
  }
}
