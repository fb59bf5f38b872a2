import { EngineError, formatPath } from '../errors.js'
import { algorithmNames, algorithms, resolveAlgorithmName, type AlgorithmName } from './registry.js'
import type { AnyAlgorithm, Backend, Deps, Picker } from './types.js'

/** An algorithm from the registry with its options parsed and defaults applied. */
export interface ConfiguredAlgorithm {
  readonly name: AlgorithmName
  readonly algorithm: AnyAlgorithm
  readonly options: unknown
  build(backends: readonly Backend[], deps: Deps, previous?: Picker): Picker
}

/**
 * Looks an algorithm up by name or alias and validates its options (strict: unknown keys are
 * errors; every problem is reported at once). Throws an EngineError with a stable code.
 */
export function configureAlgorithm(name: string, options: unknown = {}, path = 'algorithm'): ConfiguredAlgorithm {
  const canonical = resolveAlgorithmName(name)
  if (canonical === undefined) {
    throw new EngineError('LB_ERR_UNKNOWN_ALGORITHM', `unknown balancing algorithm "${name}"`, [
      { path, message: `expected one of: ${algorithmNames().join(', ')}` },
    ])
  }
  const algorithm: AnyAlgorithm = algorithms[canonical]
  const parsed = algorithm.options.safeParse(options ?? {})
  if (!parsed.success) {
    throw new EngineError(
      'LB_ERR_INVALID_OPTIONS',
      `invalid options for ${canonical}`,
      parsed.error.issues.map((i) => ({ path: formatPath([path, 'options', ...i.path]), message: i.message })),
    )
  }
  const opts: unknown = parsed.data
  return {
    name: canonical,
    algorithm,
    options: opts,
    build: (backends, deps, previous) => algorithm.build(backends, opts, deps, previous),
  }
}
