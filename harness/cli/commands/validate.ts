import { parseYaml, validateDocument } from '../../../engine/config/load-document.js'
import { lbConfigSchema } from '../../../engine/config/lb-config.js'
import { EngineError } from '../../../engine/errors.js'
import { readFileSync } from 'node:fs'
import { CliError, ExitCode } from '../exit-codes.js'
import { parseScenario } from '../../scenario/load-scenario.js'

/** The kinds of document `validate` knows, told apart by their top-level keys. */
export type DocumentKind = 'balancer' | 'scenario'

/** Which schema a parsed document is meant for; undefined when it looks like none. */
export function documentKind(value: unknown): DocumentKind | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  if ('balancer' in value || 'load' in value || 'backends' in value) return 'scenario'
  if ('listeners' in value || 'pools' in value) return 'balancer'
  return undefined
}

/** `layerbench validate FILE...`: checks balancer configurations and scenarios, every problem at once with its path; exit 2 if any is invalid. */
export function validateCommand(files: string[]): ExitCode {
  let failed = 0
  for (const file of files) {
    try {
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch (e) {
        throw new EngineError('LB_ERR_CONFIG_UNREADABLE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      }
      const value = parseYaml(text, file)
      const kind = documentKind(value)
      if (kind === undefined) throw new EngineError('LB_ERR_INVALID_CONFIG', `${file}: neither a balancer configuration (listeners, pools) nor a scenario (backends, balancer, load)`)
      if (kind === 'balancer') {
        validateDocument(lbConfigSchema, value, file)
        process.stdout.write(`${file}: valid balancer configuration\n`)
      } else {
        const loaded = parseScenario(value, file, text)
        process.stdout.write(`${file}: valid scenario "${loaded.name}" (${loaded.variants.length} variant(s) × ${loaded.repeats} repeat(s))\n`)
      }
    } catch (e) {
      if (!(e instanceof EngineError)) throw e
      failed++
      process.stderr.write(`${e.code}: ${e.message}\n`)
    }
  }
  if (failed > 0) throw new CliError(`${failed} of ${files.length} file(s) invalid`, ExitCode.BadInput)
  return ExitCode.Ok
}


