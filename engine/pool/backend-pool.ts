import { configureAlgorithm, type ConfiguredAlgorithm } from '../balancing/create-picker.js'
import { systemDeps } from '../balancing/deps.js'
import type { Backend, Deps, Outcome, PickContext, Picker } from '../balancing/types.js'
import { EngineError, formatPath } from '../errors.js'
import { initialHealth, observeHealth, type HealthState, type HealthThresholds } from './health.js'
import { memberSpecSchema, poolOptionsSchema, type BackendPoolOptions, type MemberSpec } from './pool-options.js'
import { slowStartFactor, type SlowStartConfig } from './slow-start.js'

/** Something the pool did or noticed, for logs, admin stats and the harness's event record. */
export type PoolEvent =
  | { readonly type: 'health'; readonly id: string; readonly healthy: boolean; readonly atUs: number }
  | { readonly type: 'drained'; readonly id: string; readonly atUs: number }
  | { readonly type: 'rebuilt'; readonly primary: number; readonly backup: number; readonly atUs: number }

/** A member's state as reported by `status()`. */
export interface MemberStatus {
  readonly id: string
  readonly host: string
  readonly port: number
  readonly weight: number
  /** Weight the algorithm sees now (lower than `weight` during slow start; 0 when not ready). */
  readonly effectiveWeight: number
  readonly backup: boolean
  readonly healthy: boolean
  readonly enabled: boolean
  readonly draining: boolean
  /** Taken out by passive outlier detection until its ejection time passes. */
  readonly ejected: boolean
  readonly ready: boolean
  /** Requests in flight. */
  readonly active: number
  /** Times this backend was picked. */
  readonly picks: number
}

/** A set of backends, their health and drain state, and the picker built over the ready ones. */
export interface BackendPool {
  readonly algorithm: ConfiguredAlgorithm
  /**
   * Picks a ready backend, never one in `ctx.tried`; backups only when no primary is left.
   * Throws EngineError LB_ERR_NO_HEALTHY_BACKEND when nothing is ready, and
   * LB_ERR_BACKENDS_EXHAUSTED when every ready backend was tried.
   */
  pick(ctx?: PickContext): Backend
  /**
   * The backend with this id if it is ready now and not in `tried` (sticky sessions honour a pin
   * only while its backend is ready); counted as a pick.
   */
  readyBackend(id: string, tried?: ReadonlySet<string>): Backend | undefined
  /** A request started on a picked backend. Pair every call with `onDone`. */
  onStart(backend: Backend): void
  onDone(backend: Backend, outcome: Outcome): void
  /** Applies one active health check result; returns the transition when the state flipped. */
  reportHealth(id: string, ok: boolean): 'up' | 'down' | undefined
  /** Forces a backend's health (admin override, passive ejection). */
  setHealthy(id: string, healthy: boolean): void
  /** Draining: no new picks; requests in flight finish. A 'drained' event fires when none remain. */
  setDraining(id: string, draining: boolean): void
  /** Disabled backends take no traffic and are not health-checked into service (maintenance). */
  setEnabled(id: string, enabled: boolean): void
  /**
   * Passive ejection, independent of active health: an ejected backend stays out until the
   * detector returns it, whatever its checks say meanwhile.
   */
  setEjected(id: string, ejected: boolean): void
  setWeight(id: string, weight: number): void
  /** Adds a backend or updates one with the same id. */
  upsert(spec: MemberSpec): void
  remove(id: string): void
  /** Replaces the whole membership (service discovery): adds, updates and removes as needed. */
  setMembers(specs: readonly MemberSpec[]): void
  status(): MemberStatus[]
  /** Ids of ready backends (primary, then backup), in snapshot order. */
  ready(): string[]
  /** How many pickers have been built; a picker is rebuilt only when the ready set or weights change. */
  readonly rebuilds: number
}

interface Member {
  spec: Required<Omit<MemberSpec, 'weight' | 'backup'>> & { weight: number; backup: boolean }
  backend: Backend
  health: HealthState
  enabled: boolean
  draining: boolean
  ejected: boolean
  /** When the member last became ready, for slow start; -Infinity when it needs no ramp. */
  readySinceUs: number
  active: number
  picks: number
  /** Position in the current snapshot of `group`, −1 when in none (not ready). */
  slot: number
  group: Group | undefined
  /** Taken out of the pool: feedback about its requests still in flight is ignored. */
  removed: boolean
  /** The pool's member table: tells this pool's handouts from another pool's. */
  readonly owner: ReadonlyMap<string, Member>
}

