import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { algorithms } from '../../../engine/balancing/registry.js'
import { DEFAULT_SIZES } from '../../bench/bench-cases.js'
import { renderBenchTable } from '../../bench/bench-table.js'
import { runBench } from '../../bench/run-bench.js'
import { renderDataplaneTable, runDataplaneBench, type DataplaneMode } from '../../bench/dataplane/run-dataplane-bench.js'
import { CERTIFICATE_KINDS, type CertificateKind } from '../../bench/dataplane/bench-certificate.js'
import { missedTarget, renderSimulatorBench, runSimulatorBench } from '../../bench/simulator-bench.js'
import { CliError, ExitCode } from '../exit-codes.js'

/** Options of `layerbench bench`, as commander parses them. */
export interface BenchOptions {
  out: string
  quick?: boolean
  time?: string
  sizes?: string
  only?: string
  check?: boolean
  dataplane?: boolean
  simulator?: boolean
  requests?: string
  connections?: string
  repeats?: string
  newConnections?: boolean
  lowRate?: boolean
  rate?: string
  tls?: string
}

function parseList(value: string | undefined, what: string, check: (item: string) => string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const problems = items.map(check).filter((p): p is string => p !== undefined)
  if (items.length === 0) problems.push(`${what}: expected a comma-separated list`)
  if (problems.length > 0) throw new CliError(problems.join('\n'), ExitCode.BadInput)
  return items
}

function positiveInt(value: string | undefined, fallback: number, what: string, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${what}: expected a whole number from 1 to ${max}, got "${value}"`, ExitCode.BadInput)
  return n
}

/** `layerbench bench --dataplane`: CPU per request and added latency of the engine and its references (keep-alive, a new connection each, or a low fixed rate). */
async function dataplaneCommand(opts: BenchOptions): Promise<ExitCode> {
  const only = parseList(opts.only, '--only', () => undefined)
  if (opts.newConnections === true && opts.lowRate === true) throw new CliError('--new-connections and --low-rate: choose one', ExitCode.BadInput)
  if (opts.rate !== undefined && opts.lowRate !== true) throw new CliError('--rate: only with --low-rate', ExitCode.BadInput)
  const mode: DataplaneMode = opts.lowRate === true ? 'low-rate' : opts.newConnections === true ? 'new-connection' : 'keep-alive'
  const rate = positiveInt(opts.rate, 300, '--rate', 5000)
  const tls = opts.tls as CertificateKind | undefined
  if (tls !== undefined && !CERTIFICATE_KINDS.includes(tls)) throw new CliError(`--tls: expected one of ${CERTIFICATE_KINDS.join(', ')}, got "${opts.tls}"`, ExitCode.BadInput)
  // Low rate: the suite's fixed-rate load (300 req/s over 64 connections), 5 s a run (2 s quick).
  const lowRequests = Math.round(rate * (opts.quick ? 2 : 5))
  const report = await runDataplaneBench({
    mode,
    connections: positiveInt(opts.connections, mode === 'low-rate' ? 64 : 16, '--connections', 1024),
    requests: positiveInt(opts.requests, mode === 'low-rate' ? lowRequests : opts.quick ? 5000 : 30_000, '--requests', 10_000_000),
    warmup: opts.quick ? 1000 : 3000,
    repeats: positiveInt(opts.repeats, opts.quick ? 1 : 3, '--repeats', 50),
    ...(mode === 'low-rate' ? { rate } : {}),
    ...(tls === undefined ? {} : { tls }),
    ...(only === undefined ? {} : { only }),
    onRun: (subject, repeat, run) => process.stderr.write(`bench: ${subject} run ${repeat + 1}: ${run.rps.toFixed(0)} req/s, p50 ${run.latencyP50Us.toFixed(0)} µs, proxy ${run.proxyCpuPerRequestUs.toFixed(1)} µs CPU/req\n`),
  })
  const dir = resolve(opts.out)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `dataplane${mode === 'keep-alive' ? '' : `-${mode}`}${tls === undefined ? '' : `-tls-${tls}`}.json`)
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  process.stdout.write(renderDataplaneTable(report) + `\nwrote ${file}\n`)
  return opts.check && report.targets.some((t) => !t.met) ? ExitCode.Failed : ExitCode.Ok
}

/** `layerbench bench --simulator`: simulated requests per CPU second (P2C, 100 backends) and the 10k × 10M run. */
function simulatorCommand(opts: BenchOptions): ExitCode {
  const requests = opts.requests === undefined ? undefined : positiveInt(opts.requests, 0, '--requests', 1_000_000_000)
  const repeats = positiveInt(opts.repeats, opts.quick ? 3 : 5, '--repeats', 50)
  const report = runSimulatorBench({ ...(opts.quick ? { quick: true } : {}), ...(requests === undefined ? {} : { requests }), repeats })
  const dir = resolve(opts.out)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'simulator-bench.json')
  writeFileSync(file, JSON.stringify({ schema: 'layerbench/simulator-bench@1', ...report }, null, 2) + '\n')
  process.stdout.write(renderSimulatorBench(report) + `\nwrote ${file}\n`)
  return opts.check && report.cases.some(missedTarget) ? ExitCode.Failed : ExitCode.Ok
}

/** `layerbench bench`: microbenchmarks of the engine's hot paths (or, with --dataplane, the data plane). */
export async function benchCommand(opts: BenchOptions): Promise<ExitCode> {
  if (opts.dataplane) return dataplaneCommand(opts)
  if (opts.simulator) return simulatorCommand(opts)
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
