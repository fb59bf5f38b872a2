#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { EngineError } from '../../engine/errors.js'
import { PROVIDER_CHOICES } from '../providers/provider-registry.js'
import { layerbenchVersion } from '../system/environment.js'
import { ResultsError } from '../../reports/compare/results-error.js'
import { CliError, ExitCode } from './exit-codes.js'

/**
 * Builds the `layerbench` command line. Each verb's action resolves to its exit code. A verb's
 * module is loaded when the verb runs: `serve` (started for every run of a scenario) then starts
 * without loading the reports, the peers and the simulator.
 */
export function buildProgram(setExit: (code: ExitCode) => void): Command {
  const program = new Command('layerbench')
    .description('Benchmarking and simulation testbed for L4 and L7 load balancers')
    .version(layerbenchVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run layerbench --help for usage)')
    .exitOverride()

  program
    .command('bench')
    .description("microbenchmarks of the engine's hot paths: every algorithm's pick, table builds, key hashing")
    .option('--out <dir>', 'directory for bench.json', 'out')
    .option('--quick', 'shorter measurements (150 ms a case)')
    .option('--time <ms>', 'measuring time per case, ms (default 500)')
    .option('--sizes <list>', 'backend counts, comma-separated (default 10,100,1000)')
    .option('--only <list>', 'algorithms to measure, comma-separated (and "hash")')
    .option('--check', 'exit 1 when a performance target is missed')
    .option('--simulator', 'simulated requests per CPU second: P2C over 100 backends, and 10,000 backends × 10M requests (not with --quick)')
    .option('--dataplane', 'measure CPU per request of the engine at L4 and L7 against direct, naive Node proxies, HAProxy and nginx')
    .option('--requests <n>', 'requests per measured run: data plane (default 30000), simulator (default 2M; quick 1M)')
    .option('--new-connections', 'data plane: a new client connection per request instead of keep-alive')
    .option('--low-rate', 'data plane: an open loop at a low fixed rate on kept-alive connections (default 300 req/s over 64 connections, 5 s a run)')
    .option('--rate <n>', 'data plane, --low-rate: requests per second (default 300)')
    .option('--tls <kind>', 'data plane: the TLS-terminating rows (engine https, the Node floor, HAProxy and nginx ssl) with ecdsa-p256 or rsa-2048 certificates')
    .option('--connections <n>', 'data plane: concurrent clients, each with one keep-alive connection (default 16; low rate 64)')
    .option('--repeats <n>', 'interleaved repeats: data plane (default 3), simulator (default 5; quick 3)')
    .action(async (opts) => setExit(await (await import('./commands/bench.js')).benchCommand(opts)))

  program
    .command('run')
    .description('run scenarios: backends, balancer, load, fault timeline; writes result.json per scenario and results.json')
    .argument('<scenarios...>', 'scenario files or directories of them')
    .option('--out <dir>', 'output directory', 'out')
    .option('--provider <kind>', `backends as ${PROVIDER_CHOICES.join(' | ')}`, 'auto')
    .option('--quick', 'short durations for CI (each scenario says how short)')
    .option('--variant <dim=value...>', 'run only the variants matching (per dimension; dimensions a scenario lacks are ignored)')
    .option('--baseline <results>', 'compare with saved results (results.json, result.json or a directory); exit 1 on a regression')
    .option('--allow-missing', 'with --baseline: pass the gate even when variants of the baseline that were asked for were not measured')
    .option('--verbose', 'also print backend and balancer messages (always kept in <out>/run.log)')
    .option('--check-stability', 'run the suite twice (<out>/first, <out>/second) and compare the claims’ verdicts; exit 1 if one held where the other did not')
    .option('--price-per-core-hour <usd>', 'price of one core for an hour, for the cost-per-million-requests claim (default 0.04)')
    .option('--balancer-node <name>', 'with --provider swarm: the engine on this lab node (its namespace and address), no backend there; peers are skipped')
    .action(async (args: string[], opts) => setExit(await (await import('./commands/run.js')).runCommand(args, opts)))

  program
    .command('simulate')
    .description("discrete-event simulation of scenarios (virtual time, the engine's own pickers); writes result.json per scenario and results.json like run")
    .argument('<scenarios...>', 'scenario files or directories of them')
    .option('--out <dir>', 'output directory', 'out')
    .option('--seed <n>', "seed of the first repeat (default: the scenario's)")
    .option('--requests <n>', 'measured requests per run, instead of the load duration')
    .option('--variant <dim=value...>', 'simulate only the variants matching')
    .option('--quick', "the scenario's quick settings")
    .action(async (args: string[], opts) => setExit(await (await import('./commands/simulate.js')).simulateCommand(args, opts)))

  program
    .command('report')
    .description('render HTML and Markdown reports from saved results, running nothing; several results become one comparison page')
    .argument('<results...>', 'results.json, result.json files or directories of them')
    .option('--out <dir>', 'output directory (default: the one results directory given, else ./report)')
    .option('--baseline <results>', 'with one result set: add the regression gate against these saved results')
    .option('--format <format>', 'instead of the pages, export the results to standard output: csv | json-lines | openmetrics')
    .option('--per <grain>', 'with --format: one row (sample) per run or per interval of the time series', 'run')
    .option('--price-per-core-hour <usd>', 'price of one core for an hour, for the cost-per-million-requests claim (default 0.04)')
    .action(async (paths: string[], opts) => setExit((await import('./commands/report.js')).reportCommand(paths, opts)))

  program
    .command('compare')
    .description('regression gate: compare current results with a baseline, per variant and metric, beyond the run-to-run noise')
    .argument('<baseline>', 'baseline results (results.json, result.json or a directory)')
    .argument('<current>', 'current results')
    .option('--all', 'list unchanged metrics too')
    .option('--markdown <file>', 'also write the comparison as Markdown (for a CI job summary)')
    .option('--alpha <p>', 'significance level of the Mann-Whitney test (default 0.05)')
    .option('--min-repeats <n>', 'repeats a side needed for the test (default 3)')
    .option('--allow-missing', 'pass the gate even when variants of the baseline were not measured now')
    .action(async (baseline: string, current: string, opts) => setExit((await import('./commands/compare.js')).compareCommand(baseline, current, opts)))

  program
    .command('profile')
    .description('one run of a scenario with the engine under a profiler (node --cpu-prof, clinic doctor or flame); keeps the profile beside the result')
    .argument('<scenario>', 'scenario file')
    .option('--tool <tool>', 'cpu-prof | clinic-doctor | clinic-flame', 'cpu-prof')
    .option('--variant <dim=value...>', 'which variant of the matrix (default: the first)')
    .option('--out <dir>', 'output directory', 'out')
    .option('--provider <kind>', `backends as ${PROVIDER_CHOICES.join(' | ')} (process by default: the profile is of the engine, and container backends would only add the Docker daemon to the machine profiled)`, 'process')
    .option('--quick', "the scenario's quick settings")
    .action(async (file: string, opts) => setExit(await (await import('./commands/profile.js')).profileCommand(file, opts)))

  program
    .command('soak')
    .description('run a scenario for a long time with faults on a schedule; checks accounting, engine RSS and fds, leaked connections and processes (not a CI test)')
    .argument('<scenario>', 'scenario file (its first engine variant; a backend group of two or more)')
    .option('--duration <time>', 'how long (e.g. 10m, 300s)', '10m')
    .option('--out <dir>', 'output directory', 'out')
    .option('--provider <kind>', 'backends as auto | process | docker', 'process')
    .action(async (file: string, opts) => setExit(await (await import('./commands/soak.js')).soakCommand(file, opts)))

  program
    .command('serve')
    .description('run the reference balancer from a configuration until SIGINT/SIGTERM (graceful drain)')
    .argument('<config>', 'balancer configuration (YAML)')
    .option('--drain-ms <ms>', 'longest graceful drain on shutdown', '10000')
    .option('--quiet', 'do not log engine events')
    .action(async (file, opts) => setExit(await (await import('./commands/serve.js')).serveCommand(file, opts)))

  program
    .command('init')
    .description('write a commented scenario to start from (schema header included), ready to edit and validate')
    .argument('[name]', 'scenario name, also the file name (default my-scenario)')
    .option('--from <scenario>', 'start from a shipped scenario (a file name of scenarios/, e.g. canary-split)')
    .option('--out <file>', 'where to write it (default <name>.yaml)')
    .option('--force', 'replace the file if it exists')
    .action(async (name: string | undefined, opts) => setExit((await import('./commands/init.js')).initCommand(name, opts)))

  program
    .command('validate')
    .description('check balancer configurations: every problem at once, each with its path')
    .argument('<files...>', 'YAML files')
    .action(async (files: string[]) => setExit((await import('./commands/validate.js')).validateCommand(files)))

  return program
}

/** Runs the CLI on `argv` and returns the exit code; all errors become messages and codes. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok
  const program = buildProgram((c) => (code = c))
  if (argv.length <= 2) {
    process.stderr.write(program.helpInformation())
    return ExitCode.BadInput
  }
  try {
    await program.parseAsync(argv as string[])
    return code
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful outcomes; every other commander error is a usage error.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? ExitCode.Ok : ExitCode.BadInput
    }
    if (error instanceof CliError) {
      process.stderr.write(`layerbench: ${error.message}\n`)
      return error.exitCode
    }
    if (error instanceof EngineError || error instanceof ResultsError) {
      process.stderr.write(`layerbench: ${error.code}: ${error.message}\n`)
      return ExitCode.BadInput
    }
    process.stderr.write(`layerbench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return ExitCode.Failed
  }
}

// Output piped into a reader that stops early (`| head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e
  process.exit(process.exitCode ?? 0)
})
process.exitCode = await main(process.argv)
