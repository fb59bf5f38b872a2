import type { Filter, FilterEnv } from './filter.js'
import { accessLogFilter } from './access-log.js'
import { authFilter } from './auth.js'
import { cacheFilter } from './cache.js'
import { compressFilter } from './compress.js'
import type { FilterConfig } from './filter-config.js'
import { rateLimitFilter } from './rate-limit.js'
import { securityHeadersFilter } from './security-headers.js'

/**
 * Every filter that lb.yaml can name under `filters:` (listener or route level), by its `type`.
 * Adding a filter means one file, one line here, and its schema in `filter-config.ts`.
 */
export const filterTypes = {
  'security-headers': securityHeadersFilter,
  'rate-limit': rateLimitFilter,
  auth: authFilter,
  'access-log': accessLogFilter,
  compress: compressFilter,
  cache: cacheFilter,
} as const satisfies Record<string, (config: never, env: FilterEnv) => Filter>

/** Builds a configured filter. */
export function createFilter(config: FilterConfig, env: FilterEnv): Filter {
  const make = filterTypes[config.type] as (c: FilterConfig, e: FilterEnv) => Filter
  return make(config, env)
}
