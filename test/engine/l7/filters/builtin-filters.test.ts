import { describe, expect, it } from 'vitest'
import { routeFilterConfigs } from '../../../../engine/l7/filters/route-filter-configs.js'
import { compileChain, EMPTY_CHAIN } from '../../../../engine/l7/filters/filter-chain.js'
import { forwardedHeadersFilter } from '../../../../engine/l7/filters/forwarded-headers.js'
import { headerEditsFilter } from '../../../../engine/l7/filters/header-edits-filter.js'
import { requestIdFilter } from '../../../../engine/l7/filters/request-id.js'
import { stickyCookieFilter } from '../../../../engine/l7/filters/sticky-cookie.js'
import { mergeEdits } from '../../../../engine/l7/header-edits.js'
import type { FilterConfig } from '../../../../engine/l7/filters/filter-config.js'
import { filterConformance, recorder } from './conformance.js'

describe('compileChain', () => {
  it('picks out, in order, the filters that have each hook', () => {
    const log: string[] = []
    const a = recorder('a', log)
    const edits = headerEditsFilter({ request: mergeEdits({ add: { 'x-a': '1' } }), response: mergeEdits() })
    const chain = compileChain([a, forwardedHeadersFilter, edits])
    expect(chain.onRequest).toEqual([a])
    expect(chain.onUpstreamRequest).toEqual([a, forwardedHeadersFilter, edits])
    expect(chain.onResponseHead).toEqual([a, edits])
    expect(chain.onResponseBody).toEqual([a])
    expect(chain.onDone).toEqual([a])
  })

  it('an empty chain has no hook to run at any stage', () => {
    for (const stage of ['onRequest', 'onUpstreamRequest', 'onResponseHead', 'onResponseBody', 'onDone'] as const) expect(EMPTY_CHAIN[stage]).toHaveLength(0)
  })
})

filterConformance('header-edits', () => headerEditsFilter({ request: mergeEdits({ add: { 'x-edit': 'yes' } }), response: mergeEdits({ remove: ['x-backend'] }) }))
filterConformance('forwarded-headers', () => forwardedHeadersFilter)
filterConformance('request-id', () => requestIdFilter(() => 'fixed-id'))
filterConformance('sticky-cookie', () => stickyCookieFilter)

describe('routeFilterConfigs', () => {
  it('a route entry takes the place of the listener entry of its type; the route’s others run after', () => {
    const listener = [{ type: 'security-headers', frameOptions: 'SAMEORIGIN' }] as unknown as FilterConfig[]
    const route = [{ type: 'security-headers', frameOptions: 'DENY' }] as unknown as FilterConfig[]
    expect(routeFilterConfigs(listener, route)).toEqual(route)
    expect(routeFilterConfigs(listener, [])).toEqual(listener)
    expect(routeFilterConfigs([], route)).toEqual(route)
  })
})