/**
 * A backend as the pool hands it out: the public `Backend` fields, plus (privately) the member it
 * stands for, so that the feedback for each request reaches the member and the picker's position
 * without a lookup by id — three map lookups per request less on the hot path.
 */
class PoolBackend implements Backend {
  readonly #member: Member
  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    readonly weight: number,
    member: Member,
  ) {
    this.#member = member
  }

  /** The member behind `b` when the pool made it, else undefined. */
  static memberOf(b: Backend): Member | undefined {
    return #member in b ? (b as PoolBackend).#member : undefined
  }
}

/** A fresh handout of member `m` at `weight`. */
function handout(m: Member, weight: number): PoolBackend {
  return new PoolBackend(m.spec.id, m.spec.host, m.spec.port, weight, m)
}

interface Group {
  picker: Picker | undefined
  snapshot: readonly Backend[]
  /** False until the first build: an empty group has no picker but is still built. */
  built: boolean
}

const noHealthy = () => new EngineError('LB_ERR_NO_HEALTHY_BACKEND')
const exhausted = () => new EngineError('LB_ERR_BACKENDS_EXHAUSTED')

/**
 * Creates a backend pool. Options are validated strictly (every problem reported at once, each with
 * its path); time and randomness come from `deps`, so a seeded pool replays exactly.
 */
