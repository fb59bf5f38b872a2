import type { RunEvent } from '../../reports/result/result-model.js'
import { mergeBehaviour } from '../backend/behaviour.js'
import { ABSENT, DEAD, type BackendStations } from './backend-stations.js'
import type { SimModel, SimRequestKind } from './sim-model.js'
import { memberSpec, type SimPoolState } from './sim-pools.js'

/** What a timeline action acts on and reports to. */
export interface TimelineHost {
  readonly model: SimModel
  readonly stations: BackendStations
  readonly pools: readonly SimPoolState[]
  readonly ids: readonly string[]
  readonly stationOf: ReadonlyMap<string, number>
  /** Whether each backend has been in service (an add-backend sets it). */
  readonly everPresent: Uint8Array
  nowUs(): number
  /** A request's job was lost with its backend: the reset reaches the balancer. */
  lost(r: number, gen: number): void
  /** Starts the health checks of backend `b` in pool `p` now. */
  probeNow(p: number, b: number): void
  /** The requests route anew (a split was re-weighted). */
  reroute(kinds: readonly SimRequestKind[]): void
  /** A membership change is about to happen (key assignments start a new epoch). */
  membershipChanging(): void
  record(e: RunEvent): void
  warn(message: string): void
}

/** A short description of a behaviour change, as the live timeline records it (failover analysis reads it). */
function describeBehaviour(b: Record<string, unknown>): string {
  return Object.entries(b)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ')
}

/** Backends of `group` that have been in service. */
function groupStations(h: TimelineHost, group: string): number[] {
  const out: number[] = []
  h.model.backends.forEach((b, i) => {
    if (b.group === group && h.everPresent[i] === 1) out.push(i)
  })
  return out
}

function memberIds(h: TimelineHost, ps: SimPoolState): string[] {
  const ids: string[] = []
  for (let b = 0; b < ps.member.length; b++) if (ps.member[b] === 1) ids.push(h.ids[b]!)
  return ids
}

/**
 * Runs timeline entry `i` now, with the live timeline's semantics (harness/runner/timeline.ts)
 * applied to the model: kill resets what the backend holds and refuses new connections; pause
 * accepts and serves nothing until resume; restart starts empty; drain, weights and membership go
 * through the engine's pool; a route's split is re-weighted as the admin API does it. Records the
 * event as the live runner does (target `group` or `group[i]`, the same details).
 */
export function applyTimelineEntry(h: TimelineHost, i: number): void {
  const te = h.model.timeline[i]!
  const e = te.entry
  const t = h.nowUs()
  const st = h.stations
  const targets = te.index !== undefined ? [h.stationOf.get(`${te.group}-${te.index}`)!] : groupStations(h, te.group)
  const poolsFor = (name: string | undefined) => h.pools.filter((ps) => (name === undefined ? ps.model.groups.includes(te.group) : ps.model.name === name))
  const lost = (r: number, gen: number) => h.lost(r, gen)
  let detail: string | undefined
  if (e.do === 'add-backend' || e.do === 'remove-backend') h.membershipChanging()
  switch (e.do) {
    case 'kill':
      for (const b of targets) if (st.stateOf(b) !== ABSENT) st.kill(b, t, lost)
      break
    case 'pause':
      for (const b of targets) st.pause(b, t)
      break
    case 'resume':
      for (const b of targets) st.resume(b, t)
      break
    case 'restart':
      for (const b of targets) {
        if (st.stateOf(b) === ABSENT) continue
        if (st.stateOf(b) !== DEAD) st.kill(b, t, lost)
        st.start(b, t)
      }
      break
    case 'set-behaviour':
      detail = describeBehaviour(e.behaviour as Record<string, unknown>)
      for (const b of targets) st.configure(b, mergeBehaviour(st.behaviourOf(b), e.behaviour))
      break
    case 'set-health':
      detail = `healthy ${e.healthy}`
      for (const b of targets) st.configure(b, { ...st.behaviourOf(b), healthy: e.healthy })
      break
    case 'set-weight': {
      detail = `weight ${e.weight}`
      if (e.route === undefined) {
        for (const ps of poolsFor(e.pool)) for (const b of targets) if (ps.member[b] === 1) ps.pool.setWeight(h.ids[b]!, e.weight)
        break
      }
      const routed = h.model.load.reweight?.(e.route, te.group, e.weight)
      if (routed === undefined) {
        h.warn(`timeline set-weight ${e.target} at ${e.at} ms: no split arm of route ${e.route} draws from group ${te.group}`)
        return
      }
      h.reroute(routed.kinds)
      detail = routed.detail
      break
    }
    case 'drain':
    case 'undrain':
      for (const ps of poolsFor(e.pool)) for (const b of targets) if (ps.member[b] === 1) ps.pool.setDraining(h.ids[b]!, e.do === 'drain')
      break
    case 'add-backend': {
      // group[i]: instance i, removed earlier, back under its id; a group: its next instance.
      const b = te.index !== undefined ? targets[0] : h.model.backends.findIndex((x, k) => x.group === te.group && h.everPresent[k] === 0)
      if (b === undefined || b < 0) break
      h.everPresent[b] = 1
      st.start(b, t)
      detail = h.ids[b]!
      for (const ps of poolsFor(e.pool)) {
        if (ps.member[b] === 1) continue
        ps.pool.upsert(memberSpec(h.ids[b]!, b, h.model.backends[b]!.weight, ps.model.backupGroups.has(te.group)))
        ps.member[b] = 1
        ps.outliers?.setMembers(memberIds(h, ps))
        if (ps.model.healthCheck !== undefined) h.probeNow(ps.index, b)
      }
      break
    }
    case 'remove-backend':
      for (const ps of poolsFor(e.pool)) {
        for (const b of targets) {
          if (ps.member[b] !== 1) continue
          ps.pool.remove(h.ids[b]!)
          ps.member[b] = 0
        }
        ps.outliers?.setMembers(memberIds(h, ps))
      }
      for (const b of targets) if (st.stateOf(b) !== ABSENT) st.kill(b, t, lost, ABSENT)
      break
  }
  const warmup = h.model.load.warmupUs
  if (t >= warmup) h.record({ tMs: (t - warmup) / 1000, source: 'timeline', type: e.do, target: te.index === undefined ? te.group : `${te.group}[${te.index}]`, ...(detail === undefined ? {} : { detail }) })
}
