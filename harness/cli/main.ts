#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { EngineError } from '../../engine/errors.js'
import { layerbenchVersion } from '../system/environment.js'
import { benchCommand } from './commands/bench.js'
import { CliError, ExitCode } from './exit-codes.js'

/** Builds the `layerbench` command line. Each verb's action resolves to its exit code. */
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
    .action(async (opts) => setExit(await benchCommand(opts)))

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
    if (error instanceof EngineError) {
      process.stderr.write(`layerbench: ${error.code}: ${error.message}\n`)
      return ExitCode.BadInput
    }
    process.stderr.write(`layerbench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return ExitCode.Failed
  }
}

process.exitCode = await main(process.argv)
