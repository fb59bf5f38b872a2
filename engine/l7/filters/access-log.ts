import pino from 'pino'
import type { AccessLogConfig } from './filter-config.js'
import type { Filter, FilterContext, FilterEnv } from './filter.js'

/** Times of one request's stages, ms (env clock). */
interface Timing {
  firstByteAt: number
}

const round = (ms: number) => Math.round(ms * 1000) / 1000

/** Apache's `[10/Oct/2000:13:55:36 +0000]` time, in UTC. */
function clfTime(ms: number): string {
  const d = new Date(ms)
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
}

const quoted = (s: string | undefined) => (s === undefined ? '"-"' : JSON.stringify(s))

/** One request's record, as both formats see it. */
export interface AccessRecord {
  readonly time: number
  readonly client: string
  readonly method: string
  readonly target: string
  readonly version: string
  readonly status: number
  /** Body bytes the client received (after any transform such as compression). */
  readonly bytes: number
  readonly route: string | undefined
  readonly backend: string | undefined
  readonly referer: string | undefined
  readonly userAgent: string | undefined
  /** Who the request is, as an auth filter found (`sub:…`, `key:…`). */
  readonly identity: string | undefined
  /** Head begun (the accept, for a connection's first request) → head parsed, ms. */
  readonly headMs: number
  /** Head parsed → upstream connection ready (new or kept-alive), → first response byte, → done; ms. */
  readonly connectMs: number | undefined
  readonly firstByteMs: number | undefined
  readonly totalMs: number
  readonly decisions: Readonly<Record<string, string>> | undefined
}

/** The JSON line of a record (time as ISO 8601). */
export function jsonLine(r: AccessRecord): string {
  return `${JSON.stringify({ ...r, time: new Date(r.time).toISOString() })}\n`
}

/** The combined log format line of a record, with route, backend, timings and decisions after it. */
export function combinedLine(r: AccessRecord): string {
  const extra = `route=${r.route ?? '-'} backend=${r.backend ?? '-'} identity=${r.identity ?? '-'} head_ms=${r.headMs} connect_ms=${r.connectMs ?? '-'} first_byte_ms=${r.firstByteMs ?? '-'} total_ms=${r.totalMs}`
  const decisions = r.decisions === undefined ? '' : Object.entries(r.decisions).map(([k, v]) => ` ${k}=${v}`).join('')
  return `${r.client} - - [${clfTime(r.time)}] "${r.method} ${r.target} HTTP/${r.version}" ${r.status} ${r.bytes} ${quoted(r.referer)} ${quoted(r.userAgent)} ${extra}${decisions}\n`
}

/**
 * One line per request, written off the hot path through pino's asynchronous destination: JSON or the
 * combined format, with status, bytes, route, backend, identity, the filters' decisions (rate-limit,
 * auth) and timings (accept → head parsed, → upstream connection, → first byte, → done). When the
 * writer falls behind by more than `maxBufferedBytes`, lines are dropped and counted: requests =
 * lines + dropped, shown in /stats. The listener's stop writes out what is buffered, so once the
 * engine has stopped the file holds exactly `lines` lines; a request ending after that is dropped.
 */
export function accessLogFilter(config: AccessLogConfig, env: FilterEnv): Filter {
  const dest = pino.destination({ dest: config.destination === 'stdout' ? 1 : config.destination.file, sync: false, maxLength: config.maxBufferedBytes, mkdir: true })
  const counts = { requests: 0, lines: 0, dropped: 0 }
  let closed: Promise<void> | undefined
  dest.on('drop', () => {
    counts.dropped++
    counts.lines--
  })
  const line = config.format === 'json' ? jsonLine : combinedLine
  const timings = new WeakMap<FilterContext, Timing>()
  const timing = (ctx: FilterContext): Timing => {
    let t = timings.get(ctx)
    if (t === undefined) timings.set(ctx, (t = { firstByteAt: 0 }))
    return t
  }
  return {
    name: 'access-log',
    onResponseHead(ctx) {
      timing(ctx).firstByteAt = env.nowMs()
    },
    onDone(ctx, outcome) {
      const now = env.nowMs()
      const t = timings.get(ctx)
      const since = (at: number | undefined) => (at === undefined || at === 0 ? undefined : round(at - ctx.headParsedAt))
      const r: AccessRecord = {
        time: env.wallMs(),
        client: ctx.client.address,
        method: ctx.request.method,
        target: ctx.request.target,
        version: ctx.request.version,
        status: outcome.status,
        bytes: outcome.bodyBytes,
        route: ctx.routeName,
        backend: ctx.backend?.id,
        referer: ctx.request.get('referer'),
        userAgent: ctx.request.get('user-agent'),
        identity: ctx.identity,
        headMs: round(ctx.headParsedAt - ctx.headStartedAt),
        connectMs: since(ctx.connectedAt),
        firstByteMs: since(t?.firstByteAt),
        totalMs: round(now - ctx.headParsedAt),
        decisions: ctx.decisions,
      }
      counts.requests++
      if (closed !== undefined) {
        counts.dropped++
        return
      }
      counts.lines++
      dest.write(line(r))
    },
    stats: () => ({ counters: { ...counts } }),
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        // end() writes out the buffer, then closes the file (never stdout itself).
        dest.once('close', () => resolve())
        dest.once('error', () => resolve())
        dest.end()
      })),
  }
}
