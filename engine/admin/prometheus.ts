/**
 * `/metrics`: the engine's statistics in Prometheus' text format (0.0.4), a pure function of the
 * `/stats` snapshot so the two always agree. `promtool check metrics` passes on a scraped
 * `/metrics` (test/engine/admin/metrics-promtool.test.ts); every metric added here follows the
 * same conventions, after https://prometheus.io/docs/practices/naming/ :
 *
 * - Names: `layerbench_<subsystem>_<what>[_<unit>][_total]`, snake_case; subsystems `listener`,
 *   `pool`, `backend`, `process` (and the ones coming: `filter`, `h2`, …), named after the thing
 *   the labels identify.
 * - Base units only, in the name: `_seconds` (never ms or µs: the engine's microseconds are divided
 *   here), `_bytes`, `_ratio` (0–1, not percent). `Exposition` throws on `_milliseconds`,
 *   `_microseconds`, `_percent`….
 * - Counters end in `_total`, only grow from the engine's start (runtime changes never reset
 *   them), and are counters even when small. Gauges are states and levels; booleans are 0/1.
 * - One meaning per name: where summing over a label would be meaningless, make two names
 *   (`…_received_bytes_total` and `…_sent_bytes_total`, not a `direction` label); where it adds
 *   up, a label (`class`, `code`, `result`, `mode`).
 * - Distributions are histograms with fixed buckets (`ENGINE_TIME_BOUNDS_US`: 5 µs to 10 s), never
 *   summaries: quantiles cannot be added across workers or engines, buckets can
 *   (`histogram_quantile(0.99, sum by (le) (rate(…_bucket[1m])))`). Exact percentiles stay in
 *   `/stats`.
 * - Labels: `listener`, `protocol`, `layer`; `pool`, `algorithm`; `pool`, `backend`, `address`.
 *   Bounded values only — never a path, a client address or a request id. Known values are listed
 *   with zeros (every status class) so a series exists before its first event and `rate()` sees
 *   the first one.
 */
import type { BucketSnapshot } from '../stats/bucket-histogram.js'
import type { EngineStats, ListenerStats, PoolStats } from '../stats/engine-stats.js'
import { Exposition, type HistogramSample } from './exposition.js'

export { escapeLabel } from './exposition.js'

/** Fixed µs buckets in seconds. */
export function bucketsInSeconds(b: BucketSnapshot): HistogramSample {
  return { bounds: b.boundsUs.map((us) => us / 1e6), counts: b.counts, count: b.count, sum: b.sumUs / 1e6 }
}

/** Renders a `/stats` snapshot as Prometheus text (0.0.4). */
export function renderPrometheus(s: EngineStats): string {
  const x = new Exposition('prometheus')
  x.gauge('layerbench_build_info', 'The engine version, as a label; always 1.', { version: s.version }, 1)
  x.gauge('layerbench_up', '1 while the engine runs, 0 while it drains.', {}, s.draining ? 0 : 1)
  x.gauge('layerbench_process_start_time_seconds', 'Start time of the engine, seconds since the epoch.', {}, Math.round((s.atUs / 1e6 - s.uptimeS) * 1000) / 1000)
  for (const mode of ['user', 'system'] as const) x.counter('layerbench_process_cpu_seconds_total', 'CPU time of the engine process, by mode.', { mode }, s.cpuUs[mode] / 1e6)
  for (const l of s.listeners) listenerMetrics(x, l)
  for (const p of s.pools) poolMetrics(x, p)
  return x.text()
}

