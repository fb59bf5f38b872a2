/**
 * layerbench's L7 routing core: ordered first-match routes over host, path, method, headers,
 * cookies and query parameters; weighted splits; sticky-session cookies. Pure: the proxy supplies
 * the request view and the random source.
 */
export type { PathMatch, RouteConfig, RouteMatch, RouteRequest, SplitTarget, ValueMatch } from './route-types.js'
export { compileRouteTable, type CompiledRoute, type MatchedRoute, type RouteTable } from './route-table.js'
export { RouteError, routeErrors, type RouteErrorCode, type RouteIssue } from './route-errors.js'
export { chooseSplit, splitChooser, splitShares } from './weighted-split.js'
export { activeArms, reweightSplit } from './split-weights.js'
export { getCookie, parseCookies, serializeSetCookie, type SetCookieOptions } from './cookies.js'
export { createStickyCodec, createStickyIndex, stickyToken, STICKY_TOKEN_LENGTH, type StickyCodec, type StickyIndex } from './sticky-cookie.js'
export { queryParam, requestPath, targetAuthority } from './request-target.js'
export { normalizeHost } from './host-match.js'
