import { EngineError } from '../../engine/errors.js'
import { loadScenario, type LoadedScenario } from './load-scenario.js'
import { parseVariantFilters, selectVariants } from './variant-filter.js'

/**
 * Loads every scenario file of a command (`run`, `simulate`) and keeps the variants matching
 * `--variant`. Nothing stops at the first problem: every invalid file, bad filter, filter that
 * matches nothing and name shared by two files is collected, so the command reports them all
 * and runs nothing.
 */
export function loadSuite(files: readonly string[], options: { quick: boolean; variant?: readonly string[] }): { loaded: LoadedScenario[]; problems: string[] } {
  const loaded: LoadedScenario[] = []
  const problems: string[] = []
  for (const file of files) {
    try {
      loaded.push(loadScenario(file, { quick: options.quick }))
    } catch (e) {
      if (!(e instanceof EngineError)) throw e
      problems.push(`${e.code}: ${e.message}`)
    }
  }
  const { filters, bad } = parseVariantFilters(options.variant ?? [])
  if (bad.length > 0) problems.push(`--variant: expected dimension=value, got ${bad.map((b) => `"${b}"`).join(', ')}`)
  for (const [i, l] of loaded.entries()) {
    const selected = selectVariants(l.variants, filters)
    if (selected.length === 0) problems.push(`${l.file}: no variant matches ${(options.variant ?? []).join(' ')}`)
    loaded[i] = { ...l, variants: selected }
  }
  const names = new Map<string, string>()
  for (const l of loaded) {
    if (names.has(l.name)) problems.push(`LB_ERR_INVALID_SCENARIO: ${l.file} and ${names.get(l.name)} share the name "${l.name}" (results are written by name)`)
    names.set(l.name, l.file)
  }
  return { loaded, problems }
}
