import { createRequire } from 'node:module'
import net from 'node:net'
import { AutocannonTap, type AutocannonClient, type TapTotals } from './autocannon-tap.js'
import { defaultHostHeader } from './connections/http-request.js'
import { startCpuMeter } from './generator-cpu.js'
import { resolvePlan, type GeneratorAbilities, type ResolvedPlan } from './load-plan.js'
import { LoadRecorder } from './load-recorder.js'
import type { IntervalSample, LoadGenerator, LoadPlan, LoadSummary } from './load-types.js'
import { loadWarnings } from './load-warnings.js'

/** The counters of autocannon's own (documented) result that the tap's counts are reconciled with. */
export interface AutocannonCounters {
  /** Responses per status code. */
  readonly statusCodeStats: Record<string, { readonly count: number }>
  readonly non2xx: number
  /** Timer expiries, per connection. */
  readonly timeouts: number
  /** Connection errors plus timeouts, per event. */
  readonly errors: number
  /** Restarts of the request sequence (a `setupRequest` returned nothing): not failures. */
  readonly resets: number
}

interface AutocannonInstance {
  stop(): void
}
type Autocannon = (opts: Record<string, unknown>, done: (error: Error | null, result: AutocannonCounters) => void) => AutocannonInstance

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

/** What the autocannon generator speaks: HTTP/1.1 only, on kept-alive connections. */
export const AUTOCANNON_ABILITIES: GeneratorAbilities = { protocols: ['http', 'https'], newConnectionPerRequest: false, clients: false }

/** Requests still in flight this long after an abort are counted as `aborted`. */
const ABORT_GRACE_MS = 250

/**
 * Where the tap's per-request counts and autocannon's counters disagree, as warnings. Autocannon
 * counts every response and every timer expiry; the tap counts requests. `errors` (per event) and
 * `resets` (request-sequence restarts) have no per-request meaning and are not compared. Pure.
 */
export function reconcileAutocannon(theirs: AutocannonCounters, mine: TapTotals): string[] {
  const out: string[] = []
  const statuses = new Set([...Object.keys(theirs.statusCodeStats), ...Object.keys(mine.byStatus)])
  for (const status of [...statuses].sort()) {
    const a = Number(theirs.statusCodeStats[status]?.count ?? 0)
    const b = mine.byStatus[status] ?? 0
    if (a !== b) out.push(`autocannon counted ${a} responses with status ${status}, the per-request tap ${b}`)
  }
  if (theirs.non2xx !== mine.non2xx) out.push(`autocannon counted ${theirs.non2xx} non-2xx responses, the per-request tap ${mine.non2xx}`)
  if (mine.timeouts > theirs.timeouts) out.push(`the tap lost ${mine.timeouts} requests to timeouts, autocannon counted ${theirs.timeouts} expiries`)
  if (mine.unmatched > 0) out.push(`${mine.unmatched} responses matched no request sent`)
  return out
}

/** The autocannon options of a plan (rate, URL, request shape); `rest` carries the run's hooks. */
export function autocannonOptions(plan: ResolvedPlan, rest: Record<string, unknown>): Record<string, unknown> {
  const t = plan.target
  const host = net.isIPv6(t.host) ? `[${t.host}]` : t.host
  const shape = plan.http ?? {}
  const headers: Record<string, string> = { 'user-agent': 'layerbench', ...shape.headers }
  headers.host = shape.hostHeader ?? headers.host ?? headers.Host ?? defaultHostHeader(t)
  delete headers.Host
  if (shape.bodyBytes === 0) headers['content-length'] = '0'
  const perRequest = plan.headersPerRequest
  let n = 0
  return {
    url: `${plan.protocol}://${host}:${t.port}${shape.path ?? '/'}`,
    method: shape.method ?? 'GET',
    headers,
    ...(shape.bodyBytes !== undefined && shape.bodyBytes > 0 ? { body: Buffer.alloc(shape.bodyBytes, 'x') } : {}),
    ...(perRequest === undefined ? {} : { requests: [{ setupRequest: (r: { headers?: Record<string, string> }) => ({ ...r, headers: { ...r.headers, ...perRequest(n++) } }) }] }),
    connections: plan.maxRequests < plan.connections ? plan.maxRequests : plan.connections,
    pipelining: 1,
    ...(plan.mode === 'open' ? { overallRate: Math.max(1, Math.round(plan.rate!)) } : {}),
    // autocannon's timeout is in whole seconds, at least one.
    timeout: Math.max(1, plan.timeoutMs / 1000),
    // A safety bound only: the run stops its clients itself at the end of the measured time.
    duration: (plan.warmupMs + plan.durationMs + plan.timeoutMs) / 1000 + 1,
    sampleInt: 50,
    ...(plan.protocol === 'https' ? { servername: t.serverName ?? (net.isIP(t.host) === 0 ? t.host : undefined), tlsOptions: t.ca === undefined ? {} : { ca: t.ca } } : {}),
    ...rest,
  }
}

