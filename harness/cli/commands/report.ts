import { statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { compareResults, loadResults } from '../../../reports/compare/index.js'
import { liveAndSimulated } from '../../../reports/compare/simulated-against-live.js'
import { writeComparisonReport, writeSuiteReport } from '../../../reports/publish/write-reports.js'
import { exportFormats, isExportFormat } from '../../../reports/export/index.js'
import { CliError, ExitCode } from '../exit-codes.js'
import { pricePerCoreHour } from '../price-option.js'

/** Options of `layerbench report`. */
export interface ReportOptions {
  out?: string
  baseline?: string
  format?: string
  per?: string
  pricePerCoreHour?: string
}

/** Where a report of these inputs goes by default: a lone directory is re-rendered in place. */
export function defaultReportDir(paths: readonly string[]): string {
  if (paths.length === 1) {
    try {
      if (statSync(paths[0]!).isDirectory()) return paths[0]!
    } catch {
      // loadResults reports the missing path with its code.
    }
  }
  return 'report'
}

/**
 * `layerbench report <result.json|dir>...`: renders reports from saved results only, running
 * nothing. One input: the suite's pages (index.html, per-scenario report.html, summary.md,
 * results.json), against `--baseline` when given. Several: one comparison page of them all,
 * with the regression gate's verdicts of the second against the first when there are two.
 */
export function reportCommand(paths: string[], opts: ReportOptions): ExitCode {
  if (opts.format !== undefined) return exportCommand(paths, opts.format, opts.per ?? 'run')
  const price = pricePerCoreHour(opts.pricePerCoreHour)
  if (opts.baseline !== undefined && paths.length > 1) throw new CliError('--baseline applies to a single result set; with several, the first is the baseline', ExitCode.BadInput)
  const sides = paths.map((p) => {
    const results = loadResults(p)
    // The provider tells a simulation from a live run when they are shown side by side.
    const providers = [...new Set(results.map((r) => r.environment.provider))]
    return { label: paths.length > 1 && providers.length === 1 ? `${p} (${providers[0]})` : p, results }
  })
  const baseline = opts.baseline === undefined ? undefined : loadResults(opts.baseline)
  const out = resolve(opts.out ?? defaultReportDir(paths))
  if (sides.length === 1) {
    const results = sides[0]!.results
    const comparison = baseline === undefined ? undefined : compareResults(baseline, results)
    const written = writeSuiteReport(out, results, { ...(comparison === undefined ? {} : { comparison }), ...(price === undefined ? {} : { claimContext: { pricePerCoreHour: price } }) })
    process.stdout.write(`wrote ${written.index}, ${written.scenarios.length} scenario report(s), ${written.summary}\n`)
    return ExitCode.Ok
  }
  // A live run and its simulation are paired on the page, not judged against each other.
  const comparison = sides.length === 2 && liveAndSimulated(sides) === undefined ? compareResults(sides[0]!.results, sides[1]!.results) : undefined
  const file = writeComparisonReport(join(out, 'comparison.html'), sides, comparison)
  process.stdout.write(`wrote ${file} comparing ${sides.length} results\n`)
  return ExitCode.Ok
}

/** `report --format F [--per run|interval]`: every result given, in one export, on standard output. */
function exportCommand(paths: readonly string[], format: string, per: string): ExitCode {
  if (!isExportFormat(format)) throw new CliError(`--format: expected ${Object.keys(exportFormats).join(', ')}, got "${format}"`, ExitCode.BadInput)
  if (per !== 'run' && per !== 'interval') throw new CliError(`--per: expected run or interval, got "${per}"`, ExitCode.BadInput)
  const results = paths.flatMap((p) => loadResults(p))
  process.stdout.write(exportFormats[format](results, per))
  return ExitCode.Ok
}
