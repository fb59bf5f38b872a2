import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../engine/balancing/random.js'
import { compileRouteTable, RouteError, type RouteConfig } from '../../../engine/routing/index.js'
import { chiSquareTest } from '../../../reports/statistics/chi-square.js'
import { request, type RequestSpec } from './requests.js'

/** A microservice front door: API host with a forced canary and a 95/5 split, site-wide routes, a default. */
const frontDoor: RouteConfig[] = [
  { name: 'canary-forced', match: { host: 'api.example.com', headers: [{ name: 'X-Canary', exact: 'true' }] }, pool: 'api-canary' },
  { name: 'api-v1', match: { host: 'api.example.com', path: { prefix: '/api/v1/' } }, split: [{ pool: 'api-v1', weight: 95 }, { pool: 'api-canary', weight: 5 }] },
  { name: 'api-v2-write', match: { host: 'api.example.com', path: { prefix: '/api/v2/' }, methods: ['POST', 'PUT', 'DELETE'] }, pool: 'api-v2-write' },
  { name: 'api-v2', match: { host: 'api.example.com', path: { prefix: '/api/v2/' } }, pool: 'api-v2' },
  { name: 'admin', match: { host: '*.example.com', path: { prefix: '/admin/' }, cookies: [{ name: 'role', exact: 'admin' }] }, pool: 'admin' },
  { name: 'admin-denied', match: { host: '*.example.com', path: { prefix: '/admin/' } }, pool: 'forbidden' },
  { name: 'beta', match: { host: '*.example.com', cookies: [{ name: 'beta', present: true }, { name: 'optout', present: false }] }, pool: 'web-beta' },
  { name: 'static', match: { path: { prefix: '/static/' }, methods: ['GET', 'HEAD'] }, pool: 'static' },
  { name: 'health', match: { path: { exact: '/health' } }, pool: 'health' },
  { name: 'debug', match: { query: [{ name: 'debug', regex: '[0-9]+' }] }, pool: 'debug' },
  { name: 'staging', match: { headers: [{ name: 'x-env', exact: 'prod', invert: true }], path: { regex: '/(preview|draft)/.*' } }, pool: 'staging' },
  { match: { path: { prefix: '/' } }, pool: 'web' },
]

