import type { Issue } from '../errors.js'

/**
 * Stable error codes of the routing core. Codes never change meaning; messages may improve.
 */
export const routeErrors = {
  ROUTE_ERR_BAD_REGEX: 'a regular expression does not compile',
  ROUTE_ERR_NO_TARGET: 'a route has neither a pool nor a split',
  ROUTE_ERR_TARGET_CONFLICT: 'a route has both a pool and a split',
  ROUTE_ERR_BAD_SPLIT: 'a split is empty or has a weight that is not a positive finite number',
  ROUTE_ERR_BAD_HOST: 'a host pattern is empty, misplaces a wildcard or carries a port',
  ROUTE_ERR_BAD_MATCHER: 'a matcher is empty or combines conditions that exclude each other',
  ROUTE_ERR_BAD_COOKIE: 'a cookie name, value or attribute has characters the Cookie grammar forbids',
  ROUTE_ERR_NO_SUCH_ROUTE: 'no route of that name in the listener',
} as const

/** One of the routing core's stable error codes. */
export type RouteErrorCode = keyof typeof routeErrors

/** A problem with one part of a route table: where (`routes[3].match.path.regex`), what, and its code. */
export interface RouteIssue extends Issue {
  readonly code: RouteErrorCode
}

/**
 * A routing error. Compiling a table reports every problem at once in `issues`; `code` is the
 * first issue's code, so a single problem is identified by `code` alone.
 */
export class RouteError extends Error {
  override readonly name = 'RouteError'
  readonly code: RouteErrorCode
  readonly issues: readonly RouteIssue[]

  constructor(code: RouteErrorCode, message: string, issues: readonly RouteIssue[] = []) {
    super(issues.length === 0 ? `${code}: ${message}` : `${message}:\n${issues.map((i) => `  ${i.path}: ${i.code}: ${i.message}`).join('\n')}`)
    this.code = code
    this.issues = issues
  }

  /** Every issue at once, coded by the first. */
  static fromIssues(message: string, issues: readonly RouteIssue[]): RouteError {
    return new RouteError(issues[0]!.code, message, issues)
  }
}
