import { z } from 'zod'
import type { Filter, FilterEnv } from './filter.js'
import { accessLogFilter, accessLogSchema } from './access-log.js'
import { authFilter, authSchema } from './auth.js'
import { rateLimitFilter, rateLimitSchema } from './rate-limit.js'
import { securityHeadersFilter, securityHeadersSchema } from './security-headers.js'

/**
 * Every filter that lb.yaml can name under `filters:` (listener or route level), by its `type`.
 * Adding a filter means one file and one line here, and one in `filterConfigSchema` below.
 */
export const filterTypes = {
  'security-headers': securityHeadersFilter,
  'rate-limit': rateLimitFilter,
  auth: authFilter,
  'access-log': accessLogFilter,
} as const satisfies Record<string, (config: never, env: FilterEnv) => Filter>

/** One entry of a `filters:` list. */
export const filterConfigSchema = z.discriminatedUnion('type', [securityHeadersSchema, rateLimitSchema, authSchema, accessLogSchema])

/** A validated filter configuration. */
export type FilterConfig = z.infer<typeof filterConfigSchema>

/** Builds a configured filter. */
export function createFilter(config: FilterConfig, env: FilterEnv): Filter {
  const make = filterTypes[config.type] as (c: FilterConfig, e: FilterEnv) => Filter
  return make(config, env)
}
