import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { EngineError } from '../../../engine/errors.js'
import { compareResults, gateFails, hasMissing, hasRegression, loadResults, renderComparisonTable, ResultsError } from '../../../reports/compare/index.js'
import { writeScenarioResult, writeSuiteReport } from '../../../reports/publish/write-reports.js'
import { renderConsoleSummary } from '../../../reports/render/console-summary.js'
import type { ClaimContext, ClaimOutcome } from '../../../reports/claims/claims.js'
import { compareVerdicts, stabilityMarkdown } from '../../../reports/claims/verdict-stability.js'
import type { ResultFile, RunResult } from '../../../reports/result/result-model.js'
import { installCleanupHandlers, reapStale, type ProviderKind, type SwarmProvider } from '../../providers/index.js'
import { startEngineOnNode, type BalancerNode } from '../../runner/balancer-node.js'
import { checkProviderKind, openProvider } from '../open-provider.js'
import { startEngineProcess, type RunningBalancer } from '../../runner/balancer-process.js'
import { directBalancer } from '../../runner/direct-balancer.js'
import type { BalancerStarter } from '../../runner/run-once.js'
import { runScenario } from '../../runner/run-scenario.js'
import { isSimulationOnly } from '../../simulator/simulation-only.js'
import { layerbenchVersion } from '../../system/environment.js'
import { CliError, ExitCode } from '../exit-codes.js'
import { loadSuite } from '../../scenario/load-suite.js'
import { labelMatches, parseVariantFilters } from '../../scenario/variant-filter.js'
import { missingNotice } from './compare.js'
import { pricePerCoreHour } from '../price-option.js'
import type { LoadedScenario } from '../../scenario/load-scenario.js'
import type { FinishedRun } from '../../runner/run-progress.js'
import { createProgressDisplay, type ProgressDisplay } from '../progress/terminal-progress.js'

