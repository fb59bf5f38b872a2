import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuUsage, readCpuTimes, type CpuUsage } from '../../system/cpu-stat.js'
import { processCpuUs as cpuOf } from '../../system/process-cpu.js'
import { machineFacts, type MachineFacts } from '../../system/environment.js'
import { closedLoop } from './closed-loop-client.js'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { isPeerName, PEER_NAMES, peerAvailable, startPeer } from '../../peers/index.js'
import { startEngineProcess } from '../../runner/balancer-process.js'
import { layerbenchVersion } from '../../system/environment.js'

/** One proxy (or none) measured in front of the same backend. */
export interface DataplaneSubject {
  readonly name: string
  /** 0 for the direct run (no proxy). */
  readonly layer: 0 | 4 | 7
  readonly description: string
}

/** One measured run of one subject. */
export interface DataplaneRun {
  readonly requests: number
  readonly errors: number
  readonly rps: number
  readonly latencyP50Us: number
  readonly latencyP99Us: number
  /** CPU time of the proxy process per request, µs (0 for the direct run). */
  readonly proxyCpuPerRequestUs: number
  readonly backendCpuPerRequestUs: number
  readonly clientCpuPerRequestUs: number
}

/** A subject's runs and their medians. */
export interface DataplaneMeasurement extends DataplaneSubject {
  readonly runs: readonly DataplaneRun[]
  readonly median: DataplaneRun
}

/** The data-plane report: one model, rendered as a table and saved as JSON. */
export interface DataplaneReport {
  readonly schema: 'layerbench/dataplane-bench@1'
  readonly startedAt: string
  readonly machine: MachineFacts
  readonly cpu?: CpuUsage
  readonly plan: { readonly connections: number; readonly requests: number; readonly warmup: number; readonly repeats: number; readonly newConnections: boolean }
  readonly measurements: readonly DataplaneMeasurement[]
  readonly targets: readonly { readonly name: string; readonly limitUs: number; readonly measuredUs: number; readonly met: boolean }[]
  readonly warnings: readonly string[]
}

/** The targets: engine CPU per keep-alive request (the new-connection mode has none). */
export const DATAPLANE_TARGETS = [
  { subject: 'engine-l4', limitUs: 40 },
  { subject: 'engine-l7', limitUs: 100 },
] as const

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

interface Started {
  readonly port: number
  /** CPU time of the subject's processes so far, µs. */
  cpuUs(): number
  stop(): Promise<void>
}

/** Spawns a child that prints a line matching `ready`, and returns its port. */
function startChild(command: string, args: string[], ready: RegExp): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const fail = (why: string) => reject(new Error(`${command} ${args.join(' ')}: ${why}\n${err}`))
    child.once('exit', (code) => fail(`exited with ${code}`))
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = ready.exec(out)
      if (m === null) return
      child.removeAllListeners('exit')
      resolve({
        port: Number(m[1]),
        cpuUs: () => cpuOf(child.pid!) ?? 0,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
            setTimeout(() => child.kill('SIGKILL'), 3000).unref()
          }),
      })
    })
  })
}

/** One listener in front of the backend, as the engine, HAProxy and nginx are all configured. */
function benchConfig(layer: 4 | 7, backendPort: number) {
  return parseLbConfig(
    {
      listeners: [
        layer === 4
          ? { name: 'bench', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'backend' }
          : { name: 'bench', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'backend' }], headers: { forwarded: true, requestId: false } },
      ],
      pools: { backend: { backends: [{ host: '127.0.0.1', port: backendPort }] } },
    },
    'bench',
  )
}

/** Starts one subject in front of `backendPort`; `undefined` for the direct run. */
async function startSubject(subject: string, backendPort: number, dir: string): Promise<Started | undefined> {
  if (subject === 'direct') return undefined
  if (subject.startsWith('naive-')) return startChild(process.execPath, [here('./naive-proxies.js'), subject.slice(6), '0', String(backendPort)], /ready (\d+)/)
  const [kind, l] = subject.split('-') as [string, string]
  const config = benchConfig(l === 'l4' ? 4 : 7, backendPort)
  const balancer = isPeerName(kind) ? await startPeer(kind, config, dir) : await startEngineProcess(config, dir, layerbenchVersion())
  return { port: balancer.listeners.get('bench')!.port, cpuUs: () => balancer.cpuUs() ?? 0, stop: () => balancer.stop() }
}

const SUBJECTS: readonly DataplaneSubject[] = [
  { name: 'direct', layer: 0, description: 'client → backend, no proxy' },
  { name: 'engine-l4', layer: 4, description: 'layerbench engine, tcp listener' },
  { name: 'engine-l7', layer: 7, description: 'layerbench engine, http listener (X-Forwarded-For on)' },
  { name: 'naive-pipe', layer: 4, description: 'Node net server piping to a backend socket' },
  { name: 'naive-http', layer: 7, description: 'Node http server forwarding with a keep-alive Agent' },
  { name: 'haproxy-l4', layer: 4, description: 'HAProxy mode tcp, 1 thread' },
  { name: 'haproxy-l7', layer: 7, description: 'HAProxy mode http, option forwardfor, http-reuse always, 1 thread' },
  { name: 'nginx-l4', layer: 4, description: 'nginx stream proxy, 1 worker' },
  { name: 'nginx-l7', layer: 7, description: 'nginx http proxy with upstream keepalive, 1 worker' },
]

