import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { haproxyPeerStats, parseShowStat } from '../../../harness/peers/haproxy/show-stat.js'

// `show stat` of HAProxy 2.6.12 after three HTTP requests through an http frontend and three
// connections through a tcp frontend, both to one server.
const sample = readFileSync(new URL('../../fixtures/peers/haproxy-show-stat.csv', import.meta.url), 'utf8')

describe('HAProxy show stat', () => {
  it('reads fields by the header’s names, keeping empty fields absent', () => {
    const lines = parseShowStat(sample)
    expect(lines.map((l) => `${l.proxy}/${l.service}:${l.type}`)).toEqual(['listener.web/FRONTEND:0', 'l7.p/a:2', 'l7.p/BACKEND:1', 'listener.raw/FRONTEND:0', 'l4.p/a:2', 'l4.p/BACKEND:1'])
    const web = lines[0]!
    expect(web.fields).toMatchObject({ stot: 3, req_tot: 3, hrsp_2xx: 3, conn_tot: 3, bin: 246 })
    // A tcp frontend has no status counts at all, not zeros.
    expect(lines[3]!.fields.hrsp_2xx).toBeUndefined()
  })

  it('maps frontends to listeners (observed counts) and servers to pool/backend counters; a pool on both layers adds up', () => {
    const stats = haproxyPeerStats(parseShowStat(sample), (p) => ({ 'listener.web': 'web', 'listener.raw': 'raw' })[p], (_proxy, server) => (server === 'a' ? 'p/a' : undefined))
    expect(stats.listeners.web).toEqual({ connections: 3, requests: 3, responses: { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 0, '5xx': 0 } })
    expect(stats.listeners.raw).toEqual({ connections: 3, requests: 0, responses: {} })
    expect(stats.counters['p/a lbtot']).toBe(6)
    expect(stats.counters['p/a req_tot']).toBe(3)
  })

  it('takes bad input without throwing: no header, short lines, words where numbers belong', () => {
    expect(parseShowStat('')).toEqual([])
    expect(parseShowStat('listener.web,FRONTEND,1,2\n')).toEqual([])
    const odd = parseShowStat('# pxname,svname,stot,type\nweb,FRONTEND,many,0\n,,\nonly\nweb,FRONTEND\n')
    expect(odd).toEqual([{ proxy: 'web', service: 'FRONTEND', type: 0, fields: { type: 0 } }, { proxy: 'web', service: 'FRONTEND', type: -1, fields: {} }])
    const none = haproxyPeerStats(odd, () => undefined, () => undefined)
    expect(none).toEqual({ source: 'haproxy show stat', listeners: {}, counters: {} })
  })
})
