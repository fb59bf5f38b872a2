import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ResultFile, RunResult } from '../../reports/result/result-model.js'
import type { LoadedScenario } from '../scenario/load-scenario.js'
import { machineFacts } from '../system/environment.js'
import { runOnce, type RunContext } from './run-once.js'

/** Versions of the balancers a scenario ran, for the environment record. */
function peerVersions(runs: readonly RunResult[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of runs) if (r.balancer.implementation !== 'engine' && r.balancer.version !== '') out[r.balancer.name ?? r.balancer.implementation] = r.balancer.version
  return out
}

/**
 * Runs every variant of a scenario `repeats` times, interleaved (v1 v2 v3, v1 v2 v3, …) so that a
 * drift in the machine's speed spreads over every variant instead of biasing one, and returns the
 * scenario's result file.
 */
export async function runScenario(
  loaded: LoadedScenario,
  ctx: RunContext & { readonly engineVersion: string; readonly dockerVersion?: string },
  onRun?: (run: RunResult, done: number, total: number) => void,
): Promise<ResultFile> {
  const startedAt = new Date().toISOString()
  const runs: RunResult[] = []
  const total = loaded.repeats * loaded.variants.length
  const dir = join(ctx.dir, loaded.name)
  mkdirSync(dir, { recursive: true })
  for (let repeat = 1; repeat <= loaded.repeats; repeat++) {
    for (const variant of loaded.variants) {
      if (ctx.signal?.aborted) break
      const run = await runOnce(variant, repeat, { ...ctx, dir })
      runs.push(run)
      onRun?.(run, runs.length, total)
    }
  }
  const m = machineFacts()
  return {
    schema: 'layerbench/result@1',
    scenario: { name: loaded.name, file: loaded.file, hash: loaded.hash, description: loaded.description, tags: loaded.variants[0]!.scenario.tags },
    environment: {
      ...m,
      provider: ctx.provider.kind,
      ...(ctx.dockerVersion === undefined ? {} : { docker: ctx.dockerVersion }),
      engine: ctx.engineVersion,
      peers: peerVersions(runs),
      quick: loaded.quick,
      startedAt,
      finishedAt: new Date().toISOString(),
    },
    runs,
  }
}
