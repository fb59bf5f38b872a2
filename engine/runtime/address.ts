import { isIP } from 'node:net'
import { parseCidr } from '../config/lb-config.js'

/** `::ffff:1.2.3.4` → `1.2.3.4`: sockets on dual-stack listeners report IPv4 clients that way. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

function ipv4ToInt(a: string): number {
  const p = a.split('.')
  return ((+p[0]! << 24) | (+p[1]! << 16) | (+p[2]! << 8) | +p[3]!) >>> 0
}

/** Expands an IPv6 address to 8 groups of 16 bits. */
function ipv6Groups(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined]
  const parse = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(':'))
  let h = parse(head)
  let t = parse(tail)
  const v4 = (list: string[]) => {
    const last = list[list.length - 1]
    if (last !== undefined && last.includes('.')) {
      const n = ipv4ToInt(last)
      list.splice(list.length - 1, 1, ((n >>> 16) & 0xffff).toString(16), (n & 0xffff).toString(16))
    }
    return list
  }
  h = v4(h)
  t = v4(t)
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0')
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16))
}

/** A predicate telling whether an address lies in any of the CIDRs. */
export function cidrMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const nets = cidrs.map((c) => parseCidr(c)!).map((c) => ({ ...c, groups: c.family === 6 ? ipv6Groups(c.address) : [], base: c.family === 4 ? ipv4ToInt(c.address) : 0 }))
  return (raw) => {
    const address = normalizeAddress(raw)
    const family = isIP(address)
    for (const n of nets) {
      if (n.family !== family) continue
      if (family === 4) {
        const mask = n.bits === 0 ? 0 : (0xffffffff << (32 - n.bits)) >>> 0
        if (((ipv4ToInt(address) & mask) >>> 0) === ((n.base & mask) >>> 0)) return true
      } else {
        const g = ipv6Groups(address)
        let bits = n.bits
        let ok = true
        for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
          const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff
          if ((g[i]! & mask) !== (n.groups[i]! & mask)) {
            ok = false
            break
          }
        }
        if (ok) return true
      }
    }
    return false
  }
}

/** Matches a server name against exact names and `*.suffix` wildcards (case-insensitive). */
export function serverNameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.startsWith('*.')).map((p) => p.toLowerCase()))
  const suffixes = patterns.filter((p) => p.startsWith('*.')).map((p) => p.slice(1).toLowerCase())
  return (name) => {
    const n = name.toLowerCase()
    return exact.has(n) || suffixes.some((s) => n.length > s.length && n.endsWith(s))
  }
}

const loopback = cidrMatcher(['127.0.0.0/8', '::1/128'])

/** True for an address only this host can reach (127.0.0.0/8, ::1, `localhost`). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  const a = normalizeAddress(host)
  return isIP(a) !== 0 && loopback(a)
}
