import type { DataplaneReport, Spread } from './dataplane-model.js'

const range = (s: Spread, digits: number) => (s.min === s.max ? s.median.toFixed(digits) : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`)

/** What the load was, in words. */
export function describePlan(r: DataplaneReport): string {
  const p = r.plan
  const load =
    p.mode === 'low-rate'
      ? `${p.rate} req/s on ${p.connections} keep-alive connections`
      : p.mode === 'new-connection'
        ? `${p.connections} clients, a new connection per request`
        : `${p.connections} keep-alive connections`
  return `${load}${p.tls === undefined ? '' : `, TLS with ${p.tls} certificates`}, ${p.requests} requests × ${p.repeats} interleaved repeats`
}

/** Renders the data-plane report as a console table: medians, with the range over repeats where it matters. */
export function renderDataplaneTable(r: DataplaneReport): string {
  const hasDirect = r.measurements.some((m) => m.layer === 0)
  const perWhat = r.plan.mode === 'new-connection' ? 'conn' : 'req'
  const rows = r.measurements.map((m) => [
    m.name,
    m.layer === 0 ? '—' : `L${m.layer}`,
    m.median.rps.toFixed(0),
    m.median.latencyP50Us.toFixed(0),
    m.median.latencyP99Us.toFixed(0),
    m.layer === 0 || !hasDirect ? '—' : range(m.spread.addedP50Us, 0),
    m.layer === 0 || !hasDirect ? '—' : range(m.spread.addedP99Us, 0),
    m.layer === 0 ? '—' : range(m.spread.proxyCpuPerRequestUs, 1),
    m.median.backendCpuPerRequestUs.toFixed(1),
    m.median.clientCpuPerRequestUs.toFixed(1),
  ])
  const header = ['subject', 'layer', 'req/s', 'p50 µs', 'p99 µs', 'added p50 µs', 'added p99 µs', `proxy CPU µs/${perWhat}`, 'backend', 'client']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const lag = r.measurements.flatMap((m) => (m.median.sendLagP50Us === undefined ? [] : [m.median.sendLagP50Us]))
  const out = [
    `layerbench data-plane bench (${r.plan.mode}) — ${describePlan(r)} (medians, range over repeats)${r.cpu === undefined ? '' : `, steal ${(r.cpu.steal * 100).toFixed(1)}%`}`,
    `host: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}`,
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    '',
    ...(lag.length === 0 ? [] : [`client send lag p50: ${Math.min(...lag).toFixed(0)}–${Math.max(...lag).toFixed(0)} µs (the same pacer for every subject)`]),
    ...r.targets.map((t) => `${t.met ? '✓' : '✗'} ${t.name}: ${range(t.ratio, 2)}×`),
    ...((r.relative ?? []).length === 0 ? [] : ['', 'proxy CPU per request over its reference, paired by repeat (the filter chain: each filter over the empty chain):']),
    ...(r.relative ?? []).map((x) => `  ${x.subject}: ${range(x.ratio, 2)}× ${x.reference}`),
    ...r.warnings.map((w) => `warning: ${w}`),
  ]
  return out.join('\n')
}
