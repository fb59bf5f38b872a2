import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { algorithms } from '../../../engine/balancing/registry.js'
import { DEFAULT_SIZES } from '../../bench/bench-cases.js'
import { renderBenchTable } from '../../bench/bench-table.js'
import { runBench } from '../../bench/run-bench.js'
import { CliError, ExitCode } from '../exit-codes.js'

/** Options of `layerbench bench`, as commander parses them. */
export interface BenchOptions {
  out: string
  quick?: boolean
  time?: string
  sizes?: string
  only?: string
  check?: boolean
}

function parseList(value: string | undefined, what: string, check: (item: string) => string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const problems = items.map(check).filter((p): p is string => p !== undefined)
  if (items.length === 0) problems.push(`${what}: expected a comma-separated list`)
  if (problems.length > 0) throw new CliError(problems.join('\n'), ExitCode.BadInput)
  return items
}

/** `layerbench bench`: microbenchmarks of the engine's hot paths. */
export async function benchCommand(opts: BenchOptions): Promise<ExitCode> {
  const known = [...Object.keys(algorithms), 'hash']
  const only = parseList(opts.only, '--only', (s) => (known.includes(s) ? undefined : `--only: unknown "${s}"; expected one of ${known.join(', ')}`))
  const sizes = parseList(opts.sizes, '--sizes', (s) => (/^\d+$/.test(s) && +s >= 1 && +s <= 100_000 ? undefined : `--sizes: "${s}" is not a backend count from 1 to 100000`))?.map(Number)
  const time = opts.time === undefined ? (opts.quick ? 150 : 500) : Number(opts.time)
  if (!Number.isFinite(time) || time < 10 || time > 60_000) throw new CliError(`--time: expected milliseconds from 10 to 60000, got "${opts.time}"`, ExitCode.BadInput)

  const report = await runBench({
    sizes: sizes ?? DEFAULT_SIZES,
    ...(only === undefined ? {} : { only }),
    timeMs: time,
    warmupMs: Math.max(50, Math.round(time / 3)),
    onGroup: (group, done, total) => process.stderr.write(`bench: ${group} done (${done}/${total})\n`),
  })
  const dir = resolve(opts.out)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'bench.json')
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  process.stdout.write(renderBenchTable(report) + `\nwrote ${file}\n`)
  return opts.check && report.targets.some((t) => !t.met) ? ExitCode.Failed : ExitCode.Ok
}
