import type { PoolRuntime } from '../runtime/pool-runtime.js'
import { createStickyIndex, type StickyIndex } from '../routing/sticky-cookie.js'

/** Sticky-cookie state of a pool: tokens of the current members, rebuilt when membership changes. */
export class StickyState {
  private index: StickyIndex | undefined
  private builtAt = -1

  constructor(
    readonly rt: PoolRuntime,
    readonly cookie: NonNullable<PoolRuntime['config']['stickySession']>,
  ) {}

  private current(): StickyIndex {
    const version = this.rt.pool.rebuilds
    if (this.index === undefined || version !== this.builtAt) {
      this.index = createStickyIndex(
        this.cookie.secret,
        this.rt.pool.status().map((s) => s.id),
      )
      this.builtAt = version
    }
    return this.index
  }

  /** The backend id a cookie token pins, if it is a current member. */
  pinned(token: string): string | undefined {
    return this.current().backendFor(token)
  }

  tokenFor(id: string): string {
    return this.current().tokenFor(id)
  }
}

const stickyStates = new WeakMap<PoolRuntime, StickyState | null>()

/** The sticky-cookie state of a pool, or undefined when it has no cookie stickiness. */
export function stickyOf(rt: PoolRuntime): StickyState | undefined {
  let s = stickyStates.get(rt)
  if (s === undefined) {
    s = rt.config.stickySession === undefined ? null : new StickyState(rt, rt.config.stickySession)
    stickyStates.set(rt, s)
  }
  return s ?? undefined
}