/** Options of `layerbench run`. */
export interface RunOptions {
  out: string
  provider: string
  quick?: boolean
  variant?: string[]
  baseline?: string
  allowMissing?: boolean
  verbose?: boolean
  /** Run the whole suite twice and compare the claims' verdicts (exit 1 when one contradicts the other). */
  checkStability?: boolean
  /** Price of a core-hour for the cost claim, USD. */
  pricePerCoreHour?: string
  /** `--balancer-node`: the lab node the engine runs on (swarm provider). */
  balancerNode?: string
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
function balancerStarter(version: string, node?: BalancerNode): BalancerStarter {
  return async (implementation, config, dir, external) => {
    if (implementation === 'engine') return node === undefined ? startEngineProcess(config, dir, version) : startEngineOnNode(node, config, dir, version)
    if (node !== undefined) return { skipped: `the balancer runs on node ${node.name} (--balancer-node): ${implementation} runs on this machine only` }
    if (implementation === 'direct') return directBalancer(config)
    if (implementation === 'external') {
      if (external === undefined) throw new Error('implementation external needs balancer.external')
      const { startExternal } = await import('../../peers/external/start-external.js')
      try {
        return await startExternal(external, config, dir, external.config?.template)
      } catch (e) {
        return { skipped: `${external.name} did not start: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}` }
      }
    }
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
  const providerKind = checkProviderKind(opts.provider)
  if (opts.balancerNode !== undefined && providerKind !== 'swarm') throw new CliError('--balancer-node: needs --provider swarm', ExitCode.BadInput)
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

  const out = resolve(opts.out)
  const pass: SuitePass = { runnable, simulationOnly, opts, providerKind, ...(baseline === undefined ? {} : { baseline }), claimContext: price === undefined ? {} : { pricePerCoreHour: price } }
  if (opts.checkStability !== true) return (await runPass(out, pass)).exit
  // Twice, one after the other on the same machine: the second run's verdicts must not contradict the first's.
  const first = await runPass(join(out, 'first'), pass)
  process.stderr.write('stability: first run done, running the suite again\n')
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
  readonly simulationOnly: readonly LoadedScenario[]
  readonly opts: RunOptions
  /** `--provider`, checked before anything runs. */
  readonly providerKind: ProviderKind
  readonly baseline?: ResultFile[]
  readonly claimContext: ClaimContext
}

/** Runs every scenario once into `out` and writes the suite's report; its exit code and claims. */
async function runPass(out: string, p: SuitePass): Promise<{ exit: ExitCode; claims: readonly ClaimOutcome[] }> {
  const { opts, baseline } = p
  mkdirSync(out, { recursive: true })
  const display = createProgressDisplay({ stderr: process.stderr, stdout: process.stdout, verbose: opts.verbose ?? false, logFile: join(out, 'run.log'), now: () => performance.now() })
  const results: ResultFile[] = []
  try {
    await runSuite(p, out, display, results)
  } finally {
    await display.close()
  }
  const comparison = baseline === undefined ? undefined : compareResults(baselineForWhatRan(baseline, results, opts.variant ?? []), results)
  const written = writeSuiteReport(out, results, { scenarioResultsWritten: true, claimContext: p.claimContext, ...(comparison === undefined ? {} : { comparison }) })
  if (comparison !== undefined) process.stdout.write(`against the baseline ${opts.baseline}:\n${renderComparisonTable(comparison)}\n`)
  const failed = results.flatMap((r) => r.runs.flatMap((run) => run.expectations.filter((e) => !e.pass).map((e) => `${r.scenario.name} ${run.id}: ${e.name}`)))
  if (comparison !== undefined && !hasRegression(comparison) && hasMissing(comparison)) process.stdout.write(missingNotice(opts.allowMissing ?? false) + '\n')
  const regressed = comparison !== undefined && gateFails(comparison, { allowMissing: opts.allowMissing ?? false })
  process.stdout.write(
    `wrote ${results.length} result(s) and the report to ${out} (open ${written.index}; backend and balancer messages in ${join(out, 'run.log')})` +
      `${failed.length > 0 ? `; ${failed.length} expectation(s) failed` : '; every expectation held'}${regressed ? '; the gate against the baseline failed' : ''}\n`,
  )
  return { exit: failed.length > 0 || regressed ? ExitCode.Failed : ExitCode.Ok, claims: written.claims }
}

/** Runs the scenarios one by one, showing progress on `display`, and collects their results. */
async function runSuite(p: SuitePass, out: string, display: ProgressDisplay, results: ResultFile[]): Promise<void> {
  const { runnable, simulationOnly, opts } = p
  const { notice, chatter } = display
  for (const l of simulationOnly) notice(`skipping ${l.name}: simulation only (layerbench simulate ${l.file})`)
  installCleanupHandlers(notice)
  const reaped = await reapStale(notice)
  if (reaped.containers + reaped.processes + reaped.services > 0) notice(`removed what an earlier run left: ${reaped.containers} container(s), ${reaped.processes} process(es), ${reaped.services} swarm service(s)`)
  const runId = `run-${process.pid}-${Date.now().toString(36)}`
  const provider = await openProvider(p.providerKind, { runId, log: chatter, ...(opts.balancerNode === undefined ? {} : { swarmExcludeNodes: [opts.balancerNode] }) })
  let balancerNode: BalancerNode | undefined
  if (opts.balancerNode !== undefined) {
    try {
      balancerNode = await (provider as SwarmProvider).processNode(opts.balancerNode)
    } catch (e) {
      await provider.stopAll()
      if (e instanceof EngineError) throw new CliError(e.message, ExitCode.Environment)
      throw e
    }
    notice(`balancer: the engine on node ${balancerNode.name} (${balancerNode.address})`)
  }
  const description = await provider.describe()
  notice(`provider: ${description.kind}${description.kind !== 'process' && description.version !== undefined ? ` (Docker Engine ${description.version})` : ''}`)
  const scratch = mkdtempSync(join(tmpdir(), 'layerbench-run-'))
  const version = layerbenchVersion()
  const abort = new AbortController()
  const planned = (l: LoadedScenario) => l.repeats * l.variants.reduce((sum, v) => sum + v.scenario.load.warmup + v.scenario.load.duration, 0)
  display.sink({ type: 'suite', runs: runnable.reduce((n, l) => n + l.repeats * l.variants.length, 0), plannedMs: runnable.reduce((ms, l) => ms + planned(l), 0) })
  try {
    for (const scenario of runnable) {
      notice(`scenario ${scenario.name}: ${scenario.variants.length} variant(s) × ${scenario.repeats} repeat(s)`)
      const result = await runScenario(
        scenario,
        {
          provider,
          startBalancer: balancerStarter(version, balancerNode),
          dir: scratch,
          log: chatter,
          signal: abort.signal,
          onProgress: display.sink,
          engineVersion: version,
          ...(description.kind === 'process' || description.version === undefined ? {} : { dockerVersion: description.version }),
        },
        (run) => display.sink({ type: 'run-end', run: finishedRun(scenario.name, run), atMs: performance.now() }),
      )
      results.push(result)
      writeScenarioResult(out, result)
      display.print(renderConsoleSummary(result) + '\n\n')
    }
  } finally {
    await provider.stopAll()
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** The figures of a run that its progress line shows. */
function finishedRun(scenario: string, run: RunResult): FinishedRun {
  return {
    scenario,
    run: run.id,
    ...(run.skipped === undefined ? {} : { skipped: run.skipped }),
    rps: run.summary.rps,
    p99Us: run.summary.latencyUs.p99,
    failed: run.summary.requests.failed,
    expectationsFailed: run.expectations.filter((e) => !e.pass).length,
  }
}

/**
 * The part of the baseline this run was asked to measure: the scenarios given and the variants
 * `--variant` selected. What was left out on purpose is not missing; what was asked for and not
 * measured is.
 */
export function baselineForWhatRan(baseline: readonly ResultFile[], results: readonly ResultFile[], variantArgs: readonly string[]): ResultFile[] {
  const ran = new Set(results.map((r) => r.scenario.name))
  const { filters } = parseVariantFilters(variantArgs)
  return baseline.filter((b) => ran.has(b.scenario.name)).map((b) => ({ ...b, runs: b.runs.filter((run) => labelMatches(run.variant, filters)) }))
}
