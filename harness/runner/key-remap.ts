/** A change of pool membership on the timeline: the boundary between two epochs of key assignments. */
export interface MembershipChange {
  /** ms after the start of the measured phase. */
  readonly atMs: number
  /** What changed, e.g. `remove-backend web[1]`. */
  readonly change: string
}

/** A membership change with who left and who joined, and how many backends there were. */
export interface Membership extends MembershipChange {
  /** When the action had finished (its timeline event); until then answers are in transition. */
  readonly effectiveMs?: number
  readonly left: readonly string[]
  readonly joined: readonly string[]
  readonly backendsBefore: number
  readonly backendsAfter: number
}

/** How the keys' backends compare across one membership change. */
export interface RemapCount {
  /** Keys answered both before and after the change. */
  readonly keys: number
  /** Of those, the keys whose backend changed. */
  readonly moved: number
  /** The keys that had to move: their backend left, or they now sit on a backend that joined. */
  readonly minimal: number
  /** Backends in the pool before and after. */
  readonly backendsBefore: number
  readonly backendsAfter: number
}

/** What `membershipChanges` reads of a timeline entry. */
interface TimelineStep {
  readonly at: number
  readonly do: string
  readonly target: string
}

/**
 * The membership changes of a timeline (remove-backend, add-backend) in time order, with the
 * backends each one took out or brought in, from the backends present at the start (`group-i`
 * ids). `group` names every present member of the group (remove) or its next instance (add, as
 * the runner numbers them); `group[i]` one backend. Pure.
 */
export function membershipChanges(timeline: readonly TimelineStep[], initial: readonly string[]): Membership[] {
  const members = new Set(initial)
  const instances = new Map<string, number>()
  for (const id of initial) {
    const g = id.replace(/-\d+$/, '')
    instances.set(g, (instances.get(g) ?? 0) + 1)
  }
  const out: Membership[] = []
  for (const t of [...timeline].sort((a, b) => a.at - b.at)) {
    if (t.do !== 'remove-backend' && t.do !== 'add-backend') continue
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(t.target)
    if (m === null) continue
    const group = m[1]!
    const before = members.size
    let left: string[] = []
    let joined: string[] = []
    if (t.do === 'remove-backend') {
      left = m[2] !== undefined ? [`${group}-${m[2]}`].filter((id) => members.has(id)) : [...members].filter((id) => id.replace(/-\d+$/, '') === group)
      for (const id of left) members.delete(id)
    } else {
      const index = m[2] !== undefined ? Number(m[2]) : (instances.get(group) ?? 0)
      if (m[2] === undefined) instances.set(group, index + 1)
      const id = `${group}-${index}`
      if (!members.has(id)) joined = [id]
      members.add(id)
    }
    out.push({ atMs: t.at, change: `${t.do} ${t.target}`, left, joined, backendsBefore: before, backendsAfter: members.size })
  }
  return out
}

/** One membership change and the keys it moved; shares are of `keys`. */
export interface RemapResult extends RemapCount, MembershipChange {
  readonly movedShare: number
  readonly minimalShare: number
  /** 1/N for N the larger membership: the share a single backend joining or leaving moves at best. */
  readonly idealShare: number
}

/**
 * Compares two assignments (key → backend). A key that had to move is counted once in `minimal`;
 * `moved − minimal` are the keys moved between backends that were there all along — what a
 * consistent hash should keep at (or near) zero. Pure.
 */
export function compareAssignments<K>(before: ReadonlyMap<K, string>, after: ReadonlyMap<K, string>, change: Pick<Membership, 'left' | 'joined' | 'backendsBefore' | 'backendsAfter'>): RemapCount {
  const left = new Set(change.left)
  const joined = new Set(change.joined)
  let keys = 0
  let moved = 0
  let minimal = 0
  for (const [key, b] of before) {
    const a = after.get(key)
    if (a === undefined) continue
    keys++
    if (a !== b) moved++
    if (left.has(b) || (joined.has(a) && a !== b)) minimal++
  }
  return { keys, moved, minimal, backendsBefore: change.backendsBefore, backendsAfter: change.backendsAfter }
}

/** A remap result with its shares. */
export function remapResult(change: MembershipChange, c: RemapCount): RemapResult {
  const { atMs, change: what } = change
  const n = Math.max(c.backendsBefore, c.backendsAfter)
  return {
    atMs,
    change: what,
    ...c,
    movedShare: c.keys === 0 ? 0 : c.moved / c.keys,
    minimalShare: c.keys === 0 ? 0 : c.minimal / c.keys,
    idealShare: n === 0 ? 0 : 1 / n,
  }
}

/**
 * The changes with the times they had taken effect: the timeline's event for each (an action
 * records its event once done; a backend that has to be restarted first is added a second or more
 * after its planned time on a busy machine). A change that left no event has none. Pure.
 */
export function withEffectTimes(changes: readonly Membership[], events: readonly { readonly tMs: number; readonly source: string; readonly type: string; readonly target?: string | undefined }[]): Membership[] {
  const used = new Set<number>()
  return changes.map((c) => {
    const [what, target] = [c.change.slice(0, c.change.indexOf(' ')), c.change.slice(c.change.indexOf(' ') + 1)]
    const i = events.findIndex((e, k) => !used.has(k) && e.source === 'timeline' && e.type === what && e.target === target && e.tMs >= c.atMs - 1)
    if (i < 0) return c
    used.add(i)
    return { ...c, effectiveMs: events[i]!.tMs }
  })
}

/**
 * Every successful answer of every key (a client of the load: its source address, its cookies),
 * with its time, so that each key's backend around each membership change can be read afterwards:
 * before it, the backend of the key's last answer before the action started (its planned time);
 * after it, of the key's last answer once the action had finished and before the next one
 * started. Answers in between — in flight across the change, or sent while the balancer was
 * applying it — do not count. Memory: one entry per answer.
 */
export class KeyAssignments {
  private readonly answers = new Map<number, { readonly t: number[]; readonly backend: string[] }>()

  constructor(private readonly nowMs: () => number) {}

  /** A successful answer for `key` from `backend`, now. */
  record(key: number, backend: string): void {
    let a = this.answers.get(key)
    if (a === undefined) this.answers.set(key, (a = { t: [], backend: [] }))
    a.t.push(this.nowMs())
    a.backend.push(backend)
  }

  /** Each key's backend from its last answer in [from, to). */
  private assignment(from: number, to: number): Map<number, string> {
    const out = new Map<number, string>()
    for (const [key, a] of this.answers) {
      for (let i = a.t.length - 1; i >= 0; i--) {
        const t = a.t[i]!
        if (t < to && t >= from) {
          out.set(key, a.backend[i]!)
          break
        }
        if (t < from) break
      }
    }
    return out
  }

  /** One result per membership change, in time order; `atMs` is when it had taken effect. */
  results(changes: readonly Membership[]): RemapResult[] {
    const sorted = [...changes].sort((a, b) => a.atMs - b.atMs)
    const done = (c: Membership) => Math.max(c.atMs, c.effectiveMs ?? c.atMs)
    return sorted.map((c, i) => {
      const before = this.assignment(i === 0 ? -Infinity : done(sorted[i - 1]!), c.atMs)
      const after = this.assignment(done(c), i === sorted.length - 1 ? Infinity : sorted[i + 1]!.atMs)
      return remapResult({ atMs: done(c), change: c.change }, compareAssignments(before, after, c))
    })
  }
}
