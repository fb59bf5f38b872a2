import type { Issue } from '../../engine/errors.js'

/** Stable codes of errors while loading saved results. Codes never change meaning. */
export const resultsErrors = {
  LB_ERR_INVALID_RESULTS: 'invalid results',
  LB_ERR_RESULTS_UNREADABLE: 'results cannot be read',
} as const

/** One of the codes of {@link resultsErrors}. */
export type ResultsErrorCode = keyof typeof resultsErrors

/** The code of results that do not follow the result model. */
export const LB_ERR_INVALID_RESULTS = 'LB_ERR_INVALID_RESULTS' satisfies ResultsErrorCode

/** The code of a path that holds no readable results. */
export const LB_ERR_RESULTS_UNREADABLE = 'LB_ERR_RESULTS_UNREADABLE' satisfies ResultsErrorCode

/** A problem in one results file: the file, the path inside it and what is wrong. */
export interface ResultsIssue extends Issue {
  readonly file: string
}

/** An error loading results, with a stable code and every problem found, each with its path. */
export class ResultsError extends Error {
  override readonly name = 'ResultsError'
  constructor(
    readonly code: ResultsErrorCode,
    message: string = resultsErrors[code],
    readonly issues: readonly ResultsIssue[] = [],
  ) {
    super(issues.length === 0 ? message : `${message}:\n${issues.map((i) => `  ${i.file}: ${i.path || '(root)'}: ${i.message}`).join('\n')}`)
  }
}
