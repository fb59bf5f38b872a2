import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { EngineError } from '../../../engine/errors.js'
import { parseYaml } from '../../../engine/config/load-document.js'
import { parseScenario } from '../../scenario/load-scenario.js'
import { scenarioFromExample, starterScenario } from '../../scenario/starter-scenario.js'
import { projectRoot } from '../../system/environment.js'
import { CliError, ExitCode } from '../exit-codes.js'

/** Options of `layerbench init`. */
export interface InitOptions {
  from?: string
  out?: string
  force?: boolean
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/i

/** The shipped scenarios `--from` can start from: the `*.yaml` files of the package's scenarios/. */
export function shippedScenarios(): string[] {
  return readdirSync(join(projectRoot(), 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort()
}

/**
 * `layerbench init [name] [--from <shipped scenario>]`: writes `<name>.yaml` (or `--out`), a
 * commented scenario with the schema header, and checks it parses as a scenario before saying so.
 * Never overwrites a file unless `--force`.
 */
export function initCommand(name: string | undefined, opts: InitOptions): ExitCode {
  const scenarioName = name ?? (opts.from === undefined ? 'my-scenario' : `my-${opts.from}`)
  if (!NAME.test(scenarioName)) throw new CliError(`name: "${scenarioName}": names are letters, digits, - and _`, ExitCode.BadInput)
  const file = resolve(opts.out ?? `${scenarioName}.yaml`)
  if (existsSync(file) && opts.force !== true) throw new CliError(`${file} exists (--force replaces it)`, ExitCode.BadInput)
  const schema = join(projectRoot(), 'scenarios', 'schemas', 'scenario.schema.json')
  const rel = relative(dirname(file), schema).split(sep).join('/')
  const schemaRef = rel.startsWith('.') ? rel : `./${rel}`
  let text: string
  if (opts.from === undefined) text = starterScenario(scenarioName, schemaRef)
  else {
    const known = shippedScenarios()
    if (!known.includes(opts.from)) throw new CliError(`--from: no shipped scenario "${opts.from}" (one of: ${known.join(', ')})`, ExitCode.BadInput)
    text = scenarioFromExample(readFileSync(join(projectRoot(), 'scenarios', `${opts.from}.yaml`), 'utf8'), opts.from, scenarioName, schemaRef)
  }
  try {
    parseScenario(parseYaml(text, file), file, text)
  } catch (e) {
    // The templates are tested; this guards against a shipped scenario the renaming broke.
    if (e instanceof EngineError) throw new CliError(`the new scenario would not validate: ${e.message}`, ExitCode.Failed)
    throw e
  }
  writeFileSync(file, text)
  process.stdout.write(`wrote ${file}\nnext: layerbench validate ${relative(process.cwd(), file) || file} && layerbench run ${relative(process.cwd(), file) || file} --quick\n`)
  return ExitCode.Ok
}
