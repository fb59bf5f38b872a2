import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { publishedSchemas, renderJsonSchema } from '../../../harness/schemas/json-schemas.js'

const dir = fileURLToPath(new URL('../../../scenarios/schemas/', import.meta.url))

describe('published JSON Schemas', () => {
  it.each(publishedSchemas.map((p) => [p.file, p] as const))('%s is up to date (regenerate with npm run schemas)', (file, p) => {
    expect(readFileSync(join(dir, file), 'utf8')).toBe(renderJsonSchema(p))
  })

  it('describes the balancer configuration strictly', () => {
    const schema = JSON.parse(readFileSync(join(dir, 'lb-config.schema.json'), 'utf8'))
    expect(schema.required).toEqual(['listeners', 'pools'])
    expect(schema.additionalProperties).toBe(false)
    expect(schema.properties.listeners.items.properties.protocol.enum).toEqual(['tcp', 'udp', 'tls', 'http', 'https'])
  })

  it('describes scenarios and results', () => {
    const scenario = JSON.parse(readFileSync(join(dir, 'scenario.schema.json'), 'utf8'))
    expect(scenario.required).toEqual(expect.arrayContaining(['name', 'backends', 'balancer', 'load']))
    expect(Object.keys(scenario.properties)).toEqual(expect.arrayContaining(['timeline', 'matrix', 'repeats', 'expect', 'quick']))
    const result = JSON.parse(readFileSync(join(dir, 'result.schema.json'), 'utf8'))
    expect(result.properties.schema.const).toBe('layerbench/result@1')
  })
})
