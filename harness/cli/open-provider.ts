/**
 * `--provider` for the commands that start backends: the name checked against the registry (exit 2)
 * and a platform that does not answer reported as the environment's fault (exit 3).
 */
import { EngineError } from '../../engine/errors.js'
import { createProvider, PROVIDER_CHOICES, type BackendProvider, type ProviderKind, type ProviderOptions } from '../providers/index.js'
import { CliError, ExitCode } from './exit-codes.js'

/** Throws exit 2 unless `kind` names a provider (or `auto`). */
export function checkProviderKind(kind: string): ProviderKind {
  if (!(PROVIDER_CHOICES as readonly string[]).includes(kind)) throw new CliError(`--provider: expected ${PROVIDER_CHOICES.join(', ')}, got "${kind}"`, ExitCode.BadInput)
  return kind as ProviderKind
}

/** The provider asked for; a platform that does not answer is exit 3. */
export async function openProvider(kind: ProviderKind, options: ProviderOptions): Promise<BackendProvider> {
  try {
    return await createProvider(kind, options)
  } catch (e) {
    if (e instanceof EngineError && (e.code === 'LB_ERR_DOCKER_UNAVAILABLE' || e.code === 'LB_ERR_SWARM_UNAVAILABLE')) throw new CliError(e.message, ExitCode.Environment)
    throw e
  }
}
