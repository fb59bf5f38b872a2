import { describe, expect, it } from 'vitest'
import { compileRouteTable } from '../../../engine/routing/route-table.js'
import { routeGenerator } from './random-routes.js'
import { referenceMatch } from './reference-router.js'
import { request } from './requests.js'

/**
 * The indexed table against a naive in-order evaluation of the configuration, over random tables
 * where routes overlap heavily and first-match order decides.
 */
describe('compileRouteTable: indexed matching equals naive first-match evaluation', () => {
  it.each([1, 2, 3, 4])('agrees on 1500 random requests over a random table of 1000 routes (seed %i)', (seed) => {
    const gen = routeGenerator(seed)
    const routes = gen.table(1000)
    const table = compileRouteTable(routes)
    const matchedIndices = new Set<number>()
    let unmatched = 0
    for (let n = 0; n < 1500; n++) {
      const spec = gen.requestSpec()
      const expected = referenceMatch(routes, spec)
      const got = table.match(request(spec))?.index ?? -1
      // Compared with the spec attached, so a failure shows the request that broke it.
      if (got !== expected) expect({ spec, got }).toEqual({ spec, got: expected })
      // Route-by-route evaluation of the compiled predicates agrees too (sampled: it is slow).
      if (n % 10 === 0) {
        const req = request(spec)
        expect(table.routes.findIndex((r) => r.matches(req))).toBe(expected)
      }
      if (expected < 0) unmatched++
      else matchedIndices.add(expected)
    }
    // The check only means something if matches land deep in the table and misses happen too.
    expect(matchedIndices.size).toBeGreaterThan(60)
    expect(Math.max(...matchedIndices)).toBeGreaterThan(500)
    expect(unmatched).toBeGreaterThan(50)
  })

  it('agrees on 300 random tables of 1 to 12 routes (sparse groups, empty index lists)', () => {
    const gen = routeGenerator(99, 0.1)
    let matched = 0
    for (let t = 0; t < 300; t++) {
      const routes = gen.table(1 + (t % 12))
      const table = compileRouteTable(routes)
      for (let n = 0; n < 20; n++) {
        const spec = gen.requestSpec()
        const expected = referenceMatch(routes, spec)
        const got = table.match(request(spec))?.index ?? -1
        if (got !== expected) expect({ routes, spec, got }).toEqual({ routes, spec, got: expected })
        if (expected >= 0) matched++
      }
    }
    expect(matched).toBeGreaterThan(500)
  })
})