export function createBackendPool(options: BackendPoolOptions, deps: Deps = systemDeps, onEvent?: (e: PoolEvent) => void): BackendPool {
  const parsed = poolOptionsSchema.safeParse(options)
  if (!parsed.success) {
    throw new EngineError(
      'LB_ERR_INVALID_OPTIONS',
      'invalid pool options',
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    )
  }
  const opts = parsed.data
  const algorithm = configureAlgorithm(opts.algorithm, opts.algorithmOptions)
  const thresholds: HealthThresholds = opts.health
  const startHealthy = opts.health.initial === 'healthy'
  const slowStart: SlowStartConfig | undefined =
    opts.slowStart === undefined
      ? undefined
      : { windowUs: opts.slowStart.windowMs * 1000, aggression: opts.slowStart.aggression, minFraction: opts.slowStart.minWeightPercent / 100 }
  /** Ramp steps per window: weights change (and pickers rebuild) at most this often. */
  const rampSteps = 20

  const members = new Map<string, Member>()
  const primary: Group = { picker: undefined, snapshot: [], built: false }
  const backup: Group = { picker: undefined, snapshot: [], built: false }
  let dirty = true
  let warming = 0
  let nextRampUs = Infinity
  /** Set once the initial members are in: later additions start their slow-start ramp. */
  let built = false

  const emit = (e: PoolEvent) => onEvent?.(e)
  const isReady = (m: Member) => m.enabled && m.health.healthy && !m.draining && !m.ejected && m.spec.weight > 0

  function memberOf(id: string): Member {
    const m = members.get(id)
    if (m === undefined) throw new EngineError('LB_ERR_UNKNOWN_BACKEND', `no backend "${id}" in the pool`)
    return m
  }

  function normalise(spec: MemberSpec): Member['spec'] {
    const s = memberSpecSchema.parse(spec)
    return { id: s.id ?? `${s.host}:${s.port}`, host: s.host, port: s.port, weight: s.weight, backup: s.backup }
  }

  /** Marks a member as just become ready, so slow start ramps it from here. */
  function startRamp(m: Member, now: number) {
    if (slowStart !== undefined) m.readySinceUs = now
  }

  function effectiveWeight(m: Member, now: number): number {
    if (slowStart === undefined || !isReady(m)) return m.spec.weight
    const factor = slowStartFactor(now - m.readySinceUs, slowStart)
    if (factor < 1) warming++
    // Quantised so that weights, and therefore pickers, change only once per ramp step.
    const stepped = factor >= 1 ? 1 : Math.max(slowStart.minFraction, Math.floor(factor * rampSteps) / rampSteps)
    return m.spec.weight * stepped
  }

  function rebuildGroup(group: Group, ready: Member[], now: number): boolean {
    const snapshot: Backend[] = []
    ready.forEach((m, i) => {
      const weight = effectiveWeight(m, now)
      if (m.backend.weight !== weight) m.backend = handout(m, weight)
      snapshot.push(m.backend)
      m.slot = i
      m.group = group
    })
    const same = snapshot.length === group.snapshot.length && snapshot.every((b, i) => b === group.snapshot[i])
    if (same && group.built) return false
    const picker = snapshot.length === 0 ? undefined : algorithm.build(snapshot, deps, group.picker)
    // Requests in flight count against their backends in the new picker too.
    if (picker?.onStartAt !== undefined) {
      ready.forEach((m, i) => {
        for (let k = 0; k < m.active; k++) picker.onStartAt!(i)
      })
    } else if (picker?.onStart !== undefined) {
      for (const m of ready) for (let k = 0; k < m.active; k++) picker.onStart(m.backend)
    }
    group.picker = picker
    group.snapshot = snapshot
    group.built = true
    return true
  }

  function refresh() {
    const now = deps.nowUs()
    warming = 0
    const readyPrimary: Member[] = []
    const readyBackup: Member[] = []
    for (const m of members.values()) {
      m.slot = -1
      if (isReady(m)) (m.spec.backup ? readyBackup : readyPrimary).push(m)
    }
    const changed = [rebuildGroup(primary, readyPrimary, now), rebuildGroup(backup, readyBackup, now)]
    if (changed[0] || changed[1]) {
      pool.rebuilds++
      emit({ type: 'rebuilt', primary: primary.snapshot.length, backup: backup.snapshot.length, atUs: now })
    }
    nextRampUs = warming > 0 && slowStart !== undefined ? now + slowStart.windowUs / rampSteps : Infinity
    dirty = false
  }

  /**
   * The member a backend handed out by this pool stands for; a backend from elsewhere is matched by
   * id. A removed member's requests no longer count anywhere.
   */
  function memberOfBackend(b: Backend): Member | undefined {
    const own = PoolBackend.memberOf(b)
    const m = own !== undefined && own.owner === members ? own : members.get(b.id)
    return m === undefined || m.removed ? undefined : m
  }

  function upsert(spec: MemberSpec) {
    const s = normalise(spec)
    const existing = members.get(s.id)
    if (existing === undefined) {
      const m = {
        spec: s,
        health: initialHealth(startHealthy),
        enabled: true,
        draining: false,
        ejected: false,
        readySinceUs: -Infinity,
        active: 0,
        picks: 0,
        slot: -1,
        group: undefined,
        removed: false,
        owner: members,
      } as Omit<Member, 'backend'> as Member
      // The handout and its member refer to each other: the handout is made once the member is.
      m.backend = handout(m, s.weight)
      if (built) startRamp(m, deps.nowUs())
      members.set(s.id, m)
    } else {
      const moved = existing.spec.host !== s.host || existing.spec.port !== s.port
      existing.spec = s
      if (moved) existing.backend = handout(existing, s.weight)
    }
    dirty = true
  }

  const seen = new Set<string>()
  opts.backends.forEach((spec, i) => {
    const id = spec.id ?? `${spec.host}:${spec.port}`
    if (seen.has(id)) throw new EngineError('LB_ERR_DUPLICATE_BACKEND', `two backends share the id "${id}"`, [{ path: `backends[${i}]`, message: `duplicate id "${id}"` }])
    seen.add(id)
    upsert(spec)
  })
  // `rebuilds` is a data property, not a getter: V8 builds an object literal that defines an
  // accessor in dictionary mode, and every request would then look pick, onStart and onDone up by
  // name in a hash table instead of loading them from a known offset.
  const pool = {
    algorithm,
    rebuilds: 0,

    pick(ctx?: PickContext): Backend {
      if (dirty || (warming > 0 && deps.nowUs() >= nextRampUs)) refresh()
      const b = primary.picker?.pick(ctx) ?? backup.picker?.pick(ctx)
      if (b === undefined) throw primary.picker === undefined && backup.picker === undefined ? noHealthy() : exhausted()
      const m = PoolBackend.memberOf(b)
      if (m !== undefined) m.picks++
      return b
    },

    readyBackend(id: string, tried?: ReadonlySet<string>) {
      if (dirty) refresh()
      const m = members.get(id)
      if (m === undefined || !isReady(m) || tried?.has(id)) return undefined
      m.picks++
      return m.backend
    },

    onStart(b: Backend) {
      const m = memberOfBackend(b)
      if (m === undefined) return
      m.active++
      // Forwarded when the member is in a snapshot: every rebuild replays the requests in flight,
      // so the picker's counts stay exact whatever happened in between.
      if (m.slot < 0) return
      const picker = m.group!.picker!
      if (picker.onStartAt !== undefined) picker.onStartAt(m.slot)
      else picker.onStart?.(b)
    },

    onDone(b: Backend, outcome: Outcome) {
      const m = memberOfBackend(b)
      if (m === undefined || m.active === 0) return
      m.active--
      if (m.slot >= 0) {
        const picker = m.group!.picker!
        if (picker.onDoneAt !== undefined) picker.onDoneAt(m.slot, outcome)
        else picker.onDone?.(b, outcome)
      }
      if (m.draining && m.active === 0) emit({ type: 'drained', id: m.spec.id, atUs: deps.nowUs() })
    },

    reportHealth(id: string, ok: boolean) {
      const m = memberOf(id)
      const step = observeHealth(m.health, ok, thresholds)
      m.health = step.state
      if (step.changed !== undefined) {
        const now = deps.nowUs()
        if (step.changed === 'up') startRamp(m, now)
        dirty = true
        emit({ type: 'health', id, healthy: step.changed === 'up', atUs: now })
      }
      return step.changed
    },

    setHealthy(id: string, healthy: boolean) {
      const m = memberOf(id)
      if (m.health.healthy === healthy) return
      m.health = initialHealth(healthy)
      const now = deps.nowUs()
      if (healthy) startRamp(m, now)
      dirty = true
      emit({ type: 'health', id, healthy, atUs: now })
    },

    setDraining(id: string, draining: boolean) {
      const m = memberOf(id)
      if (m.draining === draining) return
      m.draining = draining
      if (!draining) startRamp(m, deps.nowUs())
      dirty = true
      if (draining && m.active === 0) emit({ type: 'drained', id, atUs: deps.nowUs() })
    },

    setEnabled(id: string, enabled: boolean) {
      const m = memberOf(id)
      if (m.enabled === enabled) return
      m.enabled = enabled
      if (enabled) startRamp(m, deps.nowUs())
      dirty = true
    },

    setEjected(id: string, ejected: boolean) {
      const m = memberOf(id)
      if (m.ejected === ejected) return
      m.ejected = ejected
      if (!ejected) startRamp(m, deps.nowUs())
      dirty = true
    },

    setWeight(id: string, weight: number) {
      const m = memberOf(id)
      upsert({ ...m.spec, weight })
    },

    upsert,

    remove(id: string) {
      memberOf(id).removed = true
      members.delete(id)
      dirty = true
    },

    setMembers(specs: readonly MemberSpec[]) {
      const keep = new Set<string>()
      for (const spec of specs) {
        const s = normalise(spec)
        keep.add(s.id)
        upsert(s)
      }
      for (const [id, m] of [...members]) {
        if (keep.has(id)) continue
        m.removed = true
        members.delete(id)
      }
      dirty = true
    },

    status(): MemberStatus[] {
      if (dirty) refresh()
      return [...members.values()].map((m) => ({
        id: m.spec.id,
        host: m.spec.host,
        port: m.spec.port,
        weight: m.spec.weight,
        effectiveWeight: isReady(m) ? m.backend.weight : 0,
        backup: m.spec.backup,
        healthy: m.health.healthy,
        enabled: m.enabled,
        draining: m.draining,
        ejected: m.ejected,
        ready: isReady(m),
        active: m.active,
        picks: m.picks,
      }))
    },

    ready(): string[] {
      if (dirty) refresh()
      return [...primary.snapshot, ...backup.snapshot].map((b) => b.id)
    },
  }
  built = true
  refresh()
  return pool
}
