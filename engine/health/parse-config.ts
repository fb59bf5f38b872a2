import type { z } from 'zod'
import { EngineError, formatPath } from '../errors.js'

/**
 * Parses a configuration with its strict schema, or throws LB_ERR_INVALID_OPTIONS listing every
 * problem at once, each under `label` and its path (`outlierDetection.maxEjectionPercent: …`).
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, label: string): z.output<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  throw new EngineError(
    'LB_ERR_INVALID_OPTIONS',
    `invalid ${label}`,
    parsed.error.issues.map((i) => {
      const path = formatPath(i.path)
      return { path: path === '' ? label : `${label}.${path}`, message: i.message }
    }),
  )
}
