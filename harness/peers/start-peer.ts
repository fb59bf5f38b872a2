import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { listenerLayer, parseEndpoint, type LbConfig } from '../../engine/config/lb-config.js'
import { Unsupported, type BalancerControl, type BoundListener, type RunningBalancer } from '../runner/balancer-process.js'
import { processCpuUs } from '../system/process-cpu.js'
import { haproxyConfig, haproxySocketPath } from './haproxy-config.js'
import { HaproxyRuntime } from './haproxy-runtime.js'
import { nginxConfig } from './nginx-config.js'
import { findPeer, type PeerInstall } from './peer-binaries.js'
import { resolveCertificates } from './peer-certificates.js'
import { allocatePorts, checkConfig, childPids, spawnPeer, stopTree, waitBound, type PeerChild } from './peer-process.js'
import { peerSupport } from './peer-support.js'
import type { Peer, PeerConfigOutput } from './peer-types.js'

/** How long a peer may take to bind its listeners. */
const START_TIMEOUT_MS = 15_000
/** How often HAProxy's server states are read when health checks can change them. */
const HEALTH_POLL_MS = 200

/**
 * Runs HAProxy or nginx as the balancer under test, configured from the same `LbConfig` as the
 * engine: ports are allocated on each listener's host (a listener's fixed port is kept), the
 * configuration and its files go to a fresh folder inside `dir`, the tool checks the configuration
 * itself, and the peer runs in the foreground until `stop`. Rejects when the peer cannot
 * run the configuration (see `peerSupport`), is not installed, rejects its configuration or does
 * not bind its listeners.
 */
export async function startPeer(peer: Peer, config: LbConfig, dir: string): Promise<RunningBalancer> {
  const support = peerSupport(peer, config)
  if (!support.runnable) throw new Error(`${peer} cannot run this configuration:\n${support.unsupported.map((u) => `  - ${u}`).join('\n')}`)
  const install = await findPeer(peer)
  const runDir = resolve(dir, `${peer}-${process.pid}-${Date.now()}`)
  mkdirSync(runDir, { recursive: true })
  const ports = await allocatePorts(config)
  const input = { config, dir: runDir, ports, certificates: await resolveCertificates(config) }
  let generated: PeerConfigOutput
  if (peer === 'haproxy') {
    generated = haproxyConfig(input)
  } else {
    if (install.streamMissing === true && config.listeners.some((l) => listenerLayer(l.protocol) === 4)) throw new Error('nginx has no stream module: tcp, udp and tls listeners cannot run')
    generated = nginxConfig(input, install.streamModule === undefined ? {} : { streamModule: install.streamModule })
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(runDir, 'temp', t), { recursive: true })
  }
  for (const f of generated.files) {
    mkdirSync(dirname(f.path), { recursive: true })
    writeFileSync(f.path, f.content, { mode: f.secret === true ? 0o600 : 0o644 })
    if (f.secret === true) chmodSync(f.path, 0o600)
  }
  await checkConfig(install.binary, checkArgs(peer, generated.configPath, runDir), `the generated ${peer} configuration ${generated.configPath}`)

  const started = spawnPeer(install.binary, runArgs(peer, generated.configPath, runDir))
  const listeners = new Map<string, BoundListener>()
  for (const l of config.listeners) {
    listeners.set(l.name, { name: l.name, protocol: l.protocol, layer: listenerLayer(l.protocol), host: parseEndpoint(l.bind)!.host, port: ports[l.name]! })
  }
  try {
    await waitBound(
      started,
      config.listeners.map((l) => ({ port: ports[l.name]!, udp: l.protocol === 'udp' })),
      START_TIMEOUT_MS,
    )
  } catch (e) {
    await stopTree(started.child)
    throw new Error(`${peer} ${(e as Error).message}`)
  }
  return peer === 'haproxy' ? haproxyBalancer(install, config, runDir, started, listeners) : nginxBalancer(install, started, listeners)
}

function checkArgs(peer: Peer, configPath: string, dir: string): string[] {
  return peer === 'haproxy' ? ['-c', '-q', '-f', configPath] : ['-t', '-q', '-c', configPath, '-p', `${dir}/`, '-e', 'stderr']
}

function runArgs(peer: Peer, configPath: string, dir: string): string[] {
  // -db: foreground, no daemon; nginx's configuration says `daemon off` itself.
  return peer === 'haproxy' ? ['-db', '-f', configPath] : ['-c', configPath, '-p', `${dir}/`, '-e', 'stderr']
}

function haproxyBalancer(install: PeerInstall, config: LbConfig, dir: string, started: PeerChild, listeners: Map<string, BoundListener>): RunningBalancer {
  const pid = started.child.pid!
  const runtime = new HaproxyRuntime(haproxySocketPath(dir), config, dir)
  // Checks change states between the runner's polls: read them often enough to time transitions.
  const poller = Object.values(config.pools).some((p) => p.healthCheck !== undefined) ? setInterval(() => void runtime.poll().catch(() => {}), HEALTH_POLL_MS) : undefined
  poller?.unref()
  return {
    implementation: 'haproxy',
    version: install.version,
    pid,
    listeners,
    pollEvents: () => runtime.pollEvents(),
    stats: async () => undefined,
    cpuUs: () => processCpuUs(pid),
    setWeight: (pool, backend, weight) => runtime.setWeight(pool, backend, weight),
    setDraining: (pool, backend, draining) => runtime.setDraining(pool, backend, draining),
    addBackend: (pool, backend) => runtime.addBackend(pool, backend),
    removeBackend: (pool, backend) => runtime.removeBackend(pool, backend),
    async stop() {
      if (poller !== undefined) clearInterval(poller)
      await stopTree(started.child)
      rmSync(haproxySocketPath(dir), { force: true })
    },
  }
}

const NGINX_NO_RUNTIME = 'nginx open source has no runtime API: weights and membership change only on reload'

function nginxBalancer(install: PeerInstall, started: PeerChild, listeners: Map<string, BoundListener>): RunningBalancer {
  const pid = started.child.pid!
  const unsupported = async () => {
    throw new Unsupported(NGINX_NO_RUNTIME)
  }
  const control: BalancerControl = { setWeight: unsupported, setDraining: unsupported, addBackend: unsupported, removeBackend: unsupported }
  return {
    implementation: 'nginx',
    version: install.version,
    pid,
    listeners,
    ...control,
    pollEvents: async () => [],
    stats: async () => undefined,
    cpuUs() {
      // The master and its workers: the worker does the proxying.
      const own = processCpuUs(pid)
      if (own === undefined) return undefined
      return childPids(pid).reduce((sum, c) => sum + (processCpuUs(c) ?? 0), own)
    },
    stop: () => stopTree(started.child),
  }
}