function median(runs: readonly DataplaneRun[]): DataplaneRun {
  const pick = (f: (r: DataplaneRun) => number) => {
    const v = runs.map(f).sort((a, b) => a - b)
    return v[Math.floor((v.length - 1) / 2)]!
  }
  return {
    requests: pick((r) => r.requests),
    errors: pick((r) => r.errors),
    rps: pick((r) => r.rps),
    latencyP50Us: pick((r) => r.latencyP50Us),
    latencyP99Us: pick((r) => r.latencyP99Us),
    proxyCpuPerRequestUs: pick((r) => r.proxyCpuPerRequestUs),
    backendCpuPerRequestUs: pick((r) => r.backendCpuPerRequestUs),
    clientCpuPerRequestUs: pick((r) => r.clientCpuPerRequestUs),
  }
}

/** What to run. */
export interface DataplanePlan {
  readonly connections: number
  readonly requests: number
  readonly warmup: number
  readonly repeats: number
  /** A new client connection per request (see `ClosedLoopOptions.newConnections`) instead of keep-alive. */
  readonly newConnections?: boolean
  /** Subject names to include (default: all available). */
  readonly only?: readonly string[]
  readonly onRun?: (subject: string, repeat: number, run: DataplaneRun) => void
}

/**
 * Measures the CPU each proxy spends per request: the same closed-loop load (keep-alive
 * connections, or a new connection per request; fixed tiny responses) against the backend directly
 * and through each subject, subjects interleaved within every repeat so drift in the machine's
 * speed hits them alike.
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
  const subjects = SUBJECTS.filter((s) => !missing.has(s.name.split('-')[0]!) && (plan.only === undefined || plan.only.includes(s.name)))
  const dir = mkdtempSync(join(tmpdir(), 'layerbench-dataplane-'))
  const backend = await startChild(process.execPath, [here('./fixed-response-server.js'), '0'], /ready (\d+)/)
  const runs = new Map<string, DataplaneRun[]>(subjects.map((s) => [s.name, []]))
  const before = readCpuTimes()
  try {
    for (let repeat = 0; repeat < plan.repeats; repeat++) {
      for (const subject of subjects) {
        const proxy = await startSubject(subject.name, backend.port, dir)
        try {
          const port = proxy?.port ?? backend.port
          const mode = { newConnections: plan.newConnections === true }
          await closedLoop(port, plan.connections, plan.warmup, mode)
          const proxyBefore = proxy?.cpuUs() ?? 0
          const backendBefore = backend.cpuUs()
          const clientBefore = process.cpuUsage()
          const r = await closedLoop(port, plan.connections, plan.requests, mode)
          const client = process.cpuUsage(clientBefore)
          const n = Math.max(r.requests, 1)
          const run: DataplaneRun = {
            requests: r.requests,
            errors: r.errors,
            rps: r.requests / (r.elapsedMs / 1000),
            latencyP50Us: r.latencyUs.p50,
            latencyP99Us: r.latencyUs.p99,
            proxyCpuPerRequestUs: proxy === undefined ? 0 : (proxy.cpuUs() - proxyBefore) / n,
            backendCpuPerRequestUs: (backend.cpuUs() - backendBefore) / n,
            clientCpuPerRequestUs: (client.user + client.system) / n,
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
  const measurements = subjects.map((s) => ({ ...s, runs: runs.get(s.name)!, median: median(runs.get(s.name)!) }))
  const targets = (plan.newConnections === true ? [] : DATAPLANE_TARGETS).flatMap((t) => {
    const m = measurements.find((x) => x.name === t.subject)
    return m === undefined ? [] : [{ name: `${t.subject} CPU per keep-alive request ≤ ${t.limitUs} µs`, limitUs: t.limitUs, measuredUs: m.median.proxyCpuPerRequestUs, met: m.median.proxyCpuPerRequestUs <= t.limitUs }]
  })
  return {
    schema: 'layerbench/dataplane-bench@1',
    startedAt,
    machine: machineFacts(),
    ...(cpu === undefined ? {} : { cpu }),
    plan: { connections: plan.connections, requests: plan.requests, warmup: plan.warmup, repeats: plan.repeats, newConnections: plan.newConnections === true },
    measurements,
    targets,
    warnings,
  }
}

/** Renders the data-plane report as a console table. */
export function renderDataplaneTable(r: DataplaneReport): string {
  const rows = r.measurements.map((m) => [
    m.name,
    m.layer === 0 ? '—' : `L${m.layer}`,
    m.median.rps.toFixed(0),
    m.median.latencyP50Us.toFixed(0),
    m.median.latencyP99Us.toFixed(0),
    m.layer === 0 ? '—' : m.median.proxyCpuPerRequestUs.toFixed(1),
    m.median.backendCpuPerRequestUs.toFixed(1),
    m.median.clientCpuPerRequestUs.toFixed(1),
  ])
  const header = ['subject', 'layer', 'req/s', 'p50 µs', 'p99 µs', 'proxy CPU µs/req', 'backend', 'client']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const out = [
    `layerbench data-plane bench — ${r.plan.newConnections ? `${r.plan.connections} clients, a new connection per request` : `${r.plan.connections} keep-alive connections`}, ${r.plan.requests} requests × ${r.plan.repeats} interleaved repeats (medians)${r.cpu === undefined ? '' : `, steal ${(r.cpu.steal * 100).toFixed(1)}%`}`,
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    '',
    ...r.targets.map((t) => `${t.met ? '✓' : '✗'} ${t.name}: ${t.measuredUs.toFixed(1)} µs`),
    ...r.warnings.map((w) => `warning: ${w}`),
  ]
  return out.join('\n')
}