describe('compileRouteTable: a microservice front door', () => {
  const table = compileRouteTable(frontDoor)
  const firstArm = () => 0

  it.each<[string, RequestSpec, string | undefined, string | undefined]>([
    ['v1 API call goes to the split', { host: 'api.example.com', target: '/api/v1/users' }, 'api-v1', 'api-v1'],
    ['X-Canary: true forces the canary before the split', { host: 'api.example.com', target: '/api/v1/users', headers: { 'X-Canary': 'true' } }, 'canary-forced', 'api-canary'],
    ['X-Canary with another value does not', { host: 'api.example.com', target: '/api/v1/users', headers: { 'x-canary': 'TRUE' } }, 'api-v1', 'api-v1'],
    ['X-Canary on another host does not', { host: 'www.example.com', target: '/api/v1/users', headers: { 'X-Canary': 'true' } }, 'route-11', 'web'],
    ['v2 write by method', { method: 'POST', host: 'api.example.com', target: '/api/v2/orders' }, 'api-v2-write', 'api-v2-write'],
    ['v2 read falls through the method-restricted route', { method: 'GET', host: 'api.example.com', target: '/api/v2/orders' }, 'api-v2', 'api-v2'],
    ["prefix '/api/v2/' does not match '/api/v2'", { host: 'api.example.com', target: '/api/v2' }, 'route-11', 'web'],
    ['the query string is not part of the path', { host: 'api.example.com', target: '/api/v2/?x=/api/v1/' }, 'api-v2', 'api-v2'],
    ['admin cookie on a subdomain', { host: 'www.example.com', target: '/admin/users', cookie: 'sid=1; role=admin' }, 'admin', 'admin'],
    ['cookie names are case-sensitive', { host: 'www.example.com', target: '/admin/users', cookie: 'Role=admin' }, 'admin-denied', 'forbidden'],
    ['admin path without the cookie', { host: 'shop.eu.example.com', target: '/admin/' }, 'admin-denied', 'forbidden'],
    ["'*.example.com' does not match example.com itself", { host: 'example.com', target: '/admin/' }, 'route-11', 'web'],
    ['beta cookie present, optout absent', { host: 'www.example.com', target: '/shop', cookie: 'beta=' }, 'beta', 'web-beta'],
    ['beta cookie present, optout present', { host: 'www.example.com', target: '/shop', cookie: 'beta=1; optout=1' }, 'route-11', 'web'],
    ['static GET on any host', { host: 'cdn.other.org', target: '/static/app.js?v=3' }, 'static', 'static'],
    ['static POST falls to the default', { method: 'POST', target: '/static/app.js' }, 'route-11', 'web'],
    ['exact /health', { target: '/health' }, 'health', 'health'],
    ['exact /health with a query', { target: '/health?full=1' }, 'health', 'health'],
    ['exact /health is not /health/', { target: '/health/' }, 'route-11', 'web'],
    ['query regex holds', { target: '/shop?lang=en&debug=42' }, 'debug', 'debug'],
    ['query regex is anchored', { target: '/shop?debug=42x' }, 'route-11', 'web'],
    ['query names are case-sensitive', { target: '/shop?DEBUG=1' }, 'route-11', 'web'],
    ['inverted header: absent counts as not prod', { target: '/preview/page' }, 'staging', 'staging'],
    ['inverted header: staging is not prod', { target: '/draft/page', headers: { 'X-Env': 'staging' } }, 'staging', 'staging'],
    ['inverted header: prod is excluded', { target: '/draft/page', headers: { 'X-Env': 'prod' } }, 'route-11', 'web'],
    ['path regex is anchored', { target: '/x/preview/page' }, 'route-11', 'web'],
    ['the default catches the rest', { host: 'unknown.org', target: '/anything' }, 'route-11', 'web'],
    ["asterisk-form has no '/' path", { method: 'OPTIONS', target: '*' }, undefined, undefined],
  ])('%s', (_, spec, name, pool) => {
    const matched = table.match(request(spec))
    expect(matched?.name).toBe(name)
    expect(matched?.target(firstArm)).toBe(pool)
    if (matched !== undefined) expect(table.routes[matched.index]).toBe(matched.route)
  })

  it.each<[string, RequestSpec, string]>([
    ['host in upper case with a port', { host: 'API.Example.COM:8443', target: '/api/v2/x' }, 'api-v2'],
    ['wildcard host at depth two, upper case', { host: 'A.B.EXAMPLE.COM', target: '/admin/' }, 'admin-denied'],
    ['absolute-form target: its authority wins over Host', { host: 'www.example.com', target: 'http://api.example.com/api/v2/x?y=1' }, 'api-v2'],
    ['absolute-form with port, userinfo and upper-case scheme', { target: 'HTTPS://user:pw@API.EXAMPLE.COM:443/api/v2/' }, 'api-v2'],
    ['absolute-form with an empty path reads as /', { target: 'http://api.example.com?debug=7' }, 'debug'],
    ['absolute-form exact path', { target: 'http://api.example.com/health' }, 'health'],
  ])('%s', (_, spec, name) => {
    expect(table.match(request(spec))?.name).toBe(name)
  })

  it('returns the same matched object for every match of a route', () => {
    const a = table.match(request({ target: '/health' }))
    const b = table.match(request({ target: '/health?x' }))
    expect(a).toBe(b)
  })

  it('reads the Cookie header at most once per match, and only when a cookie matcher runs', () => {
    const both = request({ host: 'www.example.com', target: '/shop', cookie: 'beta=1' })
    expect(table.match(both)?.name).toBe('beta')
    expect(both.reads.cookie).toBe(1)
    const noCookieRoutes = request({ host: 'api.example.com', target: '/api/v2/x' })
    expect(table.match(noCookieRoutes)?.name).toBe('api-v2')
    expect(noCookieRoutes.reads.cookie).toBe(0)
    // The cookie routes fail on host or path before their cookie conditions run.
    const health = request({ host: 'other.org', target: '/health', cookie: 'role=admin' })
    expect(table.match(health)?.name).toBe('health')
    expect(health.reads.cookie).toBe(0)
  })
})

