import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { listenerLayer, parseEndpoint, type LbConfig } from '../../engine/config/lb-config.js'
import { Unsupported, type BalancerControl, type BoundListener, type RunningBalancer } from '../runner/balancer-process.js'
import { findPeer } from './peer-binaries.js'
import { resolveCertificates } from './peer-certificates.js'
import type { PeerDriver, PeerRuntime } from './peer-driver.js'
import { allocatePorts, checkConfig, freePort, spawnPeer, stopTree, treeCpuUs, waitBound } from './peer-process.js'
import { driverSupport } from './peer-support.js'
import { writePeerFiles } from './peer-files.js'
import { peerDrivers, type PeerName } from './registry.js'

/** How long a peer may take to bind its listeners. */
const START_TIMEOUT_MS = 15_000

/** A running peer: a balancer under test, with the peer's own counters and a reload where it has them. */
export type RunningPeer = RunningBalancer & Pick<PeerRuntime, 'metrics' | 'reload'>

/**
 * Runs a peer as the balancer under test, configured from the same `LbConfig` as the engine:
 * ports are allocated on each listener's host (a listener's fixed port is kept), the
 * configuration and its files go to a fresh folder inside `dir`, the peer's own checker reads
 * the configuration first, and the peer runs in the foreground until `stop`. Rejects when the
 * peer cannot run the configuration (see `peerSupport`), is not installed, rejects its
 * configuration or does not bind its listeners.
 */
export async function startPeer(peer: PeerName | PeerDriver, config: LbConfig, dir: string): Promise<RunningPeer> {
  const driver = typeof peer === 'string' ? peerDrivers[peer] : peer
  const support = driverSupport(driver, config)
  if (!support.runnable) throw new Error(`${driver.name} cannot run this configuration:\n${support.unsupported.map((u) => `  - ${u}`).join('\n')}`)
  const install = await findPeer(driver)
  if (install.lacks !== undefined && config.listeners.some((l) => listenerLayer(l.protocol) === install.lacks!.layer)) throw new Error(install.lacks.reason)
  const runDir = resolve(dir, `${driver.name}-${process.pid}-${Date.now()}`)
  mkdirSync(runDir, { recursive: true })
  const ports = await allocatePorts(config)
  const input = { config, dir: runDir, ports, certificates: await resolveCertificates(config), ...(driver.adminPort === true ? { adminPort: await freePort('127.0.0.1') } : {}) }
  const generated = driver.render(input, install)
  driver.prepare?.(runDir)
  writePeerFiles(generated.files)
  await checkConfig(install.binary, driver.checkArgs(generated.configPath, runDir), `the generated ${driver.name} configuration ${generated.configPath}`)

  const started = spawnPeer(install.binary, driver.runArgs(generated.configPath, runDir))
  const listeners = new Map<string, BoundListener>()
  for (const l of config.listeners) {
    listeners.set(l.name, { name: l.name, protocol: l.protocol, layer: listenerLayer(l.protocol), host: parseEndpoint(l.bind)!.host, port: ports[l.name]! })
  }
  try {
    await waitBound(
      started,
      [...config.listeners.map((l) => ({ port: ports[l.name]!, udp: l.protocol === 'udp' })), ...(input.adminPort === undefined ? [] : [{ port: input.adminPort, udp: false }])],
      START_TIMEOUT_MS,
    )
  } catch (e) {
    await stopTree(started.child)
    throw new Error(`${driver.name} ${(e as Error).message}`)
  }
  const runtime = driver.attach({ install, config, input, started })
  await runtime.ready?.()
  const pid = started.child.pid!
  return {
    implementation: driver.name as PeerName,
    version: install.version,
    pid,
    listeners,
    ...controlOf(driver, runtime),
    pollEvents: runtime.pollEvents ?? (async () => []),
    stats: async () => undefined,
    cpuUs: () => treeCpuUs(pid),
    ...(runtime.metrics === undefined ? {} : { metrics: runtime.metrics }),
    ...(runtime.reload === undefined ? {} : { reload: runtime.reload }),
    async stop() {
      await runtime.beforeStop?.()
      await stopTree(started.child)
      runtime.afterStop?.()
    },
  }
}

/** The driver's runtime changes; what it has none for throws `Unsupported` with the driver's reason. */
function controlOf(driver: PeerDriver, runtime: PeerRuntime): BalancerControl {
  const reason = driver.capabilities.reasons.runtime ?? `${driver.label} cannot make this change at run time`
  const unsupported = async () => {
    throw new Unsupported(reason)
  }
  return {
    setWeight: runtime.setWeight ?? unsupported,
    setDraining: runtime.setDraining ?? unsupported,
    addBackend: runtime.addBackend ?? unsupported,
    removeBackend: runtime.removeBackend ?? unsupported,
    ...(runtime.setSplitWeights === undefined ? {} : { setSplitWeights: runtime.setSplitWeights }),
  }
}
