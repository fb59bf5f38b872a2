import type { StatusClass } from '../../../engine/stats/counters.js'
import type { ObservedCounts, PeerStats } from '../peer-stats.js'

/** One line of HAProxy's `show stat`: its proxy, its service (FRONTEND, BACKEND or a server) and its fields by name. */
export interface StatLine {
  readonly proxy: string
  readonly service: string
  /** 0 frontend, 1 backend, 2 server, 3 listener. */
  readonly type: number
  /** Numeric fields; an empty field (not counted for this kind of line) is absent. */
  readonly fields: Readonly<Record<string, number>>
}

/**
 * Parses `show stat` (CSV with a `# ` header naming the fields, as in HAProxy's management guide
 * §9.1). Fields are read by name, so columns added by later versions do not shift anything; lines
 * without a proxy and service are skipped.
 */
export function parseShowStat(text: string): StatLine[] {
  const lines = text.split('\n')
  const headerLine = lines.find((l) => l.startsWith('# '))
  if (headerLine === undefined) return []
  const header = headerLine.slice(2).split(',')
  const out: StatLine[] = []
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue
    const cells = line.split(',')
    const [proxy, service] = cells
    if (proxy === undefined || service === undefined || proxy === '' || service === '') continue
    const fields: Record<string, number> = {}
    header.forEach((name, i) => {
      const cell = cells[i]
      if (name === '' || name === '-' || cell === undefined || cell === '' || !/^-?\d+$/.test(cell)) return
      fields[name] = Number(cell)
    })
    out.push({ proxy, service, type: fields.type ?? -1, fields })
  }
  return out
}

const CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx']
/** Server and backend figures kept as counters: selections, requests, errors, retries, bytes. */
const SERVER_FIELDS = ['lbtot', 'req_tot', 'hrsp_2xx', 'hrsp_4xx', 'hrsp_5xx', 'econ', 'eresp', 'wretr', 'wredis', 'chkfail', 'bin', 'bout'] as const

/**
 * The engine's view of `show stat`: each frontend (`frontendOf` maps a frontend back to its
 * listener) as observed counts — connections from `conn_tot`, requests from `req_tot` (a TCP
 * frontend parses none), statuses from `hrsp_*` — and each server's counters under
 * `pool/backend` (`serverOf` maps `proxy/server` back). Unknown proxies are left out.
 */
export function haproxyPeerStats(lines: readonly StatLine[], frontendOf: (proxy: string) => string | undefined, serverOf: (proxy: string, server: string) => string | undefined): PeerStats {
  const listeners: Record<string, ObservedCounts> = {}
  const counters: Record<string, number> = {}
  for (const l of lines) {
    if (l.type === 0) {
      const listener = frontendOf(l.proxy)
      if (listener === undefined) continue
      const responses: Partial<Record<StatusClass, number>> = {}
      for (const c of CLASSES) if (l.fields[`hrsp_${c}`] !== undefined) responses[c] = l.fields[`hrsp_${c}`]!
      listeners[listener] = { connections: l.fields.conn_tot ?? l.fields.stot ?? 0, requests: l.fields.req_tot ?? 0, responses }
    } else if (l.type === 2) {
      const backend = serverOf(l.proxy, l.service)
      if (backend === undefined) continue
      // A pool reached from both layers has an HAProxy backend per mode: their counts add up.
      for (const f of SERVER_FIELDS) if (l.fields[f] !== undefined) counters[`${backend} ${f}`] = (counters[`${backend} ${f}`] ?? 0) + l.fields[f]!
    }
  }
  return { source: 'haproxy show stat', listeners, counters }
}
