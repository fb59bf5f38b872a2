import type { HttpHeader } from '../http/http-head.js'

/** Configured header changes for one direction: names removed, then headers set. */
export interface HeaderEdits {
  /** Lower-case names to drop (including those being set, so a set replaces). */
  readonly remove: ReadonlySet<string>
  readonly add: readonly HttpHeader[]
}

/** The configuration form of header edits. */
export interface HeaderEditsConfig {
  readonly add?: Readonly<Record<string, string>>
  readonly remove?: readonly string[]
}

/**
 * Merges edits, later ones winning: a listener's edits, then a route's. A header set by an earlier
 * level and removed by a later one is dropped; set by both, the later value stays.
 */
export function mergeEdits(...levels: (HeaderEditsConfig | undefined)[]): HeaderEdits {
  const add = new Map<string, HttpHeader>()
  const remove = new Set<string>()
  for (const level of levels) {
    if (level === undefined) continue
    for (const name of level.remove ?? []) {
      remove.add(name.toLowerCase())
      add.delete(name.toLowerCase())
    }
    for (const [name, value] of Object.entries(level.add ?? {})) add.set(name.toLowerCase(), { name, value })
  }
  for (const name of add.keys()) remove.add(name)
  return { remove, add: [...add.values()] }
}

/**
 * Applies edits to `headers` in place: the names they remove are dropped (one pass, order kept),
 * then their headers appended.
 */
export function applyEdits(headers: HttpHeader[], edits: HeaderEdits): void {
  if (edits.remove.size > 0) {
    let w = 0
    for (let r = 0; r < headers.length; r++) {
      const h = headers[r]!
      if (!edits.remove.has(h.name.toLowerCase())) headers[w++] = h
    }
    headers.length = w
  }
  for (const h of edits.add) headers.push(h)
}

/** True when the edits change nothing. */
export function noEdits(edits: HeaderEdits): boolean {
  return edits.remove.size === 0 && edits.add.length === 0
}

/** Who the request came from, for the forwarded headers. */
export interface ForwardedFor {
  readonly clientAddress: string
  readonly proto: 'http' | 'https'
  readonly host: string | undefined
}

/**
 * Adds X-Forwarded-For (appended to the incoming chain), X-Real-IP, X-Forwarded-Proto and
 * X-Forwarded-Host. `out` already holds the request's headers; earlier forwarded values other
 * than the chain are replaced, since this proxy is the one that knows them.
 */
export function addForwardedHeaders(out: HttpHeader[], f: ForwardedFor): void {
  let chain: string | undefined
  for (let i = out.length - 1; i >= 0; i--) {
    const lower = out[i]!.name.toLowerCase()
    if (lower === 'x-forwarded-for') {
      chain = chain === undefined ? out[i]!.value : `${out[i]!.value}, ${chain}`
      out.splice(i, 1)
    } else if (lower === 'x-real-ip' || lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') {
      out.splice(i, 1)
    }
  }
  out.push({ name: 'X-Forwarded-For', value: chain === undefined ? f.clientAddress : `${chain}, ${f.clientAddress}` })
  out.push({ name: 'X-Real-IP', value: f.clientAddress })
  out.push({ name: 'X-Forwarded-Proto', value: f.proto })
  if (f.host !== undefined) out.push({ name: 'X-Forwarded-Host', value: f.host })
}