describe('compileRouteTable: reads only what the routes need', () => {
  it.each<[string, RouteConfig[], RequestSpec, { host: number; header: number; cookie: number }]>([
    ['paths only: no host, header or cookie reads', [{ match: { path: { prefix: '/a/' } }, pool: 'a' }, { match: {}, pool: 'b' }], { host: 'x.test', target: '/b' }, { host: 0, header: 0, cookie: 0 }],
    ['an exact-host route: the host once', [{ match: { host: 'a.test' }, pool: 'a' }, { match: {}, pool: 'b' }], { host: 'x.test' }, { host: 1, header: 0, cookie: 0 }],
    ['wildcard hosts: the host once however many routes', [{ match: { host: '*.a.test' }, pool: 'a' }, { match: { host: '*.b.test' }, pool: 'b' }, { match: {}, pool: 'c' }], { host: 'x.test' }, { host: 1, header: 0, cookie: 0 }],
    ['a header route skipped by its path: no header read', [{ match: { path: { exact: '/h' }, headers: [{ name: 'X-A' }] }, pool: 'a' }, { match: {}, pool: 'b' }], { target: '/b' }, { host: 0, header: 0, cookie: 0 }],
    ['two cookie conditions: the Cookie header once', [{ match: { cookies: [{ name: 'a' }, { name: 'b', present: false }] }, pool: 'a' }], { cookie: 'a=1' }, { host: 0, header: 0, cookie: 1 }],
  ])('%s', (_, routes, spec, reads) => {
    const req = request(spec)
    compileRouteTable(routes).match(req)
    expect(req.reads).toEqual(reads)
  })
})

describe('compileRouteTable: first match in configuration order', () => {
  const web = (pool: string, match: RouteConfig['match']): RouteConfig => ({ match, pool })

  it.each<[string, RouteConfig[], RequestSpec, string]>([
    ['broad prefix before narrow exact', [web('broad', { path: { prefix: '/' } }), web('narrow', { path: { exact: '/x' } })], { target: '/x' }, 'broad'],
    ['narrow exact before broad prefix', [web('narrow', { path: { exact: '/x' } }), web('broad', { path: { prefix: '/' } })], { target: '/x' }, 'narrow'],
    ['host-less route before an exact-host route', [web('any-host', { path: { prefix: '/api/' } }), web('api-host', { host: 'api.test', path: { prefix: '/api/' } })], { host: 'api.test', target: '/api/x' }, 'any-host'],
    ['exact-host route before a host-less route', [web('api-host', { host: 'api.test', path: { prefix: '/api/' } }), web('any-host', { path: { prefix: '/api/' } })], { host: 'api.test', target: '/api/x' }, 'api-host'],
    ['wildcard host before exact host', [web('wild', { host: '*.test' }), web('exact', { host: 'api.test' })], { host: 'api.test' }, 'wild'],
    ['partial prefix before full segment', [web('partial', { path: { prefix: '/ap' } }), web('full', { path: { prefix: '/api/' } })], { target: '/api/x' }, 'partial'],
    ['full segment before partial prefix', [web('full', { path: { prefix: '/api/' } }), web('partial', { path: { prefix: '/ap' } })], { target: '/api/x' }, 'full'],
    ['regex before segment', [web('regex', { path: { regex: '/a.*' } }), web('seg', { path: { prefix: '/api/' } })], { target: '/api/x' }, 'regex'],
    ['partial prefix on a segment no route names', [web('seg', { path: { prefix: '/api/' } }), web('partial', { path: { prefix: '/ap' } })], { target: '/apps' }, 'partial'],
    ['host list mixing exact and wildcard', [web('mixed', { host: ['a.test', '*.b.test'], path: { prefix: '/' } }), web('rest', {})], { host: 'x.b.test' }, 'mixed'],
    ['host list of exact names', [web('list', { host: ['a.test', 'B.test'] }), web('rest', {})], { host: 'b.TEST' }, 'list'],
    ["'*' host matches a request without Host", [web('star', { host: '*' }), web('rest', {})], {}, 'star'],
    ['an exact host does not match a request without Host', [web('exact', { host: 'a.test' }), web('rest', {})], {}, 'rest'],
    ['IPv6 literal host with port', [web('v6', { host: '[::1]' }), web('rest', {})], { host: '[::1]:8080' }, 'v6'],
    ['an empty match matches everything', [web('all', {}), web('never', { path: { exact: '/' } })], { target: '/' }, 'all'],
    ["'//' paths have an empty first segment", [web('root-exact', { path: { exact: '/' } }), web('double', { path: { prefix: '//' } })], { target: '//x' }, 'double'],
  ])('%s', (_, routes, spec, pool) => {
    expect(compileRouteTable(routes).match(request(spec))?.target(() => 0)).toBe(pool)
  })

  it('matches nothing with an empty table', () => {
    expect(compileRouteTable([]).match(request())).toBeUndefined()
  })

  it('matches raw paths: percent-encoded text is not decoded', () => {
    const table = compileRouteTable([{ match: { path: { prefix: '/api/' } }, pool: 'api' }, { match: { path: { exact: '/a%2Fb' } }, pool: 'encoded' }])
    expect(table.match(request({ target: '/%61pi/x' }))).toBeUndefined()
    expect(table.match(request({ target: '/a%2Fb' }))?.target(() => 0)).toBe('encoded')
  })

  it('CompiledRoute.matches judges one route alone, host included', () => {
    const table = compileRouteTable([{ match: { host: 'a.test', path: { prefix: '/x/' } }, pool: 'p' }, { match: { host: '*.a.test' }, pool: 'q' }])
    expect(table.routes.map((r) => r.matches(request({ host: 'A.test:1', target: '/x/1' })))).toEqual([true, false])
    expect(table.routes.map((r) => r.matches(request({ host: 'b.test', target: '/x/1' })))).toEqual([false, false])
    expect(table.routes.map((r) => r.matches(request({ host: 'z.a.test', target: '/x/1' })))).toEqual([false, true])
  })
})

