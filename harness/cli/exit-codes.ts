/** Exit codes of the `layerbench` command; scripts and CI rely on them. */
export const ExitCode = {
  /** Everything ran and every expectation held. */
  Ok: 0,
  /** An expectation failed, a target was missed under --check, or a regression was found. */
  Failed: 1,
  /** Bad input: usage, a scenario or a balancer config is invalid. Nothing ran. */
  BadInput: 2,
  /** The environment cannot do what was asked (e.g. Docker requested but unreachable). */
  Environment: 3,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** An error that ends the command with a given exit code and a message for the user. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message)
  }
}
