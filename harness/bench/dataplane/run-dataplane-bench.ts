import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuUsage, readCpuTimes } from '../../system/cpu-stat.js'
import { machineFacts } from '../../system/environment.js'
import { PEER_NAMES, peerAvailable } from '../../peers/index.js'
import { closedLoop, type ClosedLoopResult } from './closed-loop-client.js'
import { benchCredentials, CHAIN_SUBJECTS } from './chain-subjects.js'
import { judgeTargets, measure, relativeCpu, type DataplanePlanFacts, type DataplaneReport, type DataplaneRun } from './dataplane-model.js'
import { SUBJECTS as PROXY_SUBJECTS, startBackend, type SubjectContext } from './dataplane-subjects.js'
import { benchCertificate, type CertificateKind } from './bench-certificate.js'
import { DATAPLANE_TARGETS } from './dataplane-targets.js'
import { fixedRate, type FixedRateResult } from './fixed-rate-client.js'

/** Every row: the proxies, then the filter chain's. */
const SUBJECTS = [...PROXY_SUBJECTS, ...CHAIN_SUBJECTS]

export type { DataplaneMeasurement, DataplaneMode, DataplaneReport, DataplaneRun, DataplaneSubject } from './dataplane-model.js'
export { renderDataplaneTable } from './dataplane-table.js'

/** What to run (a low rate defaults to 300 req/s). */
export interface DataplanePlan extends DataplanePlanFacts {
  /** Subject names to include (default: all available). */
  readonly only?: readonly string[]
  readonly onRun?: (subject: string, repeat: number, run: DataplaneRun) => void
}

/** A bench certificate of `kind`, as text and as files in `dir` (for the floor's command line). */
async function certificateFiles(kind: CertificateKind, dir: string): Promise<NonNullable<SubjectContext['certificate']>> {
  const c = await benchCertificate(kind)
  const certFile = join(dir, 'bench-cert.pem')
  const keyFile = join(dir, 'bench-key.pem')
  writeFileSync(certFile, c.cert)
  writeFileSync(keyFile, c.key, { mode: 0o600 })
  return { ...c, certFile, keyFile }
}

/**
 * The load of one run against `port`; `onStart` runs where the measurement begins: at once in a
 * closed loop, after the connections are open at a low rate (their set-up would otherwise be
 * charged to a few hundred requests).
 */
function load(plan: DataplanePlan, port: number, tls: boolean, headers: string | undefined, requests: number, onStart: () => void): Promise<ClosedLoopResult | FixedRateResult> {
  const extra = headers === undefined ? {} : { headers }
  if (plan.mode === 'low-rate') {
    const rate = plan.rate ?? 300
    // The schedule's own length, and room for the answers: a long run at a low rate is not cut.
    return fixedRate(port, { rate, requests, connections: plan.connections, tls, onStart, timeoutMs: Math.ceil((requests / rate) * 1000) + 30_000, ...extra })
  }
  onStart()
  return closedLoop(port, plan.connections, requests, { newConnections: plan.mode === 'new-connection', tls, ...extra })
}

/**
 * Measures the CPU each proxy spends per request and the latency it adds: the same load (see
 * `DataplaneMode`; fixed tiny responses) against the backend directly and through each subject,
 * subjects interleaved within every repeat so drift in the machine's speed hits them alike. Each
 * subject is started fresh and warmed up with a closed loop (so its JIT has compiled the request
 * path, as in a proxy that has run a while) before the measured run.
 */
