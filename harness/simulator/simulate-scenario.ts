import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { EngineError, type Issue } from '../../engine/errors.js'
import type { ResultFile, RunResult } from '../../reports/result/result-model.js'
import type { LoadedScenario } from '../scenario/load-scenario.js'
import { labelText } from '../scenario/matrix.js'
import { layerbenchVersion, machineFacts } from '../system/environment.js'
import { parseTrace } from './arrival-process.js'
import { resolveModel } from './resolve-model.js'
import type { SimModel } from './sim-model.js'
import { simulationRunResult } from './simulation-result.js'
import { Simulation } from './simulator.js'

/** Overrides from the command line. */
export interface SimulateOptions {
  /** Seed of the first repeat (later repeats count up from it). */
  readonly seed?: number
  /** Measured requests per run, instead of the load's duration. */
  readonly requests?: number
  /** Called as each run finishes, for progress output. */
  readonly onRun?: (run: RunResult, done: number, total: number) => void
}

/**
 * Reads the traces that replay arrivals name, relative to the scenario file. Throws EngineError
 * LB_ERR_INVALID_SIMULATION listing every unreadable or malformed trace.
 */
export function loadTraces(loaded: LoadedScenario): Map<string, Float64Array> {
  const traces = new Map<string, Float64Array>()
  const issues: Issue[] = []
  for (const v of loaded.variants) {
    const arrival = v.scenario.simulation?.arrival
    if (arrival?.kind !== 'replay' || traces.has(arrival.file)) continue
    const path = resolve(dirname(loaded.file), arrival.file)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (e) {
      issues.push({ path: 'simulation.arrival.file', message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })
      continue
    }
    const { offsetsUs, problems } = parseTrace(text)
    for (const p of problems) issues.push({ path: 'simulation.arrival.file', message: `${arrival.file} ${p}` })
    traces.set(arrival.file, offsetsUs)
  }
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_SIMULATION', `${loaded.file}: unusable trace`, issues)
  return traces
}

/**
 * Resolves every variant's model first (nothing runs if one cannot be simulated), then simulates
 * every variant `repeats` times. Repeat k runs with seed + k − 1; variants of one repeat share
 * their seed, so they see the same arrivals and service draws (common random numbers) and differ
 * by their configuration only.
 */
export function simulateScenario(loaded: LoadedScenario, options: SimulateOptions = {}): ResultFile {
  const traces = loadTraces(loaded)
  const models: SimModel[] = []
  const issues: Issue[] = []
  for (const v of loaded.variants) {
    try {
      models.push(resolveModel(v.scenario, { traces, ...(options.requests === undefined ? {} : { requests: options.requests }) }))
    } catch (e) {
      if (!(e instanceof EngineError)) throw e
      const where = labelText(v.label)
      issues.push(...(e.issues.length > 0 ? e.issues : [{ path: '(scenario)', message: e.message }]).map((i) => (where === '' ? i : { ...i, message: `${i.message} (in variant ${where})` })))
    }
  }
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_SIMULATION', `${loaded.file} cannot be simulated`, issues)

  const startedAt = new Date().toISOString()
  const version = layerbenchVersion()
  const runs: RunResult[] = []
  const total = loaded.repeats * loaded.variants.length
  for (let repeat = 1; repeat <= loaded.repeats; repeat++) {
    loaded.variants.forEach((v, i) => {
      const base = models[i]!
      const model: SimModel = { ...base, seed: (options.seed ?? base.seed) + repeat - 1 }
      const runStarted = new Date().toISOString()
      const t0 = performance.now()
      const outcome = new Simulation(model).run()
      const wallMs = performance.now() - t0
      const run = simulationRunResult(v, model, outcome, { repeat, startedAt: runStarted, wallMs, version })
      runs.push(run)
      options.onRun?.(run, runs.length, total)
    })
  }
  const first = loaded.variants[0]!.scenario
  return {
    schema: 'layerbench/result@1',
    scenario: { name: loaded.name, file: loaded.file, hash: loaded.hash, description: loaded.description, tags: first.tags },
    environment: { ...machineFacts(), provider: 'simulator', engine: version, peers: {}, quick: loaded.quick, startedAt, finishedAt: new Date().toISOString() },
    runs,
  }
}

export { isSimulationOnly } from './simulation-only.js'
