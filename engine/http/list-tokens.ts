import { HTAB, SP } from './char-classes.js'

const COMMA = 0x2c

const isOws = (c: number): boolean => c === SP || c === HTAB

/**
 * Elements of a comma-separated list value (RFC 9110 §5.6.1), OWS trimmed, lower-cased, with empty
 * elements dropped as the list rule asks of recipients.
 */
export function lowerCaseListElements(value: string): string[] {
  const out: string[] = []
  const n = value.length
  let i = 0
  while (i < n) {
    while (i < n && isOws(value.charCodeAt(i))) i++
    const start = i
    let last = i
    while (i < n) {
      const c = value.charCodeAt(i)
      if (c === COMMA) break
      i++
      if (!isOws(c)) last = i
    }
    if (last > start) out.push(value.slice(start, last).toLowerCase())
    i++
  }
  return out
}

/** Connection option: `close`. */
export const CONNECTION_CLOSE = 1
/** Connection option: `keep-alive`. */
export const CONNECTION_KEEP_ALIVE = 2
/** Connection option: `upgrade`. */
export const CONNECTION_UPGRADE = 4

/** The CONNECTION_* flags a Connection value lists, compared case-insensitively. */
export function connectionOptions(value: string): number {
  // The common values need no list splitting.
  if (value === 'keep-alive' || value === 'Keep-Alive') return CONNECTION_KEEP_ALIVE
  if (value === 'close') return CONNECTION_CLOSE
  let flags = 0
  for (const option of lowerCaseListElements(value)) {
    if (option === 'close') flags |= CONNECTION_CLOSE
    else if (option === 'keep-alive') flags |= CONNECTION_KEEP_ALIVE
    else if (option === 'upgrade') flags |= CONNECTION_UPGRADE
  }
  return flags
}