/**
 * HTTP load by autocannon (closed loop; `overallRate` for a paced run), measured per response at
 * µs resolution by {@link AutocannonTap} into the same recorder as the native generator. autocannon
 * never verifies server certificates.
 */
export function createAutocannonGenerator(): LoadGenerator {
  return {
    name: 'autocannon',
    async run(plan: LoadPlan, signal?: AbortSignal, onSample?: (s: IntervalSample) => void): Promise<LoadSummary> {
      const p = resolvePlan(plan, AUTOCANNON_ABILITIES)
      const clock = process.hrtime.bigint
      const cpu = startCpuMeter()
      const t0 = clock()
      const warmupEndNs = t0 + BigInt(Math.round(p.warmupMs * 1e6))
      const recorder = new LoadRecorder(warmupEndNs, p.intervalMs, onSample)
      const connections = Math.min(p.connections, p.maxRequests)
      // With overallRate below the connection count autocannon opens only overallRate connections.
      const paced = p.mode === 'open' ? Math.min(connections, Math.max(1, Math.round(p.rate!))) : undefined
      let stopNs: bigint | undefined
      let aborted = false
      const stop = () => {
        if (stopNs !== undefined) return
        stopNs = clock()
        tap.drain()
      }
      const tap = new AutocannonTap({
        clock,
        recorder,
        secure: p.protocol === 'https',
        warmupEndNs,
        timeoutNs: BigInt(Math.round(Math.max(1000, p.timeoutMs) * 1e6)),
        ...(paced === undefined ? {} : { expectedIntervalUs: (1e6 * paced) / p.rate! }),
        maxRequests: p.maxRequests,
        onCap: stop,
      })
      const timers: NodeJS.Timeout[] = [setTimeout(stop, p.warmupMs + p.durationMs), setInterval(() => recorder.advance(clock()), Math.min(250, p.intervalMs))]
      let instance: AutocannonInstance | undefined
      const onAbort = () => {
        aborted = true
        stop()
        timers.push(setTimeout(() => instance?.stop(), Math.min(ABORT_GRACE_MS, p.timeoutMs)))
      }
      const counters = await new Promise<AutocannonCounters>((resolve, reject) => {
        try {
          instance = autocannon(autocannonOptions(p, { setupClient: tap.setupClient }), (error, result) => (error === null ? resolve(result) : reject(error)))
        } catch (e) {
          reject(e)
        }
        if (signal?.aborted) onAbort()
        else signal?.addEventListener('abort', onAbort, { once: true })
      }).finally(() => {
        for (const t of timers) clearTimeout(t)
        signal?.removeEventListener('abort', onAbort)
      })
      tap.settle(aborted ? 'aborted' : 'timeout')
      const end = stopNs ?? clock()
      const elapsedMs = Math.max(0, Number(end - warmupEndNs) / 1e6)
      const generatorCpu = cpu.stop(tap.totals.sent)
      const achievedRate = elapsedMs > 0 ? recorder.sent / (elapsedMs / 1000) : 0
      const warnings = [
        ...loadWarnings({ cpuUtilisation: generatorCpu.utilisation, ...(p.mode === 'open' ? { requestedRate: p.rate! } : {}), achievedRate, sent: recorder.sent }),
        ...reconcileAutocannon(counters, tap.totals),
        ...(p.mode === 'open' ? ['autocannon paces each connection with a per-second budget and waits for each reply: not a constant-rate open loop; corrected latency is an HdrHistogram expected-interval estimate'] : []),
        ...(p.timeoutMs < 1000 ? [`autocannon times out after whole seconds: ${p.timeoutMs} ms became 1 s`] : []),
      ]
      return recorder.summary({ generator: 'autocannon', protocol: p.protocol, mode: p.mode, ...(p.mode === 'open' ? { requestedRate: p.rate! } : {}), elapsedMs, generatorCpu, warnings })
    },
  }
}

/** The autocannon generator. */
export const autocannonGenerator: LoadGenerator = createAutocannonGenerator()
