import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { describe, expect, it } from 'vitest'
import { lbConfigSchema } from '../../engine/config/lb-config.js'
import { parseYaml, validateDocument } from '../../engine/config/load-document.js'
import { EngineError } from '../../engine/errors.js'
import { compileRouteTable } from '../../engine/routing/route-table.js'
import type { RouteConfig, RouteRequest } from '../../engine/routing/route-types.js'
import { fuzzParams, fuzzTimeoutMs } from './fuzz-params.js'

const segment = fc.constantFrom('a', 'api', 'v1', 'users', 'A', '%2F', 'x.y', '')
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`)
const host = fc.constantFrom('example.test', 'api.example.test', 'EXAMPLE.test', 'other.test', 'a.b.example.test')
const hostPattern = fc.constantFrom('example.test', 'api.example.test', '*.example.test', 'other.test')
const route: fc.Arbitrary<RouteConfig> = fc.record(
  {
    match: fc.record(
      {
        host: fc.oneof(hostPattern, fc.array(hostPattern, { minLength: 1, maxLength: 2 })),
        path: fc.oneof(path.map((prefix) => ({ prefix })), path.map((exact) => ({ exact })), fc.constantFrom({ regex: '^/api/v[0-9]+' }, { regex: 'users$' })),
        methods: fc.subarray(['GET', 'POST', 'PUT'], { minLength: 1 }),
        headers: fc.array(fc.record({ name: fc.constantFrom('x-a', 'x-b'), exact: fc.constantFrom('1', '2') }), { maxLength: 1 }),
      },
      { requiredKeys: [] },
    ),
    pool: fc.constantFrom('p', 'q'),
  },
  { requiredKeys: ['match', 'pool'] },
)
const request = fc.record({ method: fc.constantFrom('GET', 'POST', 'DELETE'), host: fc.option(fc.tuple(host, fc.constantFrom('', ':8080')).map(([h, p]) => h + p), { nil: undefined }), target: fc.tuple(path, fc.constantFrom('', '?a=1')).map(([p, q]) => p + q), xa: fc.constantFrom(undefined, '1', '2') }).map(
  (r): RouteRequest => ({ method: r.method, host: r.host, target: r.target, header: (n) => (n === 'x-a' ? r.xa : n === 'host' ? r.host : undefined), cookieHeader: () => undefined }),
)

describe('route matching under fuzzing', () => {
  it('matches the first route, in order, whose own conditions hold (the indexed table agrees with a linear scan)', () => {
    fc.assert(
      fc.property(fc.array(route, { minLength: 1, maxLength: 8 }), fc.array(request, { minLength: 1, maxLength: 10 }), (routes, requests) => {
        const table = compileRouteTable(routes)
        for (const r of requests) {
          const linear = table.routes.find((c) => c.matches(r))
          expect(table.match(r)?.index, `${r.method} ${r.host} ${r.target}`).toBe(linear?.index)
        }
      }),
      fuzzParams(300),
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
