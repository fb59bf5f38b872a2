import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { describe, expect, it } from 'vitest'
import { lbConfigSchema } from '../../engine/config/lb-config.js'
import { parseYaml, validateDocument } from '../../engine/config/load-document.js'
import { EngineError } from '../../engine/errors.js'
import { getCookie } from '../../engine/routing/cookies.js'
import { queryParam } from '../../engine/routing/request-target.js'
import { compileRouteTable } from '../../engine/routing/route-table.js'
import type { RouteConfig, RouteRequest, ValueMatch } from '../../engine/routing/route-types.js'
import { fuzzParams, fuzzTimeoutMs } from './fuzz-params.js'

const segment = fc.constantFrom('a', 'api', 'v1', 'users', 'A', '%2F', 'x.y', '')
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`)
const host = fc.constantFrom('example.test', 'api.example.test', 'EXAMPLE.test', 'other.test', 'a.b.example.test')
const hostPattern = fc.constantFrom('example.test', 'api.example.test', '*.example.test', 'other.test')
/** A header, cookie or query condition over a few names and values, every kind of test, maybe inverted. */
const valueMatch = (names: readonly string[]): fc.Arbitrary<ValueMatch> =>
  fc
    .tuple(
      fc.constantFrom(...names),
      fc.oneof(
        fc.constantFrom('1', '2', '', '1=2', '"1"').map((exact) => ({ exact })),
        fc.constantFrom('1', '', '"').map((prefix) => ({ prefix })),
        fc.constantFrom('[0-9]+', '1|2', '.*', '"?1"?').map((regex) => ({ regex })),
        fc.boolean().map((present) => ({ present })),
        fc.constant({}),
      ),
      fc.boolean(),
    )
    .map(([name, test, invert]) => ({ name, ...test, ...(invert ? { invert } : {}) }))
const cookieNames = ['sid', 'SID', 'a', 'b'] as const
const queryNames = ['a', 'b', 'A', 'a=b', 'x'] as const
const route: fc.Arbitrary<RouteConfig> = fc.record(
  {
    match: fc.record(
      {
        host: fc.oneof(hostPattern, fc.array(hostPattern, { minLength: 1, maxLength: 2 })),
        path: fc.oneof(path.map((prefix) => ({ prefix })), path.map((exact) => ({ exact })), fc.constantFrom({ regex: '^/api/v[0-9]+' }, { regex: 'users$' })),
        methods: fc.subarray(['GET', 'POST', 'PUT'], { minLength: 1 }),
        headers: fc.array(valueMatch(['x-a', 'X-A', 'x-b']), { maxLength: 1 }),
        cookies: fc.array(valueMatch(cookieNames), { minLength: 1, maxLength: 2 }),
        query: fc.array(valueMatch(queryNames), { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    pool: fc.constantFrom('p', 'q'),
  },
  { requiredKeys: ['match', 'pool'] },
)
/** Routes that mostly test cookies, query parameters and headers, so that the requests below often match some. */
const valueRoute: fc.Arbitrary<RouteConfig> = fc.record({
  match: fc.record(
    {
      path: fc.constantFrom({ prefix: '/' }, { prefix: '/a' }, { regex: '/a.*' }),
      headers: fc.array(valueMatch(['x-a']), { maxLength: 1 }),
      cookies: fc.array(valueMatch(cookieNames), { minLength: 1, maxLength: 2 }),
      query: fc.array(valueMatch(queryNames), { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: [] },
  ),
  pool: fc.constantFrom('p', 'q'),
})
/** A Cookie header near the edges of RFC 6265 §5.4 parsing: spaces, quotes, bare values, repeats, empty pieces. */
const cookiePiece = fc.oneof(
  fc.tuple(fc.constantFrom(...cookieNames, 'c'), fc.constantFrom('1', '2', '', '"1"', '"', '1=2', 'x y')).map(([n, v]) => `${n}=${v}`),
  fc.constantFrom(' sid = 1 ', '\tsid=\t"2"\t', 'sid', '1', '', '  ', 'a =', '= 1', 'sid=1 ;'),
)
const cookieHeader = fc.option(
  fc.tuple(fc.array(cookiePiece, { maxLength: 4 }), fc.constantFrom(';', '; ')).map(([pieces, sep]) => pieces.join(sep)),
  { nil: undefined },
)
/** A query string with repeated, bare, empty and look-alike parameters, and maybe a fragment holding one more. */
const queryPiece = fc.oneof(
  fc.tuple(fc.constantFrom('a', 'b', 'A', 'x', 'aa', 'a=b'), fc.constantFrom('1', '2', '', '1=2', '%20', '+')).map(([n, v]) => `${n}=${v}`),
  fc.constantFrom('a', 'b', '', '=1', 'a=b=c'),
)
const query = fc.tuple(fc.option(fc.array(queryPiece, { maxLength: 4 }).map((p) => `?${p.join('&')}`), { nil: '' }), fc.constantFrom('', '#', '#f', '#f?a=1&b=2', '#?x'))
const request = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    host: fc.option(fc.tuple(host, fc.constantFrom('', ':8080')).map(([h, p]) => h + p), { nil: undefined }),
    target: fc.tuple(path, query).map(([p, [q, f]]) => p + q + f),
    xa: fc.constantFrom(undefined, '1', '2', ''),
    cookie: cookieHeader,
  })
  .map((r): RouteRequest => ({ method: r.method, host: r.host, target: r.target, header: (n) => (n === 'x-a' ? r.xa : n === 'host' ? r.host : n === 'cookie' ? r.cookie : undefined), cookieHeader: () => r.cookie }))

/**
 * The reference model: what a route means, written out plainly from the configuration's
 * documentation and RFC 3986 / RFC 6265 §5.4, sharing no code with the engine's router.
 */
const reference = {
  /** Origin-form: the path ends at the first '?' or '#'; the query runs from that '?' to the next '#'. */
  path: (target: string) => target.split(/[?#]/)[0]!,
  query(target: string, name: string): string | undefined {
    const m = /^[^?#]*\?([^#]*)/.exec(target)
    if (m === null) return undefined
    for (const pair of m[1]!.split('&')) {
      const [n, ...v] = pair.split('=')
      if (n === name) return v.join('=')
    }
    return undefined
  },
  cookie(header: string | undefined, name: string): string | undefined {
    const trim = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '')
    for (const piece of header?.split(';') ?? []) {
      if (trim(piece) === '') continue
      const eq = piece.indexOf('=')
      const n = eq < 0 ? '' : trim(piece.slice(0, eq))
      let v = trim(eq < 0 ? piece : piece.slice(eq + 1))
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
      if (n === name) return v
    }
    return undefined
  },
  value(m: ValueMatch, value: string | undefined): boolean {
    const held =
      m.exact !== undefined ? value === m.exact
      : m.prefix !== undefined ? value !== undefined && value.startsWith(m.prefix)
      : m.regex !== undefined ? value !== undefined && new RegExp(`^(?:${m.regex})$`).test(value)
      : m.present === false ? value === undefined
      : value !== undefined
    return m.invert === true ? !held : held
  },
  host(pattern: string, raw: string | undefined): boolean {
    const h = (raw ?? '').replace(/:\d*$/, '').toLowerCase()
    const p = pattern.toLowerCase()
    return p === '*' || (p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p)
  },
  matches(route: RouteConfig, r: RouteRequest): boolean {
    const { host: hosts, path: pm, methods, headers, cookies, query } = route.match
    const path = reference.path(r.target)
    if (hosts !== undefined && ![hosts].flat().some((p) => reference.host(p, r.host))) return false
    if (pm !== undefined) {
      if ('prefix' in pm && !path.startsWith(pm.prefix)) return false
      if ('exact' in pm && path !== pm.exact) return false
      if ('regex' in pm && !new RegExp(`^(?:${pm.regex})$`).test(path)) return false
    }
    if (methods !== undefined && !methods.includes(r.method)) return false
    return (
      (headers ?? []).every((m) => reference.value(m, r.header(m.name.toLowerCase()))) &&
      (cookies ?? []).every((m) => reference.value(m, reference.cookie(r.cookieHeader(), m.name))) &&
      (query ?? []).every((m) => reference.value(m, reference.query(r.target, m.name)))
    )
  },
}

const show = (r: RouteRequest) => `${r.method} ${r.host} ${r.target} cookie ${JSON.stringify(r.cookieHeader())} x-a ${JSON.stringify(r.header('x-a'))}`

describe('route matching under fuzzing', () => {
  it('matches the first route, in order, whose own conditions hold (the indexed table agrees with a linear scan)', () => {
    fc.assert(
      fc.property(fc.array(route, { minLength: 1, maxLength: 8 }), fc.array(request, { minLength: 1, maxLength: 10 }), (routes, requests) => {
        const table = compileRouteTable(routes)
        for (const r of requests) {
          const linear = table.routes.find((c) => c.matches(r))
          expect(table.match(r)?.index, show(r)).toBe(linear?.index)
        }
      }),
      fuzzParams(300),
    )
  }, fuzzTimeoutMs)

  it('agrees with a reference model on every condition, cookies and query parameters included', () => {
    // How often a route with a cookie or a query condition was the one matched: the generators must keep reaching them.
    const won = { cookies: 0, query: 0, none: 0 }
    fc.assert(
      fc.property(fc.array(fc.oneof(valueRoute, route), { minLength: 1, maxLength: 6 }), fc.array(request, { minLength: 1, maxLength: 10 }), (routes, requests) => {
        const table = compileRouteTable(routes)
        for (const r of requests) {
          const expected = routes.findIndex((route) => reference.matches(route, r))
          expect(table.match(r)?.index ?? -1, show(r)).toBe(expected)
          const m = routes[expected]?.match
          if (m === undefined) won.none++
          if (m?.cookies !== undefined) won.cookies++
          if (m?.query !== undefined) won.query++
        }
      }),
      fuzzParams(500),
    )
    expect(won.cookies).toBeGreaterThan(0)
    expect(won.query).toBeGreaterThan(0)
    expect(won.none).toBeGreaterThan(0)
  }, fuzzTimeoutMs)

  it('reads one cookie or query parameter as the reference does, whatever the header or target', () => {
    const cookieName = fc.constantFrom(...cookieNames, 'c')
    const queryName = fc.constantFrom(...queryNames, 'aa')
    fc.assert(
      fc.property(cookieHeader, cookieName, fc.tuple(path, query).map(([p, [q, f]]) => p + q + f), queryName, (header, cn, target, qn) => {
        expect(getCookie(header, cn), `${JSON.stringify(header)} ${cn}`).toBe(reference.cookie(header, cn))
        expect(queryParam(target, qn), `${target} ${qn}`).toBe(reference.query(target, qn))
      }),
      fuzzParams(2000),
    )
  }, fuzzTimeoutMs)
})

const examples = fileURLToPath(new URL('../../engine/examples/', import.meta.url))
const exampleTexts = readdirSync(examples)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(examples + f, 'utf8'))

/** Loads a configuration text as `validate` does; only a coded EngineError may escape. */
function load(text: string): unknown {
  try {
    return validateDocument(lbConfigSchema, parseYaml(text, 'fuzz.yaml'), 'fuzz.yaml')
  } catch (e) {
    if (e instanceof EngineError) return e
    throw e
  }
}

describe('config loader under fuzzing', () => {
  it('round-trips: a loaded configuration written back as YAML loads to the same value', () => {
    for (const text of exampleTexts) {
      const once = load(text)
      expect(once).not.toBeInstanceOf(EngineError)
      expect(load(stringify(once))).toEqual(once)
    }
  })

  it('never throws anything but a coded error on mutated configurations', () => {
    const edits = fc.array(
      fc.record({ at: fc.nat(), cut: fc.nat({ max: 12 }), insert: fc.oneof(fc.constantFrom('', '\n', ': ', '- ', '[', ']', '{', '}', '&a ', '*a', '"', "'", '#', '!!binary ', '0x', '-1', '1e999', '~', '\t', '  '), fc.string({ maxLength: 6 })) }),
      { minLength: 1, maxLength: 5 },
    )
    fc.assert(
      fc.property(fc.constantFrom(...exampleTexts), edits, (text, list) => {
        let t = text
        for (const e of list) {
          const at = e.at % (t.length + 1)
          t = t.slice(0, at) + e.insert + t.slice(at + e.cut)
        }
        load(t)
      }),
      fuzzParams(200, { target: 'config-mutated', decode: (raw): [string, { at: number; cut: number; insert: string }[]] => [raw, []] }),
    )
  }, fuzzTimeoutMs)
})
