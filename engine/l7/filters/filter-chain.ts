import type { Filter } from './filter.js'

/**
 * Filters in order, with the ones having each hook picked out once, when the chain is compiled: a
 * request runs only the hooks that exist, and a chain without any costs a length check per stage.
 */
export interface FilterChain {
  readonly filters: readonly Filter[]
  readonly onRequest: readonly Filter[]
  readonly onUpstreamRequest: readonly Filter[]
  readonly onResponseHead: readonly Filter[]
  readonly onResponseBody: readonly Filter[]
  readonly onResponseStream: readonly Filter[]
  readonly onUpstreamError: readonly Filter[]
  readonly onDone: readonly Filter[]
  readonly onRejectHead: readonly Filter[]
}

/** Compiles filters, in the order given, into a chain. */
export function compileChain(filters: readonly Filter[]): FilterChain {
  return {
    filters,
    onRequest: filters.filter((f) => f.onRequest !== undefined),
    onUpstreamRequest: filters.filter((f) => f.onUpstreamRequest !== undefined),
    onResponseHead: filters.filter((f) => f.onResponseHead !== undefined),
    onResponseBody: filters.filter((f) => f.onResponseBody !== undefined),
    onResponseStream: filters.filter((f) => f.onResponseStream !== undefined),
    onUpstreamError: filters.filter((f) => f.onUpstreamError !== undefined),
    onDone: filters.filter((f) => f.onDone !== undefined),
    onRejectHead: filters.filter((f) => f.onRejectHead !== undefined),
  }
}

/** A chain without filters. */
export const EMPTY_CHAIN: FilterChain = compileChain([])
