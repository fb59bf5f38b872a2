import type { LoadedScenario } from '../scenario/load-scenario.js'

/**
 * Whether a scenario is for the simulator only (`simulation.only: true`, e.g. ten thousand
 * backends): `layerbench run` skips it with a message instead of starting what no machine can host.
 */
export function isSimulationOnly(loaded: LoadedScenario): boolean {
  return loaded.variants.some((v) => v.scenario.simulation?.only === true)
}