function listenerMetrics(x: Exposition, l: ListenerStats): void {
  const base = { listener: l.name, protocol: l.protocol, layer: String(l.layer) }
  x.gauge('layerbench_listener_connections_active', 'Open client connections (UDP: flows).', base, l.connections.active)
  x.counter('layerbench_listener_connections_total', 'Client connections accepted.', base, l.connections.total)
  x.counter('layerbench_listener_connections_rejected_total', 'Client connections refused (limit, draining).', base, l.connections.rejected)
  x.counter('layerbench_listener_requests_total', 'Requests (layer 4: connections proxied; UDP: datagrams).', base, l.requests)
  for (const [cls, n] of Object.entries(l.responses)) x.counter('layerbench_listener_responses_total', 'Responses sent to clients, by status class.', { ...base, class: cls }, n)
  for (const [code, n] of Object.entries(l.errors)) x.counter('layerbench_listener_errors_total', 'Failures, by stable error code.', { ...base, code }, n)
  x.counter('layerbench_listener_received_bytes_total', 'Bytes received from clients.', base, l.bytes.fromClients)
  x.counter('layerbench_listener_sent_bytes_total', 'Bytes sent to clients.', base, l.bytes.toClients)
  x.histogram(
    'layerbench_listener_engine_time_seconds',
    'Time spent in the engine: layer 4 accept to backend connected; layer 7 head parsed to first byte sent upstream.',
    base,
    bucketsInSeconds(l.engineTimeBuckets),
  )
  for (const f of l.filters ?? []) {
    const fl = { ...base, filter: f.name, route: f.route }
    for (const [event, n] of Object.entries(f.counters)) {
      // Byte counts (a compressor's in and out) are bytes, not events.
      if (event.endsWith('Bytes')) x.counter('layerbench_listener_filter_bytes_total', 'Bytes through configured filters (a compressor’s in and out), by filter, route and what.', { ...fl, what: event.slice(0, -5) }, n)
      else x.counter('layerbench_listener_filter_events_total', 'Decisions of configured filters (allowed, limited, …), by filter, route and event.', { ...fl, event }, n)
    }
    for (const [what, n] of Object.entries(f.gauges)) x.gauge('layerbench_listener_filter_level', 'Levels kept by configured filters (keys tracked, …), by filter, route and what.', { ...fl, what }, n)
  }
}

function poolMetrics(x: Exposition, p: PoolStats): void {
  const base = { pool: p.name, algorithm: p.algorithm }
  x.gauge('layerbench_pool_ready_backends', 'Backends ready to take traffic.', base, p.readyBackends)
  x.counter('layerbench_pool_retries_total', 'Retries sent to another backend.', base, p.retries)
  x.counter('layerbench_pool_retries_refused_total', 'Retries refused by the retry budget.', base, p.retriesRefusedByBudget)
  x.counter('layerbench_pool_no_healthy_backend_total', 'Requests that found no ready backend.', base, p.noHealthyBackend)
  for (const b of p.backends) {
    const bl = { pool: p.name, backend: b.id, address: `${b.host}:${b.port}` }
    x.gauge('layerbench_backend_ready', '1 when the backend takes new traffic.', bl, b.ready ? 1 : 0)
    x.gauge('layerbench_backend_healthy', '1 while active health checks pass.', bl, b.healthy ? 1 : 0)
    x.gauge('layerbench_backend_ejected', '1 while passive outlier detection holds the backend out.', bl, b.ejected ? 1 : 0)
    x.gauge('layerbench_backend_draining', '1 while draining.', bl, b.draining ? 1 : 0)
    x.gauge('layerbench_backend_weight', 'Effective weight (lower during slow start, 0 when not ready).', bl, b.effectiveWeight)
    x.gauge('layerbench_backend_active_requests', 'Requests (layer 4: connections) in flight.', bl, b.active)
    x.gauge('layerbench_backend_connections_active', 'Open connections to the backend.', bl, b.connections.active)
    x.counter('layerbench_backend_picks_total', 'Times the balancer picked the backend.', bl, b.picks)
    x.counter('layerbench_backend_connections_total', 'Connections opened to the backend.', bl, b.connections.total)
    x.gauge('layerbench_backend_http2_sessions_active', 'Open upstream HTTP/2 sessions to the backend.', bl, b.http2.sessions.active)
    x.counter('layerbench_backend_http2_sessions_total', 'Upstream HTTP/2 sessions opened to the backend.', bl, b.http2.sessions.total)
    x.gauge('layerbench_backend_http2_streams_active', 'Streams in flight on the upstream HTTP/2 sessions to the backend.', bl, b.http2.streamsActive)
    x.counter('layerbench_backend_connect_failures_total', 'Failed connection attempts.', bl, b.connectFailures)
    x.counter('layerbench_backend_timeouts_total', 'Connect and response timeouts.', bl, b.timeouts)
    x.counter('layerbench_backend_requests_total', 'Requests sent to the backend.', bl, b.requests)
    x.counter('layerbench_backend_retries_total', 'Requests retried on another backend after failing on this one.', bl, b.retries)
    for (const [cls, n] of Object.entries(b.responses)) x.counter('layerbench_backend_responses_total', 'Responses from the backend, by status class.', { ...bl, class: cls }, n)
    x.counter('layerbench_backend_sent_bytes_total', 'Bytes sent to the backend.', bl, b.bytes.toBackend)
    x.counter('layerbench_backend_received_bytes_total', 'Bytes received from the backend.', bl, b.bytes.fromBackend)
    x.counter('layerbench_backend_ejections_total', 'Passive ejections.', bl, b.ejections)
    for (const result of ['passed', 'failed'] as const) x.counter('layerbench_backend_health_checks_total', 'Active health checks, by result.', { ...bl, result }, b.healthChecks[result])
  }
}
