import { z } from 'zod'
import { lbConfigSchema } from '../../engine/config/lb-config.js'
import { resultFileSchema } from '../../reports/result/result-model.js'
import { scenarioSchema } from '../scenario/scenario-schema.js'

/** A published JSON Schema: where it is committed and what it describes. */
export interface PublishedSchema {
  readonly file: string
  readonly title: string
  readonly schema: z.ZodType
}

/** Every schema published under scenarios/schemas for editor completion. */
export const publishedSchemas: readonly PublishedSchema[] = [
  { file: 'lb-config.schema.json', title: 'layerbench balancer configuration (lb.yaml)', schema: lbConfigSchema },
  { file: 'scenario.schema.json', title: 'layerbench scenario', schema: scenarioSchema },
  { file: 'result.schema.json', title: 'layerbench result.json (one scenario)', schema: resultFileSchema },
]

/**
 * Renders a schema as JSON Schema (draft 2020-12) of its input form, what users write: fields
 * with defaults are optional. Cross-field rules (pool references, layer compatibility) are checked
 * by `layerbench validate`, not by the schema.
 */
export function renderJsonSchema(p: PublishedSchema): string {
  const json = z.toJSONSchema(p.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return JSON.stringify({ $id: `https://layerbench.dev/schemas/${p.file}`, title: p.title, ...json }, null, 2) + '\n'
}
