import type { HttpHeader } from '../../http/http-head.js'
import type CachePolicy from 'http-cache-semantics'
import { CacheStore, cacheKey, type CachedResponse } from './cache-store.js'
import type { CacheConfig } from './filter-config.js'
import type { Filter, FilterAnswer, FilterContext, FilterEnv } from './filter.js'

/** What the cache decided for one request, and what it gathers while a miss goes to the backend. */
interface Pending {
  kind: 'miss' | 'bypass'
  /** The miss every concurrent miss on its key waits for (coalescing). */
  flight: Flight | undefined
  policy: CachePolicy | undefined
  status: number
  headers: readonly HttpHeader[] | undefined
  parts: string[] | undefined
  bytes: number
}

/** One miss in flight to the backend; those waiting on it are woken when it is over. */
interface Flight {
  readonly done: Promise<void>
  readonly wake: () => void
}

/** A stored response as an answer: its headers with Age brought up to date, and where it came from. */
function answerFrom(entry: CachedResponse, xCache: 'hit' | 'stale'): FilterAnswer {
  const headers: HttpHeader[] = []
  for (const h of entry.headers) if (h.name.toLowerCase() !== 'age') headers.push(h)
  headers.push({ name: 'Age', value: String(Math.floor(entry.policy.age())) }, { name: 'x-cache', value: xCache })
  return { status: entry.status, headers, body: entry.body }
}

/**
 * A shared HTTP cache (RFC 9111) in front of the route's backends, in memory, bounded in bytes.
 * GET requests are answered from it while fresh, with Age and `x-cache: hit`, the backend never
 * involved; a miss goes to the backend (`x-cache: miss`) and, when the response may be stored, is
 * stored as it passes (headers as the filters before this one left them, body as the stages before
 * it produced it: place it after `compress` to store compressed variants, before to store
 * identity and compress each hit). Concurrent misses on a key wait for the first one's response
 * (one backend request for N). Requests with Authorization, and methods other than GET, bypass it
 * (`x-cache: bypass`). With `staleIfErrorS`, a stale response answers when the backend fails
 * (`x-cache: stale`). Counted: hit, miss, bypass, stale, coalesced (hits that waited for a
 * miss), stored, evicted; levels: entries and bytes held.
 */
export function cacheFilter(config: CacheConfig, env: FilterEnv): Filter {
  const store = new CacheStore({ maxBytes: config.maxBytes, maxEntryBytes: config.maxEntryBytes, heuristicFraction: config.heuristicFraction, nowMs: env.wallMs })
  const pending = new WeakMap<FilterContext, Pending>()
  const flights = new Map<string, Flight>()
  const counts = { hit: 0, miss: 0, bypass: 0, stale: 0, coalesced: 0, stored: 0 }

  const decide = (ctx: FilterContext, decision: string) => ((ctx.decisions ??= {}).cache = decision)

  /** A fresh stored response, as the answer; undefined on a miss. */
  function fresh(ctx: FilterContext): FilterAnswer | undefined {
    const found = store.lookup(ctx.request)
    return found.kind === 'fresh' ? answerFrom(found.entry, 'hit') : undefined
  }

  function miss(ctx: FilterContext, key: string, lead: boolean): undefined {
    counts.miss++
    decide(ctx, 'miss')
    let flight: Flight | undefined
    if (lead) {
      let wake!: () => void
      const done = new Promise<void>((resolve) => (wake = resolve))
      flight = { done, wake }
      flights.set(key, flight)
    }
    pending.set(ctx, { kind: 'miss', flight, policy: undefined, status: 0, headers: undefined, parts: undefined, bytes: 0 })
    return undefined
  }

  /** Ends a miss's flight: those waiting look again. */
  function land(p: Pending, key: string): void {
    if (p.flight === undefined) return
    if (flights.get(key) === p.flight) flights.delete(key)
    p.flight.wake()
    p.flight = undefined
  }

  return {
    name: 'cache',
    onRequest(ctx) {
      const r = ctx.request
      if (r.method !== 'GET' || r.get('authorization') !== undefined || r.upgrade !== undefined) {
        counts.bypass++
        decide(ctx, 'bypass')
        pending.set(ctx, { kind: 'bypass', flight: undefined, policy: undefined, status: 0, headers: undefined, parts: undefined, bytes: 0 })
        return undefined
      }
      const hit = fresh(ctx)
      if (hit !== undefined) {
        counts.hit++
        decide(ctx, 'hit')
        return hit
      }
      const key = cacheKey(r)
      const flight = config.coalesce ? flights.get(key) : undefined
      if (flight === undefined) return miss(ctx, key, config.coalesce)
      // Another request is fetching this key: its response may answer this one too.
      return flight.done.then(() => {
        const after = fresh(ctx)
        if (after === undefined) return miss(ctx, key, false)
        counts.hit++
        counts.coalesced++
        decide(ctx, 'hit')
        return after
      })
    },
    onResponseHead(ctx, status, headers, own) {
      const p = pending.get(ctx)
      if (p === undefined || own) return
      if (p.kind === 'miss') {
        p.policy = store.admit(ctx.request, status, headers)
        if (p.policy !== undefined) {
          p.status = status
          p.headers = [...headers]
          p.parts = []
        }
      }
      headers.push({ name: 'x-cache', value: p.kind })
    },
    onResponseStream(ctx, _status, _headers, own) {
      const p = pending.get(ctx)
      if (own || p?.parts === undefined) return undefined
      return {
        observe(chunk) {
          if (p.parts === undefined) return
          p.bytes += chunk.length
          if (p.bytes > config.maxEntryBytes) p.parts = undefined
          else p.parts.push(chunk.toString('latin1'))
        },
      }
    },
    onUpstreamError(ctx) {
      if (config.staleIfErrorS === 0 || ctx.request.method !== 'GET' || ctx.request.get('authorization') !== undefined) return undefined
      const found = store.lookup(ctx.request, config.staleIfErrorS)
      if (found.kind !== 'stale' && found.kind !== 'fresh') return undefined
      counts.stale++
      decide(ctx, 'stale')
      return answerFrom(found.entry, 'stale')
    },
    onDone(ctx, outcome) {
      const p = pending.get(ctx)
      if (p === undefined) return
      pending.delete(ctx)
      if (p.kind !== 'miss') return
      if (outcome.ok && p.policy !== undefined && p.parts !== undefined && store.store(ctx.request, p.policy, p.status, p.headers!, p.parts.join(''))) counts.stored++
      land(p, cacheKey(ctx.request))
    },
    stats: () => ({ counters: { ...counts, evicted: store.evictions }, gauges: { entries: store.keys, bytes: store.bytes } }),
  }
}
