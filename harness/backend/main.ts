/**
 * The backend application every scenario runs, as a child process or in a container.
 *
 *   node dist/harness/backend/main.js --config '<json>'     (or the JSON in LAYERBENCH_BACKEND)
 *
 * The configuration is `BackendConfig` (backend-config.ts); an invalid one prints every issue with
 * its path to stderr and exits 2. Once every listener is bound, one line goes to stdout:
 * `ready {"id","pid","http"?,"grpc"?,"tcp"?,"udp"?,"control"}` with the bound ports. Logs go to stderr.
 * SIGTERM or SIGINT stops accepting, closes idle keep-alive connections, lets answers in progress
 * finish, and exits 0 within 2 s. A listener that cannot bind exits 3.
 */
import { ExitCode } from '../cli/exit-codes.js'
import { EngineError } from '../../engine/errors.js'
import { loadBackendConfig, type BackendConfig } from './backend-config.js'
import { startBackend } from './backend.js'
import { watchParentLiveness } from '../system/liveness.js'

/** Time given to answers in progress after a stop signal; the process exits well within 2 s. */
const GRACE_MS = 1500
const HARD_EXIT_MS = 1900

function main(): void {
  let config: BackendConfig
  try {
    config = loadBackendConfig(process.argv.slice(2), process.env)
  } catch (e) {
    process.stderr.write(`layerbench backend: ${e instanceof EngineError ? e.message : String(e)}\n`)
    process.exit(ExitCode.BadInput)
  }
  const log = (message: string) => process.stderr.write(`${new Date().toISOString()} backend ${config.id}: ${message}\n`)

  startBackend(config, log).then(
    (backend) => {
      let stopping = false
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(ExitCode.Ok)
        stopping = true
        log(`${signal}: stopping`)
        setTimeout(() => {
          log(`answers still in progress after ${HARD_EXIT_MS} ms: exiting`)
          process.exit(ExitCode.Ok)
        }, HARD_EXIT_MS).unref()
        void backend.stop(GRACE_MS).then(() => {
          log('stopped')
          process.exit(ExitCode.Ok)
        })
      }
      process.on('SIGTERM', stop)
      process.on('SIGINT', stop)
      // The harness that started this backend died: nobody is left to stop it.
      watchParentLiveness(() => {
        log('the harness is gone: exiting')
        process.exit(ExitCode.Ok)
      })
      // Only now: whoever reads this line may signal at once.
      const { http, grpc, tcp, udp, control } = backend.ports
      process.stdout.write(`ready ${JSON.stringify({ id: config.id, pid: process.pid, http, grpc, tcp, udp, control })}\n`)
      log(`listening on ${config.host}: ${JSON.stringify(backend.ports)}`)
    },
    (e: unknown) => {
      log(`cannot listen: ${(e as Error).message}`)
      process.exit(ExitCode.Environment)
    },
  )
}

main()