describe('compileRouteTable: weighted splits', () => {
  it('draws exactly once per split target and never for a pool', () => {
    const table = compileRouteTable([{ match: { path: { prefix: '/s' } }, split: [{ pool: 'a', weight: 1 }] }, { match: {}, pool: 'b' }])
    let draws = 0
    const random = () => (draws++, 0.5)
    expect(table.match(request({ target: '/s' }))!.target(random)).toBe('a')
    expect(draws).toBe(1)
    expect(table.match(request({ target: '/x' }))!.target(random)).toBe('b')
    expect(draws).toBe(1)
  })

  it.each([
    [[95, 5]],
    [[1, 1, 1]],
    [[70, 20, 10]],
  ])('sends traffic in proportion %j (χ² over 100,000 requests)', (weights) => {
    const split = weights.map((weight, i) => ({ pool: `p${i}`, weight }))
    const matched = compileRouteTable([{ match: {}, split }]).match(request())!
    const random = seededRandom(95)
    const counts = new Map(split.map((t) => [t.pool, 0]))
    for (let n = 0; n < 100_000; n++) {
      const pool = matched.target(random)
      counts.set(pool, counts.get(pool)! + 1)
    }
    expect(chiSquareTest([...counts.values()], weights).pValue).toBeGreaterThan(0.001)
  })

  it('the χ² check has power: a 94/6 split fails a 95/5 expectation', () => {
    const matched = compileRouteTable([{ match: {}, split: [{ pool: 'a', weight: 94 }, { pool: 'b', weight: 6 }] }]).match(request())!
    const random = seededRandom(95)
    let a = 0
    for (let n = 0; n < 100_000; n++) if (matched.target(random) === 'a') a++
    expect(chiSquareTest([a, 100_000 - a], [95, 5]).pValue).toBeLessThan(1e-6)
  })

  it('lists the pools a route can send to, each once', () => {
    const table = compileRouteTable(frontDoor)
    expect(table.routes[1]!.pools).toEqual(['api-v1', 'api-canary'])
    expect(table.routes[0]!.pools).toEqual(['api-canary'])
  })
})

