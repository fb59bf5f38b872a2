/**
 * Load generators: the measuring instruments of a run. One plan and one summary model for all of
 * them (see load-types.ts), so results from different generators and layers compare directly.
 */
import { EngineError } from '../../engine/errors.js'
import { autocannonGenerator } from './autocannon-generator.js'
import type { LoadGenerator } from './load-types.js'
import { nativeGenerator } from './native-generator.js'

export * from './load-types.js'
export { loadPlanIssues, resolvePlan, type GeneratorAbilities, type ResolvedPlan } from './load-plan.js'
export { createNativeGenerator, nativeGenerator, NATIVE_ABILITIES, type NativeGeneratorOptions } from './native-generator.js'
export { autocannonGenerator, createAutocannonGenerator, AUTOCANNON_ABILITIES, reconcileAutocannon, type AutocannonCounters } from './autocannon-generator.js'
export { ConstantRateSchedule } from './constant-rate-schedule.js'
export { LoadRecorder, type Completion, type SummaryContext } from './load-recorder.js'
export { loadWarnings, CPU_WARNING_UTILISATION, RATE_WARNING_SHARE, type WarningInputs } from './load-warnings.js'

/** Every load generator by name. */
export const loadGenerators = {
  layerbench: nativeGenerator,
  autocannon: autocannonGenerator,
} as const satisfies Record<string, LoadGenerator>

/** A generator's name. */
export type LoadGeneratorName = keyof typeof loadGenerators

/** The generator called `name`; throws `LB_ERR_INVALID_OPTIONS` for an unknown one. */
export function generatorFor(name: string): LoadGenerator {
  if (Object.hasOwn(loadGenerators, name)) return loadGenerators[name as LoadGeneratorName]
  throw new EngineError('LB_ERR_INVALID_OPTIONS', `unknown load generator ${JSON.stringify(name)} (known: ${Object.keys(loadGenerators).join(', ')})`)
}
