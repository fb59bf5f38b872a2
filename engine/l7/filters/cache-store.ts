import CachePolicy from 'http-cache-semantics'
import { LRUCache } from 'lru-cache'
import type { HttpHeader } from '../../http/http-head.js'
import { lowerCaseListElements } from '../../http/list-tokens.js'

/** A request as the cache reads it. */
export interface CacheRequest {
  readonly method: string
  readonly target: string
  readonly headers: readonly HttpHeader[]
  /** First value of a header; the name in lower case. */
  get(name: string): string | undefined
}

/** One stored response: a variant of its key, told apart from the others by the request headers its Vary names. */
export interface CachedResponse {
  readonly policy: CachePolicy
  readonly status: number
  /** As they went to the client when stored, without Content-Length (the answer states its own). */
  readonly headers: readonly HttpHeader[]
  /** The body, latin1 (a byte a character). */
  readonly body: string
  readonly varyNames: readonly string[]
  readonly varyValues: string
  /** Bytes it is counted for. */
  readonly size: number
}

/** What a lookup found. */
export type Lookup = { readonly kind: 'fresh'; readonly entry: CachedResponse } | { readonly kind: 'stale'; readonly entry: CachedResponse } | { readonly kind: 'none' }

/** The limits and clock of a store. */
export interface CacheStoreOptions {
  readonly maxBytes: number
  readonly maxEntryBytes: number
  readonly heuristicFraction: number
  /** Wall-clock ms: freshness and Age are computed on it. */
  readonly nowMs: () => number
}

/** Bytes counted for an entry beyond its body and headers (the policy, the variant list). */
const ENTRY_OVERHEAD = 512
/** Variants kept per key at most (Vary on a header with many values would otherwise fill the cache with one URL). */
const MAX_VARIANTS = 16

/** Headers as http-cache-semantics reads them: lower-case names, repeated fields joined. */
function headerObject(headers: readonly HttpHeader[]): Record<string, string> {
  const o: Record<string, string> = {}
  for (const { name, value } of headers) {
    const n = name.toLowerCase()
    o[n] = o[n] === undefined ? value : `${o[n]}, ${value}`
  }
  return o
}

/** The request's values of the headers a response varies on, as one string. */
function varyValuesOf(request: CacheRequest, names: readonly string[]): string {
  let s = ''
  for (const n of names) s += `${request.get(n) ?? ''}\n`
  return s
}

/** Response directives that forbid serving the response stale, even when the origin fails (RFC 9111 §5.2.2). */
function mustRevalidate(headers: Record<string, string>): boolean {
  const cc = headers['cache-control']
  if (cc === undefined) return false
  return lowerCaseListElements(cc).some((d) => d === 'must-revalidate' || d === 'proxy-revalidate' || d === 'no-cache' || d.startsWith('no-cache='))
}

/** The key of a request: its authority and target (GET only reaches the store). */
export function cacheKey(request: CacheRequest): string {
  return `${request.get('host') ?? ''} ${request.target}`
}

/**
 * A shared HTTP cache in memory (RFC 9111 through http-cache-semantics): what may be stored, for how
 * long it is fresh, its Age, its variants by Vary. Bounded in bytes by an LRU with size accounting:
 * storing beyond `maxBytes` drops the variants of the key used least recently. Pure: no sockets,
 * no timers; time is the injected clock's.
 */
export class CacheStore {
  private readonly lru: LRUCache<string, CachedResponse[]>
  private readonly Policy: typeof CachePolicy
  /** Keys dropped to make room. */
  evictions = 0

  constructor(private readonly options: CacheStoreOptions) {
    const nowMs = options.nowMs
    this.Policy = class extends CachePolicy {
      // http-cache-semantics reads its clock through this method: the store's clock instead of Date.now.
      now(): number {
        return nowMs()
      }
    }
    this.lru = new LRUCache<string, CachedResponse[]>({
      maxSize: options.maxBytes,
      sizeCalculation: (variants) => variants.reduce((n, v) => n + v.size, 0) || 1,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') this.evictions++
      },
    })
  }

  /** Entries (keys) held. */
  get keys(): number {
    return this.lru.size
  }

  /** Bytes held. */
  get bytes(): number {
    return this.lru.calculatedSize
  }

  /**
   * The stored variant of this request's key whose Vary headers match, fresh for it (the request's
   * own Cache-Control included), or stale but within `staleIfErrorS` past its freshness and
   * allowed to be served stale; else none.
   */
  lookup(request: CacheRequest, staleIfErrorS = 0): Lookup {
    const variants = this.lru.get(cacheKey(request))
    if (variants === undefined) return { kind: 'none' }
    const req = { method: request.method, url: request.target, headers: headerObject(request.headers) }
    for (const entry of variants) {
      if (varyValuesOf(request, entry.varyNames) !== entry.varyValues) continue
      if (entry.policy.satisfiesWithoutRevalidation(req)) return { kind: 'fresh', entry }
      const p = entry.policy
      if (staleIfErrorS > 0 && p.stale() && p.age() - p.maxAge() <= staleIfErrorS && !mustRevalidate(headerObject(entry.headers))) return { kind: 'stale', entry }
      return { kind: 'none' }
    }
    return { kind: 'none' }
  }

  /**
   * Whether a response may be stored, judged at its head: the policy if so, else undefined.
   * Responses setting cookies are not stored (they belong to one client, whatever their
   * Cache-Control says, as nginx decides too), nor `Vary: *` ones, nor ones longer than
   * `maxEntryBytes` by their Content-Length.
   */
  admit(request: CacheRequest, status: number, headers: readonly HttpHeader[]): CachePolicy | undefined {
    const res = headerObject(headers)
    if (res['set-cookie'] !== undefined) return undefined
    if (res['vary'] !== undefined && lowerCaseListElements(res['vary']).includes('*')) return undefined
    const length = res['content-length']
    if (length !== undefined && Number(length) > this.options.maxEntryBytes) return undefined
    const policy = new this.Policy({ method: request.method, url: request.target, headers: headerObject(request.headers) }, { status, headers: res }, { shared: true, cacheHeuristic: this.options.heuristicFraction })
    return policy.storable() && policy.timeToLive() > 0 ? policy : undefined
  }

  /** Stores a complete response admitted by `admit`; replaces the variant it matches. False when too large. */
  store(request: CacheRequest, policy: CachePolicy, status: number, headers: readonly HttpHeader[], body: string): boolean {
    if (body.length > this.options.maxEntryBytes) return false
    const kept = headers.filter((h) => h.name.toLowerCase() !== 'content-length')
    const vary = kept.filter((h) => h.name.toLowerCase() === 'vary').flatMap((h) => lowerCaseListElements(h.value))
    let size = ENTRY_OVERHEAD + body.length
    for (const h of kept) size += h.name.length + h.value.length + 4
    const entry: CachedResponse = { policy, status, headers: kept, body, varyNames: vary, varyValues: varyValuesOf(request, vary), size }
    const key = cacheKey(request)
    const others = (this.lru.peek(key) ?? []).filter((v) => v.varyValues !== entry.varyValues || v.varyNames.join() !== entry.varyNames.join())
    const variants = [entry, ...others].slice(0, MAX_VARIANTS)
    if (variants.reduce((n, v) => n + v.size, 0) > this.options.maxBytes) return false
    this.lru.set(key, variants)
    return true
  }
}
