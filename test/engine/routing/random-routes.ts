import { seededRandom } from '../../../engine/balancing/random.js'
import type { PathMatch, RouteConfig, RouteMatch, ValueMatch } from '../../../engine/routing/route-types.js'
import type { RequestSpec } from './requests.js'

/**
 * Random route tables and requests drawn from one small vocabulary, so that routes overlap heavily
 * and first-match order decides: every host form, every path-matcher form, methods, and header,
 * cookie and query matchers of every kind.
 */

const HOST_PATTERNS = ['a.test', 'b.test', 'x.a.test', 'c.test', '*.a.test', '*.test', '*', 'A.Test']
const REQUEST_HOSTS = ['a.test', 'B.TEST:8080', 'x.a.test', 'y.x.a.test', 'test', 'c.test', 'unknown.org', 'a.test:1']
const PATHS: PathMatch[] = [
  { prefix: '/api/' }, { prefix: '/api/v1/' }, { prefix: '/api/v2/' }, { prefix: '/ap' }, { prefix: '/a' }, { prefix: '/api' },
  { prefix: '/static/' }, { prefix: '/st' }, { prefix: '/' }, { prefix: '' }, { prefix: '//' },
  { exact: '/health' }, { exact: '/api' }, { exact: '/' }, { exact: '/api/v1/users' }, { exact: '*' },
  { regex: '/api/v[0-9]+/.*' }, { regex: '/(static|app)/.*' }, { regex: '.*s' },
]
const REQUEST_PATHS = ['/api/v1/users', '/api/v2/', '/api', '/apis/x', '/app', '/app/x', '/static/a.css', '/st', '/s', '/health', '/', '/a', '//x', '/ap', '/api/v10/x', '/other']
const VALUES = ['true', 'false', 'prod', 'staging', '1', '2', 'admin', '']
const HEADER_NAMES = ['X-Canary', 'x-env', 'User-Agent']
const COOKIE_NAMES = ['beta', 'role', 'Beta']
const QUERY_NAMES = ['debug', 'v', 'lang']
const TAGS = Array.from({ length: 40 }, (_, i) => `t${i}`)

/**
 * A seeded source of random routes (`table(n)`) and requests (`requestSpec()`). `tagged` is the
 * share of routes carrying a one-in-40 tag header condition: high for large tables, so that first
 * matches land all over the table rather than always in its first rows, low for small ones.
 */
export function routeGenerator(seed: number, tagged = 0.95) {
  const random = seededRandom(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const chance = (p: number) => random() < p

  function valueMatch(names: readonly string[]): ValueMatch {
    const name = pick(names)
    const invert = chance(0.2) ? { invert: true } : {}
    switch (Math.floor(random() * 5)) {
      case 0: return { name, exact: pick(VALUES), ...invert }
      case 1: return { name, prefix: pick(VALUES).slice(0, 2), ...invert }
      case 2: return { name, regex: pick(['[0-9]+', 'tr.*', 'prod|staging', '']), ...invert }
      case 3: return { name, present: chance(0.5), ...invert }
      default: return { name, ...invert }
    }
  }

  function route(i: number): RouteConfig {
    const match: { -readonly [K in keyof RouteMatch]: RouteMatch[K] } = {}
    if (chance(0.9)) match.host = chance(0.8) ? pick(HOST_PATTERNS) : [pick(HOST_PATTERNS), pick(HOST_PATTERNS)]
    if (chance(0.95)) match.path = pick(PATHS)
    if (chance(0.4)) match.methods = chance(0.5) ? ['GET'] : ['POST', 'PUT']
    const headers = chance(0.6) ? Array.from({ length: 1 + Math.floor(random() * 2) }, () => valueMatch(HEADER_NAMES)) : []
    if (chance(tagged)) headers.push({ name: 'X-Tag', exact: pick(TAGS) })
    if (headers.length > 0) match.headers = headers
    if (chance(0.5)) match.cookies = [valueMatch(COOKIE_NAMES)]
    if (chance(0.5)) match.query = [valueMatch(QUERY_NAMES)]
    return { match, pool: `p${i}` }
  }

  function requestSpec(): RequestSpec {
    const path = pick(REQUEST_PATHS)
    const query = chance(0.5) ? `?${QUERY_NAMES.filter(() => chance(0.4)).map((n) => (chance(0.2) ? n : `${n}=${pick(VALUES)}`)).join('&')}` : ''
    const host = chance(0.9) ? pick(REQUEST_HOSTS) : undefined
    const absolute = chance(0.2) && host !== undefined
    const headers = Object.fromEntries(HEADER_NAMES.filter(() => chance(0.4)).map((n) => [chance(0.5) ? n.toUpperCase() : n, pick(VALUES)]))
    if (chance(0.9)) headers['x-tag'] = pick(TAGS)
    const cookies = COOKIE_NAMES.filter(() => chance(0.4)).map((n) => `${n}=${pick(VALUES)}`)
    return {
      method: pick(['GET', 'GET', 'POST', 'PUT', 'DELETE']),
      host: absolute ? 'ignored.example' : host,
      target: absolute ? `http://${host}${path}${query}` : path === '/' && chance(0.05) ? '*' : `${path}${query}`,
      headers,
      ...(cookies.length > 0 ? { cookie: cookies.join(chance(0.5) ? '; ' : ';') } : {}),
    }
  }

  return { table: (n: number) => Array.from({ length: n }, (_, i) => route(i)), requestSpec }
}

