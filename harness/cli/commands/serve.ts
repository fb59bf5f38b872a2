import { loadLbConfig } from '../../../engine/config/load-lb-config.js'
import { EngineError } from '../../../engine/errors.js'
import { startEngine } from '../../../engine/runtime/engine.js'
import { layerbenchVersion } from '../../system/environment.js'
import { watchParentLiveness } from '../../system/liveness.js'
import { CliError, ExitCode } from '../exit-codes.js'

/** Options of `layerbench serve`. */
export interface ServeOptions {
  drainMs: string
  quiet?: boolean
}

/**
 * `layerbench serve lb.yaml`: runs the reference balancer until SIGINT or SIGTERM, then drains
 * gracefully (requests in flight finish, up to --drain-ms); a second signal stops at once.
 * Prints where each listener and the admin server are bound, and every engine event.
 */
export async function serveCommand(file: string, opts: ServeOptions): Promise<ExitCode> {
  const drainMs = Number(opts.drainMs)
  if (!Number.isInteger(drainMs) || drainMs < 0 || drainMs > 3_600_000) throw new CliError(`--drain-ms: expected milliseconds from 0 to 3600000, got "${opts.drainMs}"`, ExitCode.BadInput)
  const config = loadLbConfig(file)
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${new Date().toISOString()} ${line}\n`)
  }
  let engine
  try {
    engine = await startEngine(config, {
      version: layerbenchVersion(),
      onEvent: (e) => log(`${e.type}${e.listener ? ` listener=${e.listener}` : ''}${e.pool ? ` pool=${e.pool}` : ''}${e.backend ? ` backend=${e.backend}` : ''}${e.detail ? ` ${e.detail}` : ''}`),
    })
  } catch (e) {
    if (e instanceof EngineError && e.code === 'LB_ERR_BIND') throw new CliError(e.message, ExitCode.Environment)
    throw e
  }
  // Started by a harness with a liveness pipe: when the harness dies, nobody is left to stop us.
  watchParentLiveness(() => {
    log('the process that started this engine is gone: stopping now')
    setTimeout(() => process.exit(ExitCode.Ok), 1000).unref()
    void engine.stop({ drainMs: 0 }).then(() => process.exit(ExitCode.Ok))
  })
  for (const l of engine.listeners) process.stdout.write(`listening ${l.name} ${l.protocol} (layer ${l.layer}) on ${l.address.host}:${l.address.port}\n`)
  if (engine.admin !== undefined) process.stdout.write(`admin on http://${engine.admin.host}:${engine.admin.port}/stats\n`)
  await new Promise<void>((resolve) => {
    let signals = 0
    const onSignal = (signal: NodeJS.Signals) => {
      signals++
      if (signals > 1) {
        log(`${signal} again: stopping now`)
        process.exit(ExitCode.Ok)
      }
      log(`${signal}: draining (up to ${drainMs} ms)`)
      // Once drained, exit: a profiler's preloaded handles (clinic, 0x) would otherwise keep the
      // process alive with nothing left to serve.
      void engine.stop({ drainMs }).then(() => {
        resolve()
        setImmediate(() => process.exit(ExitCode.Ok))
      })
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  return ExitCode.Ok
}
