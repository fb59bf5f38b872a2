import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { EngineError } from '../../../engine/errors.js'
import { compareResults, hasRegression, loadResults, renderComparisonTable, ResultsError } from '../../../reports/compare/index.js'
import { writeScenarioResult, writeSuiteReport } from '../../../reports/publish/write-reports.js'
import { renderConsoleSummary } from '../../../reports/render/console-summary.js'
import type { ClaimContext, ClaimOutcome } from '../../../reports/claims/claims.js'
import { compareVerdicts, stabilityMarkdown } from '../../../reports/claims/verdict-stability.js'
import type { ResultFile } from '../../../reports/result/result-model.js'
import { createProvider, installCleanupHandlers, reapStale, type BackendProvider } from '../../providers/index.js'
import { startEngineProcess, type RunningBalancer } from '../../runner/balancer-process.js'
import { directBalancer } from '../../runner/direct-balancer.js'
import type { BalancerStarter } from '../../runner/run-once.js'
import { runScenario } from '../../runner/run-scenario.js'
import { isSimulationOnly } from '../../simulator/simulation-only.js'
import { layerbenchVersion } from '../../system/environment.js'
import { CliError, ExitCode } from '../exit-codes.js'
import type { LoadedScenario } from '../../scenario/load-scenario.js'
import { loadSuite } from '../../scenario/load-suite.js'
import { pricePerCoreHour } from '../price-option.js'

/** Options of `layerbench run`. */
export interface RunOptions {
  out: string
  provider: string
  quick?: boolean
  variant?: string[]
  baseline?: string
  /** Run the whole suite twice and compare the claims' verdicts (exit 1 when one contradicts the other). */
  checkStability?: boolean
  /** Price of a core-hour for the cost claim, USD. */
  pricePerCoreHour?: string
}


/** Scenario files named by the arguments: files as given, directories' `*.yaml` sorted by name. */
export function scenarioFiles(args: readonly string[]): string[] {
  const files: string[] = []
  for (const a of args) {
    let st
    try {
      st = statSync(a)
    } catch {
      throw new CliError(`no such file or directory: ${a}`, ExitCode.BadInput)
    }
    if (st.isDirectory()) {
      const found = readdirSync(a)
        .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
        .sort()
        .map((f) => join(a, f))
      if (found.length === 0) throw new CliError(`no scenario files (*.yaml) in ${a}`, ExitCode.BadInput)
      files.push(...found)
    } else files.push(a)
  }
  return files
}

/** Starts the balancer under test: the reference engine, or a peer when its module says it can. */
function balancerStarter(version: string): BalancerStarter {
  return async (implementation, config, dir) => {
    if (implementation === 'engine') return startEngineProcess(config, dir, version)
    if (implementation === 'direct') return directBalancer(config)
    const peers = await import('../../peers/index.js')
    const available = await peers.peerAvailable(implementation)
    if (!available.available) return { skipped: `${implementation} is not available: ${available.reason ?? 'not installed'} (harness/setup/install-system.sh installs it)` }
    const support = peers.peerSupport(implementation, config)
    if (!support.runnable) return { skipped: `${implementation} lacks: ${support.unsupported.join('; ')}` }
    try {
      return (await peers.startPeer(implementation, config, dir)) as RunningBalancer
    } catch (e) {
      // A peer that rejects the configuration it was given (nginx: a map too long for its
      // parameters) cannot run this variant; the rest of the suite still can. The reason is kept.
      return { skipped: `${implementation} did not start with this configuration: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}` }
    }
  }
}

/**
 * `layerbench run <scenario|dir>...`: validates every scenario first (nothing runs if any is
 * invalid, or the baseline is: exit 2), then runs them one by one, writing each
 * `<out>/<scenario>/result.json` as soon as it is measured, then the suite's report (index.html,
 * per-scenario report.html, summary.md, results.json). Exit 0 when every expectation held and
 * nothing regressed against `--baseline`, 1 otherwise, 3 when the environment cannot do what was
 * asked (docker unreachable). `--check-stability` runs the suite twice (`<out>/first`,
 * `<out>/second`) and writes `<out>/stability.md`; exit 1 also when a claim held in one run and
 * did not hold in the other.
 */