export async function runDataplaneBench(plan: DataplanePlan): Promise<DataplaneReport> {
  const startedAt = new Date().toISOString()
  const warnings: string[] = []
  const missing = new Set<string>()
  for (const peer of PEER_NAMES.filter((p) => SUBJECTS.some((s) => s.name.startsWith(`${p}-`)))) {
    const a = await peerAvailable(peer)
    if (!a.available) {
      missing.add(peer)
      warnings.push(`${peer} is not available (${a.reason ?? 'not installed'}): its rows are missing (harness/setup/install-system.sh installs it)`)
    }
  }
  // With a certificate kind, the TLS rows (and direct, plain, as the latency reference); without, the plain ones.
  const wanted = (s: (typeof SUBJECTS)[number]) => (plan.tls === undefined ? !s.tls : s.tls || s.layer === 0)
  const subjects = SUBJECTS.filter((s) => !missing.has(s.name.split('-')[0]!) && wanted(s) && (plan.only === undefined || plan.only.includes(s.name)))
  const dir = mkdtempSync(join(tmpdir(), 'layerbench-dataplane-'))
  const backend = await startBackend()
  const ctx: SubjectContext = { backendPort: backend.port, dir, credentials: await benchCredentials(), ...(plan.tls === undefined ? {} : { certificate: await certificateFiles(plan.tls, dir) }) }
  const runs = new Map<string, DataplaneRun[]>(subjects.map((s) => [s.name, []]))
  const before = readCpuTimes()
  try {
    for (let repeat = 0; repeat < plan.repeats; repeat++) {
      let direct: { p50: number; p99: number } | undefined
      for (const subject of subjects) {
        const proxy = await subject.start(ctx)
        const tls = proxy !== undefined && subject.tls
        const headers = subject.requestHeaders?.(ctx)
        try {
          const port = proxy?.port ?? backend.port
          await closedLoop(port, Math.min(plan.connections, 16), plan.warmup, { newConnections: plan.mode === 'new-connection', tls, ...(headers === undefined ? {} : { headers }) })
          let proxyBefore = 0
          let backendBefore = 0
          let clientBefore = process.cpuUsage()
          const r = await load(plan, port, tls, headers, plan.requests, () => {
            proxyBefore = proxy?.cpuUs() ?? 0
            backendBefore = backend.cpuUs()
            clientBefore = process.cpuUsage()
          })
          const client = process.cpuUsage(clientBefore)
          const n = Math.max(r.requests, 1)
          if (proxy === undefined) direct = { p50: r.latencyUs.p50, p99: r.latencyUs.p99 }
          const run: DataplaneRun = {
            requests: r.requests,
            errors: r.errors,
            rps: r.requests / (r.elapsedMs / 1000),
            latencyP50Us: r.latencyUs.p50,
            latencyP99Us: r.latencyUs.p99,
            addedP50Us: proxy === undefined || direct === undefined ? 0 : r.latencyUs.p50 - direct.p50,
            addedP99Us: proxy === undefined || direct === undefined ? 0 : r.latencyUs.p99 - direct.p99,
            proxyCpuPerRequestUs: proxy === undefined ? 0 : (proxy.cpuUs() - proxyBefore) / n,
            backendCpuPerRequestUs: (backend.cpuUs() - backendBefore) / n,
            clientCpuPerRequestUs: (client.user + client.system) / n,
            ...('sendLagUs' in r ? { sendLagP50Us: r.sendLagUs.p50 } : {}),
          }
          if (r.errors > 0 || r.requests < plan.requests) warnings.push(`${subject.name}, repeat ${repeat + 1}: ${r.requests} of ${plan.requests} responses, ${r.errors} errors`)
          runs.get(subject.name)!.push(run)
          plan.onRun?.(subject.name, repeat, run)
        } finally {
          await proxy?.stop()
        }
      }
    }
  } finally {
    await backend.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  const after = readCpuTimes()
  const cpu = before !== undefined && after !== undefined ? cpuUsage(before, after) : undefined
  if (cpu !== undefined && cpu.steal > 0.1) warnings.push(`CPU steal was ${(cpu.steal * 100).toFixed(1)}% during the run: CPU-time figures are inflated`)
  if (!subjects.some((s) => s.name === 'direct')) warnings.push('direct was not run: no added latency')
  const measurements = subjects.map((s) => measure({ name: s.name, layer: s.layer, description: s.description, ...(s.relativeTo === undefined ? {} : { relativeTo: s.relativeTo }) }, runs.get(s.name)!))
  const ran = new Set(measurements.map((m) => m.name))
  const unjudged = new Set(DATAPLANE_TARGETS.filter((t) => t.modes.includes(plan.mode) && ran.has(t.subject) && !ran.has(t.reference)).map((t) => `${t.subject} is not judged against ${t.reference}: it did not run`))
  warnings.push(...unjudged)
  return {
    schema: 'layerbench/dataplane-bench@2',
    startedAt,
    machine: machineFacts(),
    ...(cpu === undefined ? {} : { cpu }),
    plan: {
      mode: plan.mode,
      connections: plan.connections,
      requests: plan.requests,
      warmup: plan.warmup,
      repeats: plan.repeats,
      ...(plan.mode === 'low-rate' ? { rate: plan.rate ?? 300 } : {}),
      ...(plan.tls === undefined ? {} : { tls: plan.tls }),
    },
    measurements,
    targets: judgeTargets(DATAPLANE_TARGETS, plan.mode, measurements),
    relative: relativeCpu(measurements),
    warnings,
  }
}
