import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { EngineError } from '../../../engine/errors.js'
import type { ResultFile } from '../../../reports/result/result-model.js'
import { installCleanupHandlers } from '../../providers/index.js'
import { checkProviderKind, openProvider } from '../open-provider.js'
import { startEngineProcess, type EngineProfiling } from '../../runner/balancer-process.js'
import { runOnce } from '../../runner/run-once.js'
import { loadScenario } from '../../scenario/load-scenario.js'
import { labelText } from '../../scenario/matrix.js'
import { parseVariantFilters, selectVariants } from '../../scenario/variant-filter.js'
import { layerbenchVersion, machineFacts, projectRoot } from '../../system/environment.js'
import { CliError, ExitCode } from '../exit-codes.js'

/** Options of `layerbench profile`. */
export interface ProfileOptions {
  out: string
  tool: string
  provider: string
  variant?: string[]
  quick?: boolean
}

const TOOLS = ['cpu-prof', 'clinic-doctor', 'clinic-flame'] as const

/** The profiler settings for a tool, writing into `dir`. */
function profilingFor(tool: (typeof TOOLS)[number], dir: string): EngineProfiling {
  if (tool === 'cpu-prof') return { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] }
  const clinic = join(projectRoot(), 'node_modules', '.bin', 'clinic')
  if (!existsSync(clinic)) throw new CliError('clinic is not installed (npm ci installs it)', ExitCode.Environment)
  // clinic is unmaintained: doctor and flame work offline with NO_INSIGHT and no browser; bubbleprof hangs.
  return {
    wrap: { command: clinic, args: [tool === 'clinic-doctor' ? 'doctor' : 'flame', '--open=false', '--dest', dir, '--'], env: { NO_INSIGHT: '1' } },
    stopSignal: 'SIGINT',
    group: true,
    stopTimeoutMs: 120_000,
  }
}

/**
 * `layerbench profile <scenario>`: one run of a scenario with the reference engine under a
 * profiler (node --cpu-prof, or clinic doctor / flame offline). The profile is kept beside the
 * run's result, in `<out>/<scenario>/profile/`.
 */
export async function profileCommand(file: string, opts: ProfileOptions): Promise<ExitCode> {
  if (!(TOOLS as readonly string[]).includes(opts.tool)) throw new CliError(`--tool: expected one of ${TOOLS.join(', ')}, got "${opts.tool}"`, ExitCode.BadInput)
  checkProviderKind(opts.provider)
  let loaded
  try {
    loaded = loadScenario(file, { quick: opts.quick ?? false })
  } catch (e) {
    if (e instanceof EngineError) throw new CliError(`${e.code}: ${e.message}`, ExitCode.BadInput)
    throw e
  }
  const { filters, bad } = parseVariantFilters(opts.variant ?? [])
  if (bad.length > 0) throw new CliError(`--variant: expected dimension=value, got ${bad.map((b) => `"${b}"`).join(', ')}`, ExitCode.BadInput)
  const variant = selectVariants(loaded.variants, filters)[0]
  if (variant === undefined) throw new CliError(`no variant matches ${filters.map((f) => f.join('=')).join(' ')}; variants: ${loaded.variants.map((v) => labelText(v.label)).join(' | ')}`, ExitCode.BadInput)
  if (variant.scenario.balancer.implementation !== 'engine') throw new CliError(`profile runs the reference engine; this variant uses ${variant.scenario.balancer.implementation}`, ExitCode.BadInput)

  const out = join(resolve(opts.out), loaded.name)
  const profileDir = join(out, 'profile')
  mkdirSync(profileDir, { recursive: true })
  const log = (line: string) => process.stderr.write(`${line}\n`)
  installCleanupHandlers()
  const provider = await openProvider(checkProviderKind(opts.provider), { runId: `profile-${process.pid}`, log })
  const scratch = mkdtempSync(join(tmpdir(), 'layerbench-profile-'))
  const version = layerbenchVersion()
  const before = new Set(readdirSync(profileDir))
  const startedAt = new Date().toISOString()
  try {
    log(`profiling ${loaded.name} ${labelText(variant.label)} with ${opts.tool}`)
    const run = await runOnce(variant, 1, {
      provider,
      dir: scratch,
      log,
      startBalancer: (_implementation, config, dir) => startEngineProcess(config, dir, version, profilingFor(opts.tool as (typeof TOOLS)[number], profileDir)),
    })
    run.warnings.push(`profiled with ${opts.tool}: CPU and latency figures include the profiler's overhead`)
    const result: ResultFile = {
      schema: 'layerbench/result@1',
      scenario: { name: loaded.name, file: loaded.file, hash: loaded.hash, description: loaded.description, tags: variant.scenario.tags },
      environment: { ...machineFacts(), provider: provider.kind, engine: version, peers: {}, quick: loaded.quick, startedAt, finishedAt: new Date().toISOString() },
      runs: [run],
    }
    writeFileSync(join(out, 'profile-result.json'), JSON.stringify(result, null, 2) + '\n')
  } finally {
    await provider.stopAll()
    rmSync(scratch, { recursive: true, force: true })
  }
  const produced = readdirSync(profileDir).filter((f) => !before.has(f))
  if (produced.length === 0) throw new CliError(`${opts.tool} wrote no profile into ${profileDir}`, ExitCode.Failed)
  for (const f of produced) process.stdout.write(`profile: ${join(profileDir, f)}\n`)
  process.stdout.write(`result: ${join(out, 'profile-result.json')}\n`)
  return ExitCode.Ok
}
