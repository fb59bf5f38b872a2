import type { RunEvent } from '../../reports/result/result-model.js'
import type { RunningBackend } from '../providers/index.js'
import type { TimelineEntry } from '../scenario/scenario-schema.js'
import { Unsupported, type BalancerControl } from './balancer-process.js'

/** What the timeline acts on. */
export interface TimelineContext {
  readonly balancer: BalancerControl
  /** Running instances of a group, by index (an added backend extends the list). */
  instances(group: string): RunningBackend[]
  /** Pools that draw from a group, and the port kind each uses. */
  poolsOf(group: string): { pool: string; port: 'http' | 'https' | 'grpc' | 'tcp' | 'udp' }[]
  /** The balancer's id for instance `index` of `group`. */
  backendId(group: string, index: number): string
  /** Starts one more instance of a group (add-backend). */
  addInstance(group: string): Promise<RunningBackend>
  /** Weight of the group's backends in pools. */
  weightOf(group: string): number
  /** The listener with a route of this name, and that route's split arms whose pools draw from `group` (set-weight with `route`). */
  splitArms?(route: string, group: string): { listener: string; pools: string[] } | undefined
  /** ms since the start of the measured phase. */
  nowMs(): number
  record(event: RunEvent): void
  warn(message: string): void
}

function parseTarget(target: string): { group: string; index?: number } {
  const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(target)!
  return m[2] === undefined ? { group: m[1]! } : { group: m[1]!, index: Number(m[2]) }
}

/** A short description of a behaviour change, for the event log (failover analysis reads it). */
function describeBehaviour(b: Record<string, unknown>): string {
  return Object.entries(b)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ')
}

/** Runs one timeline action now; resolves when it has taken effect. */
export async function runAction(entry: TimelineEntry, ctx: TimelineContext): Promise<void> {
  const { group, index } = parseTarget(entry.target)
  const all = ctx.instances(group)
  const chosen = index === undefined ? all.map((b, i) => ({ b, i })) : [{ b: all[index]!, i: index }]
  const ids = chosen.map(({ i }) => ctx.backendId(group, i))
  const pools = (name: string | undefined) => (name === undefined ? ctx.poolsOf(group).map((p) => p.pool) : [name])
  let detail: string | undefined
  try {
    switch (entry.do) {
      case 'kill':
        await Promise.all(chosen.map(({ b }) => b.kill()))
        break
      case 'pause':
        await Promise.all(chosen.map(({ b }) => b.pause()))
        break
      case 'resume':
        await Promise.all(chosen.map(({ b }) => b.resume()))
        break
      case 'restart':
        await Promise.all(chosen.map(({ b }) => b.restart()))
        break
      case 'set-behaviour':
        detail = describeBehaviour(entry.behaviour as Record<string, unknown>)
        await Promise.all(chosen.map(({ b }) => b.configure(entry.behaviour)))
        break
      case 'set-health':
        detail = `healthy ${entry.healthy}`
        await Promise.all(chosen.map(({ b }) => b.setHealthy(entry.healthy)))
        break
      case 'set-weight': {
        detail = `weight ${entry.weight}`
        if (entry.route === undefined) {
          for (const pool of pools(entry.pool)) for (const id of ids) await ctx.balancer.setWeight(pool, id, entry.weight)
          break
        }
        // A route's split: the arms whose pools draw from the group.
        const arms = ctx.splitArms?.(entry.route, group)
        if (arms === undefined || arms.pools.length === 0) throw new Error(`no split arm of route ${entry.route} draws from group ${group}`)
        if (ctx.balancer.setSplitWeights === undefined) throw new Unsupported('this balancer cannot re-weight a split at run time')
        await ctx.balancer.setSplitWeights(arms.listener, entry.route, Object.fromEntries(arms.pools.map((p) => [p, entry.weight])))
        detail = `route ${entry.route}: ${arms.pools.join(', ')} weight ${entry.weight}`
        break
      }
      case 'drain':
      case 'undrain':
        for (const pool of pools(entry.pool)) for (const id of ids) await ctx.balancer.setDraining(pool, id, entry.do === 'drain')
        break
      case 'add-backend': {
        if (index !== undefined) {
          // Back again: the instance removed earlier, at its address, under its id.
          const b = all[index]!
          await b.restart()
          for (const { pool, port } of ctx.poolsOf(group).filter((p) => entry.pool === undefined || p.pool === entry.pool)) {
            await ctx.balancer.addBackend(pool, { id: ids[0]!, host: b.host, port: b.ports[port] ?? b.ports.http!, weight: ctx.weightOf(group) })
          }
          detail = ids[0]
          break
        }
        const b = await ctx.addInstance(group)
        const i = ctx.instances(group).length - 1
        const id = ctx.backendId(group, i)
        for (const { pool, port } of ctx.poolsOf(group).filter((p) => entry.pool === undefined || p.pool === entry.pool)) {
          await ctx.balancer.addBackend(pool, { id, host: b.host, port: b.ports[port] ?? b.ports.http!, weight: ctx.weightOf(group) })
        }
        detail = id
        break
      }
      case 'remove-backend':
        for (const pool of pools(entry.pool)) for (const id of ids) await ctx.balancer.removeBackend(pool, id)
        await Promise.all(chosen.map(({ b }) => b.stop()))
        break
    }
  } catch (e) {
    if (e instanceof Unsupported) {
      ctx.record({ tMs: ctx.nowMs(), source: 'runner', type: 'skipped', target: entry.target, detail: `${entry.do}: ${e.message}` })
      ctx.warn(`timeline ${entry.do} ${entry.target} at ${entry.at} ms skipped: ${e.message}`)
      return
    }
    throw e
  }
  ctx.record({ tMs: ctx.nowMs(), source: 'timeline', type: entry.do, target: index === undefined ? group : `${group}[${index}]`, ...(detail === undefined ? {} : { detail }) })
}

/**
 * Schedules every timeline entry at its time after `start` (ms on the monotonic clock). Entries
 * run independently; an action's event carries the time it took effect. `stop` cancels what has
 * not run; `settled` resolves when every started action has finished.
 */
export function scheduleTimeline(entries: readonly TimelineEntry[], ctx: TimelineContext): { stop(): void; settled(): Promise<void> } {
  const timers: NodeJS.Timeout[] = []
  const running: Promise<void>[] = []
  for (const entry of entries) {
    timers.push(
      setTimeout(
        () => {
          running.push(
            runAction(entry, ctx).catch((e: unknown) => {
              ctx.record({ tMs: ctx.nowMs(), source: 'runner', type: 'action-failed', target: entry.target, detail: `${entry.do}: ${(e as Error).message}` })
              ctx.warn(`timeline ${entry.do} ${entry.target} failed: ${(e as Error).message}`)
            }),
          )
        },
        Math.max(0, entry.at - ctx.nowMs()),
      ),
    )
  }
  return {
    stop: () => timers.forEach(clearTimeout),
    settled: () => Promise.all(running).then(() => undefined),
  }
}
