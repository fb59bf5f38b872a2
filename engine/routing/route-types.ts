/**
 * The shapes an L7 routing table is built from (already validated by the config schema) and the
 * request view the proxy hands to it. Routes are evaluated in configuration order; the first whose
 * every matcher holds wins.
 */

/** A condition on one header, cookie or query parameter. At most one of exact/prefix/regex/present. */
export interface ValueMatch {
  /** Header names are case-insensitive; cookie and query parameter names are case-sensitive. */
  readonly name: string
  readonly exact?: string
  readonly prefix?: string
  /** Must match the whole value (anchored at both ends). */
  readonly regex?: string
  /** true: must be present (any value); false: must be absent. With no condition at all, presence is required. */
  readonly present?: boolean
  /** Negates the result of this matcher, absence included (`exact` + `invert` holds for a missing value). */
  readonly invert?: boolean
}

/** A condition on the raw (not percent-decoded) path, without the query string. */
export type PathMatch = { readonly prefix: string } | { readonly exact: string } | { readonly regex: string }

/** Every present field must hold for the route to match; an empty match matches every request. */
export interface RouteMatch {
  /**
   * 'api.example.com' exact, '*.example.com' any subdomain at any depth (not example.com itself),
   * '*' any host; case-insensitive; the request's port is ignored.
   */
  readonly host?: string | readonly string[]
  /** A plain string prefix: '/api/' does not match '/api'. */
  readonly path?: PathMatch
  /** Upper-case; compared exactly, as HTTP methods are case-sensitive. */
  readonly methods?: readonly string[]
  readonly headers?: readonly ValueMatch[]
  readonly cookies?: readonly ValueMatch[]
  readonly query?: readonly ValueMatch[]
}

/** One arm of a weighted split; `weight` > 0 and relative to the other arms. */
export interface SplitTarget {
  readonly pool: string
  readonly weight: number
}

/** A route sends matching requests to exactly one of `pool` or a weighted `split` of pools. */
export interface RouteConfig {
  /** Defaults to `route-<index>`. */
  readonly name?: string
  readonly match: RouteMatch
  readonly pool?: string
  readonly split?: readonly SplitTarget[]
}

/**
 * The request as the router sees it. The proxy builds it lazily: matchers call only the accessors
 * the routes they evaluate need, so a table without cookie matchers never reads the Cookie header.
 */
export interface RouteRequest {
  readonly method: string
  /** The Host header as sent: may include a port, any case. */
  readonly host: string | undefined
  /** The request-target as sent: origin-form '/path?query' or absolute-form 'http://h/path?q'. */
  readonly target: string
  /** First value of a header, by lower-case name. */
  header(lowerCaseName: string): string | undefined
  /** The Cookie header(s), joined with '; '. */
  cookieHeader(): string | undefined
}
