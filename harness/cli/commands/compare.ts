import { writeFileSync } from 'node:fs'
import { compareResults, gateFails, hasMissing, hasRegression, loadResults, renderComparisonTable } from '../../../reports/compare/index.js'
import type { GateOptions } from '../../../reports/compare/comparison.js'
import { renderComparisonMarkdown } from '../../../reports/render/markdown-comparison.js'
import { CliError, ExitCode } from '../exit-codes.js'

/** Options of `layerbench compare`. */
export interface CompareOptions {
  all?: boolean
  markdown?: string
  alpha?: string
  minRepeats?: string
  allowMissing?: boolean
}

/** Gate options from the command line; bad values are usage errors. */
export function gateOptions(opts: Pick<CompareOptions, 'alpha' | 'minRepeats'>): GateOptions {
  const problems: string[] = []
  const out: { alpha?: number; minRepeats?: number } = {}
  if (opts.alpha !== undefined) {
    const alpha = Number(opts.alpha)
    if (!(alpha > 0 && alpha < 1)) problems.push(`--alpha: expected a level between 0 and 1, got "${opts.alpha}"`)
    else out.alpha = alpha
  }
  if (opts.minRepeats !== undefined) {
    const n = Number(opts.minRepeats)
    if (!Number.isInteger(n) || n < 2) problems.push(`--min-repeats: expected an integer ≥ 2, got "${opts.minRepeats}"`)
    else out.minRepeats = n
  }
  if (problems.length > 0) throw new CliError(problems.join('\n'), ExitCode.BadInput)
  return out
}

/**
 * `layerbench compare <baseline> <current>`: the regression gate on saved results. Prints every
 * change beyond the run-to-run noise with the reason; exit 1 on a regression or on a baseline
 * variant not measured now (unless --allow-missing), 2 on bad input.
 */
export function compareCommand(baselinePath: string, currentPath: string, opts: CompareOptions): ExitCode {
  const options = gateOptions(opts)
  const baseline = loadResults(baselinePath)
  const current = loadResults(currentPath)
  const comparison = compareResults(baseline, current, options)
  process.stdout.write(renderComparisonTable(comparison, { all: opts.all ?? false }) + '\n')
  if (opts.markdown !== undefined) writeFileSync(opts.markdown, renderComparisonMarkdown(comparison))
  if (!hasRegression(comparison) && hasMissing(comparison)) process.stdout.write(missingNotice(opts.allowMissing ?? false) + '\n')
  return gateFails(comparison, { allowMissing: opts.allowMissing ?? false }) ? ExitCode.Failed : ExitCode.Ok
}

/** What the gate says about baseline variants not measured now. */
export function missingNotice(allowed: boolean): string {
  return allowed ? 'variants of the baseline were not measured now: accepted (--allow-missing)' : 'variants of the baseline were not measured now: the gate fails (--allow-missing to accept)'
}
