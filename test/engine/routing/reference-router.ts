import type { RouteConfig, ValueMatch } from '../../../engine/routing/route-types.js'
import type { RequestSpec } from './requests.js'

// Compiled once per source only to keep the cross-check quick; the semantics stay naive.
const regexes = new Map<string, RegExp>()

function fullMatch(source: string, value: string): boolean {
  let re = regexes.get(source)
  if (re === undefined) regexes.set(source, (re = new RegExp(`^(?:${source})$`)))
  return re.test(value)
}

/**
 * A deliberately naive router for cross-checking: reads the route semantics straight off the
 * configuration and tries every route in order, with string splitting instead of index arithmetic.
 * Covers what the random tables generate (no IPv6 hosts).
 */
export function referenceMatch(routes: readonly RouteConfig[], spec: RequestSpec): number {
  const target = spec.target ?? '/'
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^?#]*)/i.exec(target)
  const authority = absolute?.[1]?.replace(/^.*@/, '')
  const host = (authority || spec.host || '').toLowerCase().replace(/:\d*$/, '')
  const path = absolute ? absolute[2] || '/' : target.split(/[?#]/)[0]!
  const query = target.includes('?') ? target.split('?')[1]!.split('#')[0]!.split('&') : []
  const cookies = (spec.cookie ?? '').split(';').map((p) => p.trim()).filter((p) => p !== '')
  const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))

  const lookup = {
    headers: (name: string) => headers[name.toLowerCase()],
    cookies: (name: string) => {
      const pair = cookies.find((p) => (p.includes('=') ? p.slice(0, p.indexOf('=')).trim() : '') === name)
      if (pair === undefined) return undefined
      const value = pair.includes('=') ? pair.slice(pair.indexOf('=') + 1).trim() : pair
      return /^".*"$/.test(value) && value.length >= 2 ? value.slice(1, -1) : value
    },
    query: (name: string) => {
      const pair = query.find((p) => p === name || p.startsWith(`${name}=`))
      return pair === undefined ? undefined : pair.slice(name.length + 1)
    },
  }

  const valueHolds = (m: ValueMatch, value: string | undefined): boolean => {
    let ok: boolean
    if (m.exact !== undefined) ok = value === m.exact
    else if (m.prefix !== undefined) ok = value !== undefined && value.startsWith(m.prefix)
    else if (m.regex !== undefined) ok = value !== undefined && fullMatch(m.regex, value)
    else if (m.present === false) ok = value === undefined
    else ok = value !== undefined
    return m.invert === true ? !ok : ok
  }

  const hostHolds = (pattern: string): boolean => {
    const p = pattern.toLowerCase()
    if (p === '*') return true
    if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1
    return host === p
  }

  return routes.findIndex(({ match }) => {
    if (match.host !== undefined && ![match.host].flat().some(hostHolds)) return false
    if (match.methods !== undefined && !match.methods.includes(spec.method ?? 'GET')) return false
    const p = match.path
    if (p !== undefined) {
      if ('prefix' in p && !path.startsWith(p.prefix)) return false
      if ('exact' in p && path !== p.exact) return false
      if ('regex' in p && !fullMatch(p.regex, path)) return false
    }
    for (const source of ['headers', 'cookies', 'query'] as const) {
      for (const m of match[source] ?? []) if (!valueHolds(m, lookup[source](m.name))) return false
    }
    return true
  })
}
