import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { EngineError } from '../../../engine/errors.js'
import { compareResults, hasRegression, loadResults, renderComparisonTable, ResultsError } from '../../../reports/compare/index.js'
import { writeScenarioResult, writeSuiteReport } from '../../../reports/publish/write-reports.js'
import { renderConsoleSummary } from '../../../reports/render/console-summary.js'
import type { ResultFile } from '../../../reports/result/result-model.js'
import { installCleanupHandlers, reapStale, type SwarmProvider } from '../../providers/index.js'
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

/** Options of `layerbench run`. */
export interface RunOptions {
  out: string
  provider: string
  quick?: boolean
  variant?: string[]
  baseline?: string
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
  return async (implementation, config, dir) => {
    if (implementation === 'engine') return node === undefined ? startEngineProcess(config, dir, version) : startEngineOnNode(node, config, dir, version)
    if (node !== undefined) return { skipped: `the balancer runs on node ${node.name} (--balancer-node): ${implementation} runs on this machine only` }
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
 * asked (docker unreachable).
 */
export async function runCommand(args: string[], opts: RunOptions): Promise<ExitCode> {
  const providerKind = checkProviderKind(opts.provider)
  if (opts.balancerNode !== undefined && providerKind !== 'swarm') throw new CliError('--balancer-node: needs --provider swarm', ExitCode.BadInput)
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
  if (reaped.containers + reaped.processes + reaped.services > 0) log(`removed what an earlier run left: ${reaped.containers} container(s), ${reaped.processes} process(es), ${reaped.services} swarm service(s)`)
  const runId = `run-${process.pid}-${Date.now().toString(36)}`
  const provider = await openProvider(providerKind, { runId, log, ...(opts.balancerNode === undefined ? {} : { swarmExcludeNodes: [opts.balancerNode] }) })
  let balancerNode: BalancerNode | undefined
  if (opts.balancerNode !== undefined) {
    try {
      balancerNode = await (provider as SwarmProvider).processNode(opts.balancerNode)
    } catch (e) {
      await provider.stopAll()
      if (e instanceof EngineError) throw new CliError(e.message, ExitCode.Environment)
      throw e
    }
    log(`balancer: the engine on node ${balancerNode.name} (${balancerNode.address})`)
  }
  const description = await provider.describe()
  log(`provider: ${description.kind}${description.kind !== 'process' && description.version !== undefined ? ` (Docker Engine ${description.version})` : ''}`)
  const out = resolve(opts.out)
  mkdirSync(out, { recursive: true })
  const scratch = mkdtempSync(join(tmpdir(), 'layerbench-run-'))
  const version = layerbenchVersion()
  const abort = new AbortController()
  const results: ResultFile[] = []
  const tty = process.stderr.isTTY === true
  try {
    for (const scenario of runnable) {
      const runs = scenario.repeats * scenario.variants.length
      log(`scenario ${scenario.name}: ${scenario.variants.length} variant(s) × ${scenario.repeats} repeat(s)`)
      const result = await runScenario(
        scenario,
        { provider, startBalancer: balancerStarter(version, balancerNode), dir: scratch, log, signal: abort.signal, engineVersion: version, ...(description.kind === 'process' || description.version === undefined ? {} : { dockerVersion: description.version }) },
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
    await provider.stopAll()
    rmSync(scratch, { recursive: true, force: true })
  }
  const comparison = baseline === undefined ? undefined : compareResults(baseline, results)
  const written = writeSuiteReport(out, results, { scenarioResultsWritten: true, ...(comparison === undefined ? {} : { comparison }) })
  if (comparison !== undefined) process.stdout.write(`against the baseline ${opts.baseline}:\n${renderComparisonTable(comparison)}\n`)
  const failed = results.flatMap((r) => r.runs.flatMap((run) => run.expectations.filter((e) => !e.pass).map((e) => `${r.scenario.name} ${run.id}: ${e.name}`)))
  const regressed = comparison !== undefined && hasRegression(comparison)
  process.stdout.write(
    `wrote ${results.length} result(s) and the report to ${out} (open ${written.index})` +
      `${failed.length > 0 ? `; ${failed.length} expectation(s) failed` : '; every expectation held'}${regressed ? '; regressions against the baseline' : ''}\n`,
  )
  return failed.length > 0 || regressed ? ExitCode.Failed : ExitCode.Ok
}

