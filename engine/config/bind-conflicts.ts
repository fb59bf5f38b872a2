import { isIP } from 'node:net'

/** One address the configuration asks the engine to bind. */
export interface BindRequest {
  /** Where the address is written in the configuration (`listeners.3.bind`, `admin.listen`). */
  readonly path: readonly (string | number)[]
  /** Who binds it, as the user would say it: `listener web`, `the admin API`. */
  readonly owner: string
  readonly transport: 'tcp' | 'udp'
  readonly host: string
  readonly port: number
  /** As written, for the message. */
  readonly text: string
}

/** A bind that cannot succeed beside an earlier one. */
export interface BindConflict {
  readonly path: readonly (string | number)[]
  readonly message: string
}

/**
 * Binds that would fail at start-up with EADDRINUSE: the same transport and port, and addresses
 * that overlap — equal, or one of them the wildcard of its family (`0.0.0.0`; `::`, which on a
 * dual-stack host takes IPv4 as well). Port 0 asks for a fresh port and never conflicts. Each
 * later bind is reported against the first earlier one it overlaps.
 */
export function bindConflicts(binds: readonly BindRequest[]): BindConflict[] {
  const conflicts: BindConflict[] = []
  binds.forEach((b, i) => {
    if (b.port === 0) return
    const earlier = binds.slice(0, i).find((a) => a.transport === b.transport && a.port === b.port && overlaps(a.host, b.host))
    if (earlier === undefined) return
    const same = earlier.text === b.text
    conflicts.push({ path: b.path, message: `${b.text} ${same ? 'is already bound' : `overlaps ${earlier.text}, bound`} by ${earlier.owner}` })
  })
  return conflicts
}

function overlaps(a: string, b: string): boolean {
  if (a === b) return true
  return isWildcardFor(a, b) || isWildcardFor(b, a)
}

function isWildcardFor(wildcard: string, other: string): boolean {
  if (wildcard === '::' || wildcard === '::0') return true
  return wildcard === '0.0.0.0' && isIP(other) !== 6
}
