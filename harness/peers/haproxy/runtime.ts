import { lookup } from 'node:dns/promises'
import net from 'node:net'
import type { LbConfig } from '../../../engine/config/lb-config.js'
import type { EngineEvent } from '../../../engine/runtime/event-log.js'
import type { BalancerControl } from '../../runner/balancer-process.js'
import { checkHostHeader, haproxyBackendName, haproxyCheckHostMap, haproxyFrontendName, haproxyServerName } from './names.js'
import { haproxyPeerStats, parseShowStat } from './show-stat.js'
import type { PeerStats } from '../peer-stats.js'
import { haproxyAddress, haproxyServerOptions, haproxyWeights } from './server.js'
import { backendId, poolUsage } from '../pool-usage.js'

/** Sends one command to HAProxy's runtime API (a stats socket at admin level) and returns the answer. */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath)
    let out = ''
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`HAProxy runtime API did not answer "${command}" within ${timeoutMs} ms`)))
    s.on('data', (d: Buffer) => (out += d.toString()))
    s.on('error', reject)
    s.on('close', () => resolve(out))
    s.end(`${command}\n`)
  })
}

/** One server line of `show servers state`. */
export interface ServerState {
  readonly backend: string
  readonly server: string
  /** srv_op_state: 0 stopped (down), 1 starting, 2 running, 3 stopping. */
  readonly operational: number
  /** srv_admin_state bits: maintenance (0x01, 0x02, 0x04, 0x20, 0x40) and drain (0x08, 0x10). */
  readonly admin: number
}

const MAINTENANCE = 0x01 | 0x02 | 0x04 | 0x20 | 0x40

/** Parses `show servers state` (format 1: a version line, a `#` header naming the fields, one line per server). */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n')
  const header = lines.find((l) => l.startsWith('# '))?.slice(2).split(' ')
  if (header === undefined) return []
  const at = (name: string) => header.indexOf(name)
  const [be, srv, op, adm] = [at('be_name'), at('srv_name'), at('srv_op_state'), at('srv_admin_state')]
  const out: ServerState[] = []
  for (const line of lines) {
    if (line === '' || line.startsWith('#') || !line.includes(' ')) continue
    const f = line.split(' ')
    if (f[be] === undefined || f[srv] === undefined) continue
    out.push({ backend: f[be]!, server: f[srv]!, operational: Number(f[op]), admin: Number(f[adm]) })
  }
  return out
}

/** Health as the engine reports it: undefined while in maintenance (not a health state). */
export function serverHealthy(s: ServerState): boolean | undefined {
  if ((s.admin & MAINTENANCE) !== 0) return undefined
  return s.operational !== 0
}

const epochUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000)

/**
 * Runtime control of a running HAProxy over its admin socket: weights, drain, dynamic servers, and
 * health transitions turned into the engine's `backend-down` / `backend-up` events.
 */
export class HaproxyRuntime implements BalancerControl {
  private readonly health = new Map<string, boolean>()
  private readonly events: EngineEvent[] = []
  private seq = 0
  private polling: Promise<void> = Promise.resolve()
  /** HAProxy backends of each pool, and the one whose checks are reported. */
  private readonly backends = new Map<string, { mode: 'http' | 'tcp'; name: string }[]>()
  /** (HAProxy backend, server) → (pool, backend id). */
  private readonly owners = new Map<string, { pool: string; id: string }>()

  constructor(
    private readonly masterSocketPath: string,
    private config: LbConfig,
    private readonly dir: string,
  ) {
    this.track(config)
  }

  /**
   * Follows a configuration the master reloaded: its pools, backends and servers. Health states
   * carry over: what the new worker reports differently is a real transition (without a server
   * state file, a new worker starts every server up until its checks say otherwise).
   */
  track(config: LbConfig): void {
    this.config = config
    this.backends.clear()
    this.owners.clear()
    for (const [pool, u] of poolUsage(config)) {
      const modes: ('http' | 'tcp')[] = [...(u.l7 || !u.stream ? ['http' as const] : []), ...(u.stream ? ['tcp' as const] : [])]
      const list = modes.map((mode) => ({ mode, name: haproxyBackendName(pool, mode) }))
      this.backends.set(pool, list)
      for (const b of config.pools[pool]!.backends) this.own(pool, backendId(b), list[0]!.name)
    }
  }

  /** Reads server states and records a health event for each transition since the last read. */
  poll(): Promise<void> {
    // One read at a time, in order; a failed read does not block the next.
    this.polling = this.polling.catch(() => {}).then(async () => {
      const text = await this.command('show servers state')
      const atUs = epochUs()
      for (const s of parseServersState(text)) {
        const key = `${s.backend}/${s.server}`
        const owner = this.owners.get(key)
        const healthy = serverHealthy(s)
        if (owner === undefined || healthy === undefined) continue
        // HAProxy starts every server up: a server already down was taken down by its checks.
        const before = this.health.get(key) ?? true
        this.health.set(key, healthy)
        if (before !== healthy) this.events.push({ seq: ++this.seq, atUs, type: healthy ? 'backend-up' : 'backend-down', pool: owner.pool, backend: owner.id })
      }
    })
    return this.polling
  }

