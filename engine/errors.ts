/**
 * Stable error codes of the engine. Codes never change meaning; messages may improve. The data
 * plane maps them to responses (e.g. LB_ERR_NO_HEALTHY_BACKEND → 503) and to the error-code header.
 */
export const engineErrors = {
  LB_ERR_NO_HEALTHY_BACKEND: 'no healthy backend',
  LB_ERR_BACKENDS_EXHAUSTED: 'every healthy backend was already tried for this request',
  LB_ERR_UNKNOWN_ALGORITHM: 'unknown balancing algorithm',
  LB_ERR_INVALID_OPTIONS: 'invalid options',
  LB_ERR_UNKNOWN_BACKEND: 'no such backend in the pool',
  LB_ERR_DUPLICATE_BACKEND: 'two backends share one id',
  LB_ERR_INVALID_CONFIG: 'invalid configuration',
  LB_ERR_CONFIG_UNREADABLE: 'configuration file cannot be read',
  LB_ERR_BIND: 'a listener cannot bind its address',
  LB_ERR_INVALID_SCENARIO: 'invalid scenario',
  LB_ERR_DOCKER_UNAVAILABLE: 'no Docker Engine answers',
  LB_ERR_SWARM_UNAVAILABLE: 'no Swarm manager answers, or its nodes cannot host backends',
  LB_ERR_PEER_UNAVAILABLE: 'a peer balancer is not installed',
  LB_ERR_INVALID_SIMULATION: 'the scenario cannot be simulated as written',
} as const

/** One of the engine's stable error codes. */
export type EngineErrorCode = keyof typeof engineErrors

/** A problem found while validating input, with the path of the offending value. */
export interface Issue {
  readonly path: string
  readonly message: string
}

/** An error carrying a stable code and, for invalid input, every problem found at once. */
export class EngineError extends Error {
  override readonly name = 'EngineError'
  constructor(
    readonly code: EngineErrorCode,
    message: string = engineErrors[code],
    readonly issues: readonly Issue[] = [],
  ) {
    super(issues.length === 0 ? message : `${message}:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`)
  }
}

/** Renders a zod-style issue path (`['backends', 2, 'weight']`) as `backends[2].weight`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out
}
