import type { EngineStats } from '../stats/engine-stats.js'

/** Escapes a label value for the Prometheus text exposition format. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

type Labels = Record<string, string>

class Exposition {
  private readonly families = new Map<string, { help: string; type: string; lines: string[] }>()

  add(name: string, type: 'counter' | 'gauge' | 'summary', help: string, labels: Labels, value: number, suffix = ''): void {
    let f = this.families.get(name)
    if (f === undefined) this.families.set(name, (f = { help, type, lines: [] }))
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',')
    f.lines.push(`${name}${suffix}${l === '' ? '' : `{${l}}`} ${Number.isFinite(value) ? value : 0}`)
  }

  text(): string {
    let out = ''
    for (const [name, f] of this.families) out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`
    return out
  }
}

/**
 * Renders `/stats` in the Prometheus text exposition format (version 0.0.4). A pure function of
 * the snapshot, so `/metrics` and `/stats` always agree.
 */
export function renderPrometheus(s: EngineStats): string {
  const x = new Exposition()
  x.add('layerbench_up', 'gauge', '1 while the engine runs, 0 while it drains.', {}, s.draining ? 0 : 1)
  x.add('layerbench_process_cpu_seconds_total', 'counter', 'CPU time of the engine process.', { mode: 'user' }, s.cpuUs.user / 1e6)
  x.add('layerbench_process_cpu_seconds_total', 'counter', 'CPU time of the engine process.', { mode: 'system' }, s.cpuUs.system / 1e6)
  for (const l of s.listeners) {
    const base = { listener: l.name, protocol: l.protocol, layer: String(l.layer) }
    x.add('layerbench_listener_connections_active', 'gauge', 'Open client connections (UDP: flows).', base, l.connections.active)
    x.add('layerbench_listener_connections_total', 'counter', 'Client connections accepted.', base, l.connections.total)
    x.add('layerbench_listener_connections_rejected_total', 'counter', 'Client connections refused (limit, draining).', base, l.connections.rejected)
    x.add('layerbench_listener_requests_total', 'counter', 'Requests (layer 4: connections proxied; UDP: datagrams).', base, l.requests)
    for (const [cls, n] of Object.entries(l.responses)) x.add('layerbench_listener_responses_total', 'counter', 'Responses sent to clients by status class.', { ...base, class: cls }, n)
    for (const [code, n] of Object.entries(l.errors)) x.add('layerbench_listener_errors_total', 'counter', 'Failures by stable error code.', { ...base, code }, n)
    x.add('layerbench_listener_bytes_total', 'counter', 'Bytes exchanged with clients.', { ...base, direction: 'in' }, l.bytes.fromClients)
    x.add('layerbench_listener_bytes_total', 'counter', 'Bytes exchanged with clients.', { ...base, direction: 'out' }, l.bytes.toClients)
    const t = l.engineTimeUs
    for (const [q, v] of [['0.5', t.p50], ['0.9', t.p90], ['0.99', t.p99], ['0.999', t.p999]] as const) {
      x.add('layerbench_listener_engine_time_microseconds', 'summary', 'Time spent in the engine: L4 accept to backend connected; L7 head parsed to first byte sent upstream.', { ...base, quantile: q }, v)
    }
    x.add('layerbench_listener_engine_time_microseconds', 'summary', '', base, t.mean * t.count, '_sum')
    x.add('layerbench_listener_engine_time_microseconds', 'summary', '', base, t.count, '_count')
  }
  for (const p of s.pools) {
    const base = { pool: p.name, algorithm: p.algorithm }
    x.add('layerbench_pool_ready_backends', 'gauge', 'Backends ready to take traffic.', base, p.readyBackends)
    x.add('layerbench_pool_retries_total', 'counter', 'Retries sent to another backend.', base, p.retries)
    x.add('layerbench_pool_retries_refused_total', 'counter', 'Retries refused by the retry budget.', base, p.retriesRefusedByBudget)
    x.add('layerbench_pool_no_healthy_backend_total', 'counter', 'Requests that found no ready backend.', base, p.noHealthyBackend)
    for (const b of p.backends) {
      const bl = { pool: p.name, backend: b.id, address: `${b.host}:${b.port}` }
      x.add('layerbench_backend_ready', 'gauge', '1 when the backend takes new traffic.', bl, b.ready ? 1 : 0)
      x.add('layerbench_backend_healthy', 'gauge', 'Active health state.', bl, b.healthy ? 1 : 0)
      x.add('layerbench_backend_ejected', 'gauge', '1 while passive outlier detection holds the backend out.', bl, b.ejected ? 1 : 0)
      x.add('layerbench_backend_draining', 'gauge', '1 while draining.', bl, b.draining ? 1 : 0)
      x.add('layerbench_backend_weight', 'gauge', 'Effective weight.', bl, b.effectiveWeight)
      x.add('layerbench_backend_active_requests', 'gauge', 'Requests (layer 4: connections) in flight.', bl, b.active)
      x.add('layerbench_backend_picks_total', 'counter', 'Times the balancer picked the backend.', bl, b.picks)
      x.add('layerbench_backend_connections_total', 'counter', 'Connections opened to the backend.', bl, b.connections.total)
      x.add('layerbench_backend_connect_failures_total', 'counter', 'Failed connection attempts.', bl, b.connectFailures)
      x.add('layerbench_backend_timeouts_total', 'counter', 'Connect and response timeouts.', bl, b.timeouts)
      x.add('layerbench_backend_requests_total', 'counter', 'Requests sent to the backend.', bl, b.requests)
      for (const [cls, n] of Object.entries(b.responses)) x.add('layerbench_backend_responses_total', 'counter', 'Responses from the backend by status class.', { ...bl, class: cls }, n)
      x.add('layerbench_backend_bytes_total', 'counter', 'Bytes exchanged with the backend.', { ...bl, direction: 'out' }, b.bytes.toBackend)
      x.add('layerbench_backend_bytes_total', 'counter', 'Bytes exchanged with the backend.', { ...bl, direction: 'in' }, b.bytes.fromBackend)
      x.add('layerbench_backend_ejections_total', 'counter', 'Passive ejections.', bl, b.ejections)
      x.add('layerbench_backend_health_checks_total', 'counter', 'Active health checks by result.', { ...bl, result: 'passed' }, b.healthChecks.passed)
      x.add('layerbench_backend_health_checks_total', 'counter', 'Active health checks by result.', { ...bl, result: 'failed' }, b.healthChecks.failed)
    }
  }
  return x.text()
}