describe('compileRouteTable: errors', () => {
  const ok = { match: {}, pool: 'p' } satisfies RouteConfig

  it.each<[string, RouteConfig, string, string]>([
    ['invalid path regex', { match: { path: { regex: '/api/(' } }, pool: 'p' }, 'ROUTE_ERR_BAD_REGEX', 'routes[1].match.path.regex'],
    ['unbalanced regex that anchoring would hide', { match: { path: { regex: 'a)|(b' } }, pool: 'p' }, 'ROUTE_ERR_BAD_REGEX', 'routes[1].match.path.regex'],
    ['invalid header regex', { match: { headers: [{ name: 'x', regex: '[' }] }, pool: 'p' }, 'ROUTE_ERR_BAD_REGEX', 'routes[1].match.headers[0].regex'],
    ['invalid cookie regex', { match: { cookies: [{ name: 'x', regex: '*' }] }, pool: 'p' }, 'ROUTE_ERR_BAD_REGEX', 'routes[1].match.cookies[0].regex'],
    ['neither pool nor split', { match: {} }, 'ROUTE_ERR_NO_TARGET', 'routes[1]'],
    ['empty pool name', { match: {}, pool: '' }, 'ROUTE_ERR_NO_TARGET', 'routes[1].pool'],
    ['both pool and split', { match: {}, pool: 'p', split: [{ pool: 'q', weight: 1 }] }, 'ROUTE_ERR_TARGET_CONFLICT', 'routes[1]'],
    ['empty split', { match: {}, split: [] }, 'ROUTE_ERR_BAD_SPLIT', 'routes[1].split'],
    ['zero weight', { match: {}, split: [{ pool: 'a', weight: 1 }, { pool: 'b', weight: 0 }] }, 'ROUTE_ERR_BAD_SPLIT', 'routes[1].split[1].weight'],
    ['NaN weight', { match: {}, split: [{ pool: 'a', weight: Number.NaN }] }, 'ROUTE_ERR_BAD_SPLIT', 'routes[1].split[0].weight'],
    ['trailing wildcard host', { match: { host: 'api.*' }, pool: 'p' }, 'ROUTE_ERR_BAD_HOST', 'routes[1].match.host'],
    ['wildcard without a dot', { match: { host: ['a.test', '*example.com'] }, pool: 'p' }, 'ROUTE_ERR_BAD_HOST', 'routes[1].match.host[1]'],
    ['host with a port', { match: { host: 'a.test:8080' }, pool: 'p' }, 'ROUTE_ERR_BAD_HOST', 'routes[1].match.host'],
    ['empty host list', { match: { host: [] }, pool: 'p' }, 'ROUTE_ERR_BAD_HOST', 'routes[1].match.host'],
    ['lower-case method', { match: { methods: ['GET', 'post'] }, pool: 'p' }, 'ROUTE_ERR_BAD_MATCHER', 'routes[1].match.methods[1]'],
    ['empty method list', { match: { methods: [] }, pool: 'p' }, 'ROUTE_ERR_BAD_MATCHER', 'routes[1].match.methods'],
    ['two value conditions', { match: { query: [{ name: 'a', exact: '1', prefix: '1' }] }, pool: 'p' }, 'ROUTE_ERR_BAD_MATCHER', 'routes[1].match.query[0]'],
    ['empty header name', { match: { headers: [{ name: '' }] }, pool: 'p' }, 'ROUTE_ERR_BAD_MATCHER', 'routes[1].match.headers[0].name'],
    ['path with a query string', { match: { path: { exact: '/a?b=1' } }, pool: 'p' }, 'ROUTE_ERR_BAD_MATCHER', 'routes[1].match.path'],
  ])('%s', (_, route, code, path) => {
    let error: unknown
    try {
      compileRouteTable([ok, route, ok])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(RouteError)
    const routeError = error as RouteError
    expect(routeError.code).toBe(code)
    expect(routeError.issues).toEqual([expect.objectContaining({ code, path })])
    expect(routeError.message).toContain(path)
  })

  it('reports every problem of every route at once, coded by the first', () => {
    let error: RouteError | undefined
    try {
      compileRouteTable([{ match: { path: { regex: '(' } } }, ok, { match: { host: 'x.*' }, split: [] }])
    } catch (e) {
      error = e as RouteError
    }
    expect(error?.code).toBe('ROUTE_ERR_BAD_REGEX')
    expect(error?.issues.map((i) => [i.path, i.code])).toEqual([
      ['routes[0].match.path.regex', 'ROUTE_ERR_BAD_REGEX'],
      ['routes[0]', 'ROUTE_ERR_NO_TARGET'],
      ['routes[2].split', 'ROUTE_ERR_BAD_SPLIT'],
      ['routes[2].match.host', 'ROUTE_ERR_BAD_HOST'],
    ])
  })
})
