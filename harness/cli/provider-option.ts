import { EngineError } from '../../engine/errors.js'
import { createProvider, type ProviderKind } from '../providers/index.js'
import type { BackendProvider } from '../providers/types.js'
import { CliError, ExitCode } from './exit-codes.js'

/** Checks a `--provider` value (exit 2 otherwise). */
export function providerKind(value: string): ProviderKind {
  if (value === 'auto' || value === 'process' || value === 'docker') return value
  throw new CliError(`--provider: expected auto, process or docker, got "${value}"`, ExitCode.BadInput)
}

/** The backend provider of a command; a Docker Engine asked for and not answering is exit 3. */
export async function commandProvider(kind: ProviderKind, runId: string, log: (line: string) => void): Promise<BackendProvider> {
  try {
    return await createProvider(kind, { runId, log })
  } catch (e) {
    if (e instanceof EngineError && e.code === 'LB_ERR_DOCKER_UNAVAILABLE') throw new CliError(e.message, ExitCode.Environment)
    throw e
  }
}