export async function runCommand(args: string[], opts: RunOptions): Promise<ExitCode> {
  if (!['auto', 'process', 'docker'].includes(opts.provider)) throw new CliError(`--provider: expected auto, process or docker, got "${opts.provider}"`, ExitCode.BadInput)
  const price = pricePerCoreHour(opts.pricePerCoreHour)
  const files = scenarioFiles(args)
  const { loaded, problems } = loadSuite(files, { quick: opts.quick ?? false, ...(opts.variant === undefined ? {} : { variant: opts.variant }) })
  let baseline: ResultFile[] | undefined
  if (opts.baseline !== undefined) {
    // Checked before anything runs: a bad baseline must not cost a whole suite.
    try {
      baseline = loadResults(opts.baseline)
    } catch (e) {
      if (!(e instanceof ResultsError)) throw e
      problems.push(`--baseline: ${e.code}: ${e.message}`)
    }
  }
  if (problems.length > 0) throw new CliError(problems.join('\n'), ExitCode.BadInput)
  // Simulation-only scenarios (ten thousand backends) are for `layerbench simulate`; no machine hosts them.
  const simulationOnly = loaded.filter(isSimulationOnly)
  const runnable = loaded.filter((l) => !isSimulationOnly(l))
  if (runnable.length === 0) throw new CliError(`only simulation scenarios given: run them with layerbench simulate ${simulationOnly.map((l) => l.file).join(' ')}`, ExitCode.BadInput)

  const log = (line: string) => process.stderr.write(`${line}\n`)
  for (const l of simulationOnly) log(`skipping ${l.name}: simulation only (layerbench simulate ${l.file})`)
  installCleanupHandlers()
  const reaped = await reapStale(log)
  if (reaped.containers + reaped.processes > 0) log(`removed what an earlier run left: ${reaped.containers} container(s), ${reaped.processes} process(es)`)
  const runId = `run-${process.pid}-${Date.now().toString(36)}`
  let provider
  try {
    provider = await createProvider(opts.provider as 'auto' | 'process' | 'docker', { runId, log })
  } catch (e) {
    if (e instanceof EngineError && e.code === 'LB_ERR_DOCKER_UNAVAILABLE') throw new CliError(e.message, ExitCode.Environment)
    throw e
  }
  const description = await provider.describe()
  log(`provider: ${description.kind}${description.kind === "docker" && description.version !== undefined ? ` (Docker Engine ${description.version})` : ""}`)
  const out = resolve(opts.out)
  const pass: SuitePass = { runnable, provider, ...(description.kind !== 'docker' || description.version === undefined ? {} : { dockerVersion: description.version }), log, ...(baseline === undefined ? {} : { baseline, baselineName: opts.baseline! }), claimContext: price === undefined ? {} : { pricePerCoreHour: price } }
  if (opts.checkStability !== true) return (await runPass(out, pass)).exit
  // Twice, one after the other on the same machine: the second run's verdicts must not contradict the first's.
  const first = await runPass(join(out, 'first'), pass)
  log(`stability: first run done, running the suite again`)
  const second = await runPass(join(out, 'second'), pass)
  const stability = compareVerdicts(first.claims, second.claims)
  const markdown = stabilityMarkdown(stability)
  writeFileSync(join(out, 'stability.md'), markdown)
  process.stdout.write(`\n${markdown}\nwrote ${join(out, 'stability.md')}\n`)
  return !stability.stable || first.exit !== ExitCode.Ok || second.exit !== ExitCode.Ok ? ExitCode.Failed : ExitCode.Ok
}

/** What one pass over the suite needs. */
interface SuitePass {
  readonly runnable: readonly LoadedScenario[]
  readonly provider: BackendProvider
  readonly dockerVersion?: string
  readonly log: (line: string) => void
  readonly baseline?: ResultFile[]
  readonly baselineName?: string
  readonly claimContext: ClaimContext
}

/** Runs every scenario once into `out` and writes the suite's report; its exit code and claims. */
async function runPass(out: string, p: SuitePass): Promise<{ exit: ExitCode; claims: readonly ClaimOutcome[] }> {
  mkdirSync(out, { recursive: true })
  const scratch = mkdtempSync(join(tmpdir(), 'layerbench-run-'))
  const version = layerbenchVersion()
  const abort = new AbortController()
  const results: ResultFile[] = []
  const tty = process.stderr.isTTY === true
  try {
    for (const scenario of p.runnable) {
      const runs = scenario.repeats * scenario.variants.length
      p.log(`scenario ${scenario.name}: ${scenario.variants.length} variant(s) × ${scenario.repeats} repeat(s)`)
      const result = await runScenario(
        scenario,
        { provider: p.provider, startBalancer: balancerStarter(version), dir: scratch, log: p.log, signal: abort.signal, engineVersion: version, ...(p.dockerVersion === undefined ? {} : { dockerVersion: p.dockerVersion }) },
        (run, done) => {
          const failed = run.expectations.filter((e) => !e.pass).length
          const line = `  [${done}/${runs}] ${run.id}: ${run.skipped !== undefined ? `skipped (${run.skipped})` : `${run.summary.rps.toFixed(0)} req/s, p99 ${run.summary.latencyUs.p99} µs, ${run.summary.requests.failed} failed${failed > 0 ? `, ${failed} expectation(s) failed` : ''}`}`
          process.stderr.write(tty ? `\r\x1b[2K${line}${done === runs ? '\n' : ''}` : `${line}\n`)
        },
      )
      results.push(result)
      writeScenarioResult(out, result)
      process.stdout.write(renderConsoleSummary(result) + '\n\n')
    }
  } finally {
    await p.provider.stopAll()
    rmSync(scratch, { recursive: true, force: true })
  }
  const comparison = p.baseline === undefined ? undefined : compareResults(p.baseline, results)
  const written = writeSuiteReport(out, results, { scenarioResultsWritten: true, claimContext: p.claimContext, ...(comparison === undefined ? {} : { comparison }) })
  if (comparison !== undefined) process.stdout.write(`against the baseline ${p.baselineName}:\n${renderComparisonTable(comparison)}\n`)
  const failed = results.flatMap((r) => r.runs.flatMap((run) => run.expectations.filter((e) => !e.pass).map((e) => `${r.scenario.name} ${run.id}: ${e.name}`)))
  const regressed = comparison !== undefined && hasRegression(comparison)
  process.stdout.write(
    `wrote ${results.length} result(s) and the report to ${out} (open ${written.index})` +
      `${failed.length > 0 ? `; ${failed.length} expectation(s) failed` : '; every expectation held'}${regressed ? '; regressions against the baseline' : ''}\n`,
  )
  return { exit: failed.length > 0 || regressed ? ExitCode.Failed : ExitCode.Ok, claims: written.claims }
}

