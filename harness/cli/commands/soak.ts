import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import { parseYaml } from '../../../engine/config/load-document.js'
import { EngineError } from '../../../engine/errors.js'
import { installCleanupHandlers } from '../../providers/index.js'
import { startEngineProcess, type RunningBalancer } from '../../runner/balancer-process.js'
import { defaultProtocol, runOnce } from '../../runner/run-once.js'
import { clientAbortAt, judgeSoak, SOAK_CYCLE_S, soakClientAborts, soakSchedule, type EngineSample } from '../../runner/soak-plan.js'
import { parseDuration } from '../../scenario/duration.js'
import { parseScenario } from '../../scenario/load-scenario.js'
import { layerbenchVersion } from '../../system/environment.js'
import { processAlive } from '../../system/process-cpu.js'
import { runWatchdog } from '../../system/watchdog.js'
import { CliError, ExitCode } from '../exit-codes.js'
import { checkProviderKind, openProvider } from '../open-provider.js'

/** Options of `layerbench soak`. */
export interface SoakOptions {
  duration: string
  out: string
  provider: string
}

/** Keep-alive idle timeout of the soaked pools. */
const SOAK_IDLE_MS = 2000

/** RSS and open descriptors of a process, from /proc; `undefined` once it is gone. */
function sampleProcess(pid: number, atS: number): EngineSample | undefined {
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return { atS, rssBytes: Number(rss?.[1] ?? 0) * 1024, fds: readdirSync(`/proc/${pid}/fd`).length }
  } catch {
    return undefined
  }
}

/** Children of this process now, from /proc. */
function ownChildren(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid
      } catch {
        return false
      }
    })
    .map(Number)
}

/**
 * `layerbench soak <scenario> --duration 10m`: the scenario's first engine variant for the whole
 * duration, with faults cycling through its backends (kill, pause, resets, slow bodies) and
 * clients abandoning requests part-way (HTTP), the engine's RSS and open descriptors sampled
 * every second. Passes (exit 0) when every request is
 * accounted for, RSS and descriptors stayed flat, no connection or pool slot was left in use and
 * no process was left running; writes `soak.json` with every figure. Not a CI test: it takes as
 * long as it is told to.
 */
