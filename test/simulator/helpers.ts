import { parseScenario, type LoadedScenario } from '../../harness/scenario/load-scenario.js'
import type { ScenarioInput } from '../../harness/scenario/scenario-schema.js'
import { simulateScenario, type SimulateOptions } from '../../harness/simulator/simulate-scenario.js'
import type { ResultFile, RunResult } from '../../reports/result/result-model.js'

/** A scenario object validated and expanded as a file would be. */
export function scenario(input: ScenarioInput & { matrix?: unknown }, quick = false): LoadedScenario {
  return parseScenario(input, `${input.name}.yaml`, JSON.stringify(input), { quick })
}

/** Simulates a scenario object; returns the result file. */
export function simulate(input: ScenarioInput & { matrix?: unknown }, options: SimulateOptions = {}): ResultFile {
  return simulateScenario(scenario(input), options)
}

/** The only run of a scenario without matrix or repeats. */
export function simulateOne(input: ScenarioInput, options: SimulateOptions = {}): RunResult {
  const r = simulate(input, options)
  if (r.runs.length !== 1) throw new Error(`expected one run, got ${r.runs.length}`)
  return r.runs[0]!
}

/** An HTTP scenario over one group of backends, open loop, with whatever the test overrides. */
export function httpScenario(parts: { name?: string; count?: number; pool?: Record<string, unknown>; load?: Record<string, unknown>; timeline?: unknown[]; behaviour?: Record<string, unknown>; simulation?: Record<string, unknown>; expect?: unknown[] }): ScenarioInput {
  return {
    name: parts.name ?? 'sim-test',
    backends: { web: { count: parts.count ?? 3, ...(parts.behaviour === undefined ? {} : { behaviour: parts.behaviour }) } },
    balancer: { listeners: [{ name: 'web', protocol: 'http', routes: [{ pool: 'web' }] }], pools: { web: { backends: 'web', algorithm: 'round-robin', ...parts.pool } } },
    load: { mode: 'open', rate: 1000, duration: '6s', warmup: '500ms', intervalMs: 100, timeout: '3s', ...parts.load },
    ...(parts.timeline === undefined ? {} : { timeline: parts.timeline }),
    ...(parts.simulation === undefined ? {} : { simulation: parts.simulation }),
    ...(parts.expect === undefined ? {} : { expect: parts.expect }),
  } as ScenarioInput
}

/** Drops what legitimately differs between two simulations of the same model and seed. */
export function withoutWallClock(r: ResultFile): unknown {
  return {
    ...r,
    environment: { ...r.environment, startedAt: '', finishedAt: '' },
    runs: r.runs.map((run) => ({ ...run, startedAt: '', durationMs: 0, simulation: run.simulation === undefined ? undefined : { ...run.simulation, wallMs: 0 } })),
  }
}
