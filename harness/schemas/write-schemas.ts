import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../system/environment.js'
import { publishedSchemas, renderJsonSchema } from './json-schemas.js'

// Regenerates scenarios/schemas/*.schema.json (npm run schemas); a test keeps them in sync.
for (const p of publishedSchemas) {
  const file = join(projectRoot(), 'scenarios', 'schemas', p.file)
  writeFileSync(file, renderJsonSchema(p))
  process.stdout.write(`wrote ${file}\n`)
}
