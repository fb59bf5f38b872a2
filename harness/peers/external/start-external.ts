import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { listenerLayer, parseEndpoint, type LbConfig } from '../../../engine/config/lb-config.js'
import type { BoundListener, RunningBalancer } from '../../runner/balancer-process.js'
import { allocatePorts, checkConfig, spawnPeer, stopTree, treeCpuUs, waitBound } from '../peer-process.js'
import { backendId } from '../pool-usage.js'
import type { ExternalSpec } from './external-schema.js'
import { hookControl, runHook } from './hooks.js'
import { renderTemplate, type TemplateContext } from './template.js'

/** A running balancer of the user's, as the runner drives it; `name` labels its results. */
export type RunningExternal = RunningBalancer & { readonly name: string }


/** What a template is rendered with for this configuration and these ports. Pure. */
export function templateContext(config: LbConfig, ports: Readonly<Record<string, number>>, dir: string, configFile: string): TemplateContext {
  return {
    dir,
    configFile,
    listeners: config.listeners.map((l) => ({ name: l.name, host: parseEndpoint(l.bind)!.host, port: ports[l.name]!, protocol: l.protocol })),
    pools: Object.entries(config.pools).map(([name, p]) => ({ name, algorithm: p.algorithm, backends: p.backends.map((b) => ({ id: backendId(b), host: b.host, port: b.port, weight: b.weight, backup: b.backup })) })),
  }
}

/**
 * Runs the user's balancer: `command` form — its configuration rendered from the template with
 * this run's listener ports and backends, checked by `check` when given, started in the
 * foreground, ready once every listener port is bound, CPU measured over its process tree,
 * stopped with the run; `address` form — the running balancer at the addresses given, told about
 * every backend through the add-backend hook when there is one. Timeline actions go to the hooks.
 */
export async function startExternal(spec: ExternalSpec, config: LbConfig, dir: string, template?: string): Promise<RunningExternal> {
  if (spec.address !== undefined) {
    const control = hookControl(spec, dir)
    const listeners = new Map<string, BoundListener>()
    for (const l of config.listeners) {
      const at = typeof spec.address === 'string' ? (config.listeners.length === 1 ? spec.address : undefined) : spec.address[l.name]
      if (at === undefined) throw new Error(`balancer.external.address names no address for listener ${l.name}`)
      const { host, port } = parseEndpoint(at)!
      listeners.set(l.name, { name: l.name, protocol: l.protocol, layer: listenerLayer(l.protocol), host, port })
    }
    if (spec.hooks['add-backend'] !== undefined) {
      for (const [pool, p] of Object.entries(config.pools)) for (const b of p.backends) await runHook(spec, 'add-backend', { pool, backend: backendId(b), host: b.host, port: b.port, weight: b.weight }, dir)
    }
    return { implementation: 'external', name: spec.name, version: spec.version, pid: 0, listeners, ...control, pollEvents: async () => [], stats: async () => undefined, cpuUs: () => undefined, stop: async () => {} }
  }
  if (template === undefined || spec.command === undefined || spec.config === undefined) throw new Error('balancer.external: a command needs its config template')
  const runDir = resolve(dir, `external-${process.pid}-${Date.now()}`)
  mkdirSync(runDir, { recursive: true })
  const ports = await allocatePorts(config)
  const control = hookControl(spec, runDir)
  const configFile = join(runDir, spec.config.file)
  const context = templateContext(config, ports, runDir, configFile)
  writeFileSync(configFile, renderTemplate(template, context))
  const argv = (a: readonly string[]) => a.map((x) => renderTemplate(x, context))
  if (spec.check !== undefined) {
    const [bin, ...args] = argv(spec.check)
    await checkConfig(bin!, args, `${spec.name}'s configuration ${configFile}`)
  }
  const [bin, ...args] = argv(spec.command)
  const started = spawnPeer(bin!, args)
  try {
    await waitBound(started, config.listeners.map((l) => ({ port: ports[l.name]!, udp: l.protocol === 'udp' })), spec.startTimeoutMs)
  } catch (e) {
    await stopTree(started.child)
    throw new Error(`${spec.name} ${(e as Error).message}`)
  }
  const pid = started.child.pid!
  const listeners = new Map<string, BoundListener>(config.listeners.map((l) => [l.name, { name: l.name, protocol: l.protocol, layer: listenerLayer(l.protocol), host: parseEndpoint(l.bind)!.host, port: ports[l.name]! }]))
  return {
    implementation: 'external',
    name: spec.name,
    version: spec.version,
    pid,
    listeners,
    ...control,
    pollEvents: async () => [],
    stats: async () => undefined,
    cpuUs: () => treeCpuUs(pid),
    stop: () => stopTree(started.child),
  }
}
