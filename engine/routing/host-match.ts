/**
 * Virtual-host matching: request hosts are normalised once per request, host patterns are compiled
 * once per table into exact names (indexable by a hash map) and suffix tests.
 */

/**
 * The host a request is for, as routes compare it: lower-case, port removed ('API.Example.com:8443'
 * → 'api.example.com', '[::1]:80' → '[::1]'); '' when there is none. Allocates only when it changes
 * something.
 */
export function normalizeHost(raw: string | undefined): string {
  if (raw === undefined) return ''
  let end = raw.length
  if (raw.charCodeAt(0) === 0x5b) {
    // IPv6 literal: the port, if any, follows the closing bracket.
    const close = raw.indexOf(']')
    if (close > 0) end = close + 1
  } else {
    const colon = raw.indexOf(':')
    if (colon >= 0) end = colon
  }
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) return raw.slice(0, end).toLowerCase()
  }
  return end === raw.length ? raw : raw.slice(0, end)
}

/** A route's compiled host condition. */
export interface HostPatterns {
  /** The exact host names, when every pattern is exact: such routes are found by hash lookup. */
  readonly exact: readonly string[] | undefined
  /** Whether a normalised host satisfies any of the patterns. */
  test(host: string): boolean
}

/** Why a host pattern is rejected, or `undefined` when it is valid. */
export function hostPatternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'empty host pattern'
  if (pattern === '*') return undefined
  const star = pattern.lastIndexOf('*')
  if (star > 0 || (star === 0 && (pattern.charCodeAt(1) !== 0x2e || pattern.length < 3))) {
    return `'${pattern}': a wildcard must be '*' or lead as '*.suffix'`
  }
  if (normalizeHost(pattern) !== pattern.toLowerCase()) return `'${pattern}': a host pattern carries no port (the request's port is ignored)`
  return undefined
}

/** Compiles valid host patterns (see `hostPatternProblem`); matching is case-insensitive. */
export function compileHostPatterns(patterns: readonly string[]): HostPatterns {
  const lower = patterns.map((p) => p.toLowerCase())
  if (lower.includes('*')) return { exact: undefined, test: () => true }
  const exact = lower.filter((p) => !p.startsWith('*'))
  // '*.example.com' keeps its dot, so 'example.com' itself and 'badexample.com' stay out.
  const suffixes = lower.filter((p) => p.startsWith('*')).map((p) => p.slice(1))
  if (suffixes.length === 0) {
    const set = new Set(exact)
    return { exact: [...set], test: (host) => set.has(host) }
  }
  return {
    exact: undefined,
    test(host) {
      for (const s of suffixes) if (host.length > s.length && host.endsWith(s)) return true
      return exact.includes(host)
    },
  }
}
