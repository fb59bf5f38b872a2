import type { RouteIssue } from './route-errors.js'
import type { PathMatch, RouteMatch, ValueMatch } from './route-types.js'
import type { RequestView } from './request-view.js'

/**
 * Compiling a route's conditions other than the host into one predicate over a request view.
 * Regexes are compiled once here; every problem is appended to `issues` rather than thrown, so a
 * table reports all of them together.
 */

/** A compiled condition. */
export type Check = (view: RequestView) => boolean

/** Holds for every request. */
export const always: Check = () => true

/** The conjunction of `checks`, evaluated in order and stopping at the first that fails. */
export function allOf(checks: readonly Check[]): Check {
  const [a, b] = checks
  if (a === undefined) return always
  if (b === undefined) return a
  if (checks.length === 2) return (v) => a(v) && b(v)
  return (v) => {
    for (const c of checks) if (!c(v)) return false
    return true
  }
}

/**
 * Compiles `source` anchored at both ends, or records ROUTE_ERR_BAD_REGEX. The source is first
 * compiled on its own: wrapping an unbalanced pattern such as 'a)|(b' could otherwise make it valid.
 */
export function compileAnchored(source: string, path: string, issues: RouteIssue[]): RegExp | undefined {
  try {
    new RegExp(source)
  } catch (e) {
    issues.push({ code: 'ROUTE_ERR_BAD_REGEX', path, message: `${JSON.stringify(source)}: ${(e as Error).message}` })
    return undefined
  }
  return new RegExp(`^(?:${source})$`)
}

function countDefined(...values: unknown[]): number {
  return values.filter((v) => v !== undefined).length
}

/** A value condition: how a header, cookie or query value (undefined when absent) is judged. */
function compileValueTest(m: ValueMatch, path: string, issues: RouteIssue[]): (value: string | undefined) => boolean {
  if (countDefined(m.exact, m.prefix, m.regex, m.present) > 1) {
    issues.push({ code: 'ROUTE_ERR_BAD_MATCHER', path, message: 'use at most one of exact, prefix, regex, present' })
  }
  let test: (value: string | undefined) => boolean
  const { exact, prefix } = m
  if (exact !== undefined) test = (value) => value === exact
  else if (prefix !== undefined) test = (value) => value !== undefined && value.startsWith(prefix)
  else if (m.regex !== undefined) {
    const re = compileAnchored(m.regex, `${path}.regex`, issues)
    test = (value) => value !== undefined && re !== undefined && re.test(value)
  } else if (m.present === false) test = (value) => value === undefined
  else test = (value) => value !== undefined
  return m.invert === true ? (value) => !test(value) : test
}

type Source = 'headers' | 'cookies' | 'query'

function compileValueMatch(source: Source, m: ValueMatch, path: string, issues: RouteIssue[]): Check {
  if (m.name === '') issues.push({ code: 'ROUTE_ERR_BAD_MATCHER', path: `${path}.name`, message: 'empty name' })
  const test = compileValueTest(m, path, issues)
  if (source === 'headers') {
    const name = m.name.toLowerCase()
    return (v) => test(v.request.header(name))
  }
  const name = m.name
  return source === 'cookies' ? (v) => test(v.cookie(name)) : (v) => test(v.query(name))
}

function compilePath(p: PathMatch, path: string, issues: RouteIssue[]): Check {
  const { prefix, exact, regex } = p as { prefix?: string; exact?: string; regex?: string }
  if (countDefined(prefix, exact, regex) !== 1) {
    issues.push({ code: 'ROUTE_ERR_BAD_MATCHER', path, message: 'use exactly one of prefix, exact, regex' })
  }
  const literal = prefix ?? exact
  if (literal !== undefined && /[?#]/.test(literal)) {
    issues.push({ code: 'ROUTE_ERR_BAD_MATCHER', path, message: `'${literal}' can never match: paths are matched without query string or fragment` })
  }
  if (prefix !== undefined) return prefix === '' ? always : (v) => v.path.startsWith(prefix)
  if (exact !== undefined) return (v) => v.path === exact
  if (regex !== undefined) {
    const re = compileAnchored(regex, `${path}.regex`, issues)
    return (v) => re !== undefined && re.test(v.path)
  }
  return always
}

function compileMethods(methods: readonly string[], path: string, issues: RouteIssue[]): Check {
  if (methods.length === 0) issues.push({ code: 'ROUTE_ERR_BAD_MATCHER', path, message: 'an empty method list matches nothing; omit it to allow any method' })
  methods.forEach((m, i) => {
    if (m === '' || m !== m.toUpperCase()) issues.push({ code: 'ROUTE_ERR_BAD_MATCHER', path: `${path}[${i}]`, message: `method '${m}' must be upper-case` })
  })
  const [only] = methods
  if (methods.length === 1 && only !== undefined) return (v) => v.request.method === only
  return (v) => methods.includes(v.request.method)
}

/**
 * Every condition of `match` except the host, cheapest first: method, path, headers, query, then
 * cookies (the Cookie header is parsed only if everything else already holds).
 */
export function compileConditions(match: RouteMatch, path: string, issues: RouteIssue[]): Check[] {
  const checks: Check[] = []
  if (match.methods !== undefined) checks.push(compileMethods(match.methods, `${path}.methods`, issues))
  if (match.path !== undefined) {
    const check = compilePath(match.path, `${path}.path`, issues)
    if (check !== always) checks.push(check)
  }
  for (const source of ['headers', 'query', 'cookies'] as const) {
    match[source]?.forEach((m, i) => checks.push(compileValueMatch(source, m, `${path}.${source}[${i}]`, issues)))
  }
  return checks
}