  /** Events since the last call. */
  async pollEvents(): Promise<EngineEvent[]> {
    await this.poll()
    return this.events.splice(0)
  }

  async setWeight(pool: string, backend: string, weight: number): Promise<void> {
    const w = haproxyWeights(this.pool(pool)).of(weight)
    for (const be of this.backendsOf(pool)) await this.expectEmpty(`set server ${be.name}/${haproxyServerName(backend)} weight ${w}`)
  }

  async setDraining(pool: string, backend: string, draining: boolean): Promise<void> {
    for (const be of this.backendsOf(pool)) await this.expectEmpty(`set server ${be.name}/${haproxyServerName(backend)} state ${draining ? 'drain' : 'ready'}`)
  }

  async addBackend(pool: string, backend: { id: string; host: string; port: number; weight: number }): Promise<void> {
    const config = this.pool(pool)
    // Dynamic servers take addresses only (no name resolution at runtime in 2.6).
    const address = net.isIP(backend.host) === 0 ? (await lookup(backend.host)).address : backend.host
    const server = haproxyServerName(backend.id)
    for (const be of this.backendsOf(pool)) {
      const options = haproxyServerOptions(config, be.mode, backend, haproxyWeights(config))
      const added = await this.command(`add server ${be.name}/${server} ${haproxyAddress(address, backend.port)} ${options.join(' ')}`)
      if (!/New server registered/i.test(added)) throw new Error(`HAProxy refused to add ${backend.id} to ${be.name}: ${added.trim()}`)
      if (config.healthCheck?.type === 'http' && config.healthCheck.http?.host === undefined) {
        await this.expectEmpty(`add map ${haproxyCheckHostMap(this.dir, be.name)} ${server} ${checkHostHeader(backend.host, backend.port)}`)
      }
      if (config.healthCheck !== undefined) await this.expectEmpty(`enable health ${be.name}/${server}`)
      await this.expectEmpty(`set server ${be.name}/${server} state ready`)
    }
    this.own(pool, backend.id, this.backendsOf(pool)[0]!.name)
  }

  async removeBackend(pool: string, backend: string): Promise<void> {
    const server = haproxyServerName(backend)
    for (const be of this.backendsOf(pool)) {
      const target = `${be.name}/${server}`
      // A server leaves only from maintenance and once nothing uses it.
      await this.expectEmpty(`set server ${target} state maint`)
      await this.command(`shutdown sessions server ${target}`)
      const deadline = Date.now() + 5000
      for (;;) {
        const answer = await this.command(`del server ${target}`)
        if (/Server deleted/i.test(answer)) break
        if (Date.now() > deadline) throw new Error(`HAProxy did not remove ${target}: ${answer.trim()}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      this.owners.delete(target)
      this.health.delete(target)
    }
  }

  /** The process id of the worker answering on the socket (`show info`). */
  async workerPid(timeoutMs?: number): Promise<number | undefined> {
    const pid = /^Pid: (\d+)$/m.exec(await this.command('show info', timeoutMs))?.[1]
    return pid === undefined ? undefined : Number(pid)
  }

  /** HAProxy's own counters (`show stat`): each listener's connections, requests and statuses, each backend's selections and errors. */
  async metrics(): Promise<PeerStats> {
    const frontends = new Map(this.config.listeners.map((l) => [haproxyFrontendName(l.name), l.name]))
    // Servers are owned under their pool's first HAProxy backend; a pool's other mode has the same servers.
    const firstOf = new Map([...this.backends.values()].flatMap((list) => list.map((b) => [b.name, list[0]!.name] as const)))
    const owner = (proxy: string, server: string) => {
      const o = this.owners.get(`${firstOf.get(proxy) ?? proxy}/${server}`)
      return o === undefined ? undefined : `${o.pool}/${o.id}`
    }
    return haproxyPeerStats(parseShowStat(await this.command('show stat')), (p) => frontends.get(p), owner)
  }

  private own(pool: string, id: string, backend: string) {
    this.owners.set(`${backend}/${haproxyServerName(id)}`, { pool, id })
  }

  private pool(name: string) {
    const pool = this.config.pools[name]
    if (pool === undefined) throw new Error(`no pool named "${name}"`)
    return pool
  }

  private backendsOf(pool: string) {
    this.pool(pool)
    return this.backends.get(pool)!
  }

  /** A command for the current worker, through the master's CLI. */
  private command(command: string, timeoutMs?: number): Promise<string> {
    return haproxyCommand(this.masterSocketPath, `@1 ${command}`, timeoutMs)
  }

  private async expectEmpty(command: string): Promise<void> {
    const answer = (await this.command(command)).trim()
    if (answer !== '') throw new Error(`HAProxy runtime API: ${command}: ${answer}`)
  }
}