export async function soakCommand(file: string, opts: SoakOptions): Promise<ExitCode> {
  const durationMs = parseDuration(opts.duration)
  if (durationMs === undefined || durationMs < 30_000) throw new CliError(`--duration: expected at least 30s (e.g. 10m), got "${opts.duration}"`, ExitCode.BadInput)
  checkProviderKind(opts.provider)
  const seconds = Math.floor(durationMs / 1000)
  let loaded
  try {
    const raw = parseYaml(readFileSync(file, 'utf8'), file) as { backends?: Record<string, { count?: number }>; load?: Record<string, unknown>; timeline?: unknown; expect?: unknown }
    const group = Object.entries(raw.backends ?? {}).find(([, g]) => (g.count ?? 1) >= 2)
    if (group === undefined) throw new CliError(`${file}: a soak needs a backend group of two or more (one is faulted at a time)`, ExitCode.BadInput)
    const targets = Array.from({ length: group[1].count! }, (_, i) => `${group[0]}[${i}]`)
    // Idle keep-alive connections to backends close after 2 s here, so that a backend connection
    // still open a few seconds after the load is one the engine lost track of, not a warm spare.
    const balancer = (raw as { balancer?: { pools?: Record<string, { keepAlive?: Record<string, unknown> }> } }).balancer
    const pools = Object.fromEntries(Object.entries(balancer?.pools ?? {}).map(([n, p]) => [n, { ...p, keepAlive: { ...p.keepAlive, idleTimeoutMs: SOAK_IDLE_MS } }]))
    const soaked = { ...raw, balancer: { ...balancer, pools }, load: { ...raw.load, duration: `${seconds}s` }, timeline: soakSchedule(targets, seconds) }
    delete soaked.expect
    const text = stringify(soaked)
    loaded = parseScenario(parseYaml(text, file), file, text)
  } catch (e) {
    if (e instanceof EngineError) throw new CliError(`${e.code}: ${e.message}`, ExitCode.BadInput)
    throw e
  }
  const variant = loaded.variants.find((v) => v.scenario.balancer.implementation === 'engine')
  if (variant === undefined) throw new CliError(`${file}: no variant runs the reference engine`, ExitCode.BadInput)

  // Client aborts need HTTP and the layerbench generator; other scenarios soak without them.
  const { load: l, balancer: b } = variant.scenario
  const protocol = l.protocol ?? defaultProtocol(b.listeners.find((x) => x.name === (l.listener ?? b.listeners[0]!.name))!.protocol)
  const http = protocol === 'http' || protocol === 'https'
  const abortWindows = http && l.generator === 'layerbench' && l.agents <= 1 ? soakClientAborts(l.connections, seconds) : []

  const out = join(resolve(opts.out), `${loaded.name}-soak`)
  mkdirSync(out, { recursive: true })
  const log = (line: string) => process.stderr.write(`${line}\n`)
  installCleanupHandlers()
  const provider = await openProvider(checkProviderKind(opts.provider), { runId: `soak-${process.pid}`, log })
  const scratch = mkdtempSync(join(tmpdir(), 'layerbench-soak-'))
  const version = layerbenchVersion()
  const samples: EngineSample[] = []
  const seen = new Set<number>()
  let openAtEnd = { listeners: -1, backends: -1 }
  const started = performance.now()
  const sampler = setInterval(() => {
    for (const pid of ownChildren()) if (pid !== runWatchdog().pid) seen.add(pid)
  }, 1000)
  let run
  try {
    log(`soak: ${loaded.name} for ${seconds} s, ${variant.scenario.timeline.length} fault steps and ${abortWindows.length} client-abort windows in cycles of ${SOAK_CYCLE_S} s`)
    run = await runOnce(variant, 1, {
      provider,
      ...(abortWindows.length === 0 ? {} : { clientAbort: (atMs: number, client: number, index: number) => clientAbortAt(abortWindows, atMs, client, index) }),
      dir: scratch,
      log,
      startBalancer: async (_implementation, config, dir): Promise<RunningBalancer> => {
        const engine = await startEngineProcess(config, dir, version)
        const timer = setInterval(() => {
          const s = sampleProcess(engine.pid, (performance.now() - started) / 1000)
          if (s !== undefined) samples.push(s)
        }, 1000)
        return {
          ...engine,
          stop: async () => {
            clearInterval(timer)
            // The load has ended: whatever is still open after a short wait has leaked.
            for (let i = 0; i < (SOAK_IDLE_MS * 3) / 100; i++) {
              const stats = await engine.stats().catch(() => undefined)
              if (stats !== undefined) {
                openAtEnd = {
                  listeners: stats.listeners.reduce((n, l) => n + l.connections.active, 0),
                  backends: stats.pools.reduce((n, p) => n + p.backends.reduce((m, b) => m + b.connections.active, 0), 0),
                }
                if (openAtEnd.listeners === 0 && openAtEnd.backends === 0) break
              }
              await new Promise((r) => setTimeout(r, 100))
            }
            await engine.stop()
          },
        }
      },
    })
  } finally {
    clearInterval(sampler)
    await provider.stopAll()
    rmSync(scratch, { recursive: true, force: true })
  }
  for (let i = 0; i < 50 && [...seen].some(processAlive); i++) await new Promise((r) => setTimeout(r, 100))
  const { sent, ok, failed, clientAborts } = run.summary.requests
  const verdict = judgeSoak({ sent, ok, failed, clientAborts: clientAborts?.byPoint ?? {}, abortWindows: abortWindows.length, samples, openAtEnd, leftRunning: [...seen].filter(processAlive) })
  const report = { scenario: loaded.name, seconds, requests: run.summary.requests, rps: run.summary.rps, latencyUs: run.summary.latencyUs, faults: variant.scenario.timeline.length, clientAbortWindows: abortWindows, samples, openAtEnd, verdict }
  writeFileSync(join(out, 'soak.json'), JSON.stringify(report, null, 2) + '\n')
  process.stdout.write(`soak ${loaded.name}: ${seconds} s, ${sent} requests (${ok} ok, ${failed} failed, ${clientAborts?.total ?? 0} aborted by the clients), ${run.summary.rps.toFixed(0)} req/s, p99 ${run.summary.latencyUs.p99} µs\n`)
  for (const c of verdict.checks) process.stdout.write(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`)
  process.stdout.write(`wrote ${join(out, 'soak.json')}\n`)
  return verdict.pass ? ExitCode.Ok : ExitCode.Failed
}
