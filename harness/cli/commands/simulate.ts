import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { EngineError } from '../../../engine/errors.js'
import { renderConsoleSummary } from '../../../reports/render/console-summary.js'
import type { ResultFile } from '../../../reports/result/result-model.js'
import { simulateScenario } from '../../simulator/simulate-scenario.js'
import { CliError, ExitCode } from '../exit-codes.js'
import { scenarioFiles } from './run.js'
import { loadSuite } from '../../scenario/load-suite.js'
import { writeScenarioResult, writeSuiteReport } from '../../../reports/publish/write-reports.js'

/** Options of `layerbench simulate`, as commander parses them. */
export interface SimulateOptions {
  out: string
  seed?: string
  requests?: string
  variant?: string[]
  quick?: boolean
}

function integer(value: string | undefined, what: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${what}: expected a whole number from ${min} to ${max}, got "${value}"`, ExitCode.BadInput)
  return n
}

/**
 * `layerbench simulate <scenario|dir>...`: validates every scenario and resolves every variant's
 * simulation model first (nothing runs if any is invalid: exit 2), then simulates them one by one,
 * writing `<out>/<scenario>/result.json` and the suite's `results.json` in the layout of `run`, so
 * reports and comparisons read them unchanged. Exit 0 when every expectation held, 1 otherwise.
 */
export async function simulateCommand(args: string[], opts: SimulateOptions): Promise<ExitCode> {
  const seed = integer(opts.seed, '--seed', -(2 ** 31), 2 ** 31 - 1)
  const requests = integer(opts.requests, '--requests', 1, 10_000_000_000)
  const files = scenarioFiles(args)
  const { loaded, problems } = loadSuite(files, { quick: opts.quick ?? false, ...(opts.variant === undefined ? {} : { variant: opts.variant }) })
  if (problems.length > 0) throw new CliError(problems.join('\n'), ExitCode.BadInput)

  const out = resolve(opts.out)
  mkdirSync(out, { recursive: true })
  const tty = process.stderr.isTTY === true
  const results: ResultFile[] = []
  for (const scenario of loaded) {
    const runs = scenario.repeats * scenario.variants.length
    process.stderr.write(`simulating ${scenario.name}: ${scenario.variants.length} variant(s) × ${scenario.repeats} repeat(s)\n`)
    let result: ResultFile
    try {
      result = simulateScenario(scenario, {
        ...(seed === undefined ? {} : { seed }),
        ...(requests === undefined ? {} : { requests }),
        onRun: (run, done) => {
          const failed = run.expectations.filter((e) => !e.pass).length
          const sim = run.simulation
          const pace = sim === undefined || sim.wallMs === 0 ? '' : `, ${((sim.requests / sim.wallMs) * 1000 / 1e6).toFixed(2)} M simulated req/s`
          const line = `  [${done}/${runs}] ${run.id}: ${run.summary.rps.toFixed(0)} req/s, p99 ${run.summary.latencyUs.p99} µs, ${run.summary.requests.failed} failed${failed > 0 ? `, ${failed} expectation(s) failed` : ''}${pace}`
          process.stderr.write(tty ? `\r\x1b[2K${line}${done === runs ? '\n' : ''}` : `${line}\n`)
        },
      })
    } catch (e) {
      if (e instanceof EngineError) throw new CliError(`${e.code}: ${e.message}`, ExitCode.BadInput)
      throw e
    }
    results.push(result)
    writeScenarioResult(out, result)
    process.stdout.write(renderConsoleSummary(result) + '\n\n')
  }
  const written = writeSuiteReport(out, results, { scenarioResultsWritten: true })
  const failed = results.flatMap((r) => r.runs.flatMap((run) => run.expectations.filter((e) => !e.pass).map((e) => `${r.scenario.name} ${run.id}: ${e.name}`)))
  process.stdout.write(`wrote ${results.length} simulated result(s) and the report to ${out} (open ${written.index})${failed.length > 0 ? `; ${failed.length} expectation(s) failed` : '; every expectation held'}\n`)
  return failed.length > 0 ? ExitCode.Failed : ExitCode.Ok
}
